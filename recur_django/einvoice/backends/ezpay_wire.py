"""ezPay's (藍新) e-invoice wire: ``PostData_`` and the answer's ``CheckCode``. Django-free.

A request is a multipart POST of ``MerchantID_`` and ``PostData_`` = hex(AES-256-CBC(key =
HashKey (32 characters), IV = HashIV (16), the fields URL-encoded as ``k=v&…``)). An answer
is JSON ``{"Status": "SUCCESS" | <error code>, "Message", "Result"}``; ``Result`` (a JSON
object, sent as text) carries ``CheckCode``: the upper-case SHA-256 hex of
``HashIV=…&<InvoiceTransNo, MerchantID, MerchantOrderNo, RandomNum, TotalAmt as k=v,
sorted by name>&HashKey=…``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CHECK_CODE_FIELDS = ("InvoiceTransNo", "MerchantID", "MerchantOrderNo", "RandomNum", "TotalAmt")


class WireError(ValueError):
    """``PostData_`` or an answer does not decode."""


def _cipher(hash_key: str, hash_iv: str) -> Cipher[modes.CBC]:
    key, iv = hash_key.encode("utf-8"), hash_iv.encode("utf-8")
    if len(key) != 32 or len(iv) != 16:
        raise ValueError("ezPay's HashKey is 32 characters and its HashIV 16")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def encrypt_post_data(fields: Mapping[str, Any], hash_key: str, hash_iv: str) -> str:
    """``PostData_`` for ``fields`` (values sent as text, in the given order)."""
    plain = urlencode([(name, str(value)) for name, value in fields.items()]).encode("utf-8")
    padder = padding.PKCS7(128).padder()
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    return (encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()).hex()


def decrypt_post_data(text: str, hash_key: str, hash_iv: str) -> dict[str, str]:
    """The fields inside ``PostData_`` (what the provider reads); WireError when unreadable."""
    cipher = _cipher(hash_key, hash_iv)
    try:
        sealed = bytes.fromhex(text.strip())
    except (AttributeError, ValueError):
        raise WireError("PostData_ is not hex") from None
    if not sealed or len(sealed) % 16:
        raise WireError("PostData_ is not a whole number of AES blocks")
    decryptor = cipher.decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    size = padded[-1]
    # ezPay's own examples pad to 32 bytes, PKCS7-style: strip 1 to 32 equal bytes.
    if not 1 <= size <= 32 or padded[-size:] != bytes([size]) * size:
        raise WireError("PostData_ does not decrypt (wrong HashKey/HashIV?)")
    try:
        return dict(parse_qsl(padded[:-size].decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise WireError("PostData_ does not decrypt to text") from None


def check_code(values: Mapping[str, Any], hash_key: str, hash_iv: str) -> str:
    """The ``CheckCode`` of an answer carrying ``values``."""
    pairs = "&".join(f"{name}={values.get(name, '')}" for name in sorted(CHECK_CODE_FIELDS))
    text = f"HashIV={hash_iv}&{pairs}&HashKey={hash_key}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def check_code_matches(values: Mapping[str, Any], hash_key: str, hash_iv: str) -> bool:
    """Whether ``values["CheckCode"]`` is the one our keys compute (constant time)."""
    given = str(values.get("CheckCode") or "").upper()
    return bool(given) and hmac.compare_digest(given, check_code(values, hash_key, hash_iv))
