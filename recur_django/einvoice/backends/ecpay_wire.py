"""ECPay's B2C e-invoice wire (revision 3.0): the codec both the backend and the emulator use.

Django-free. A request is ``POST {host}/B2CInvoice/<Operation>`` with the JSON envelope
``{"MerchantID", "RqHeader": {"Timestamp", "Revision": "3.0.0"}, "Data"}``; an answer is
``{"MerchantID", "RpHeader": {"Timestamp"}, "TransCode", "TransMsg", "Data"}``. ``Data`` is
the operation's JSON object, URL-encoded (``+`` for spaces, upper-case ``%XX``), encrypted
with AES-128-CBC (key = HashKey, IV = HashIV, PKCS7 padding) and Base64-encoded.
``TransCode`` 1 means the envelope was accepted; the decrypted ``Data`` then carries the
operation's ``RtnCode`` (1 = success) and ``RtnMsg``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

REVISION = "3.0.0"
BLOCK_BITS = 128


class WireError(ValueError):
    """``Data`` (or the envelope) does not decode, decrypt or parse."""


def _cipher(hash_key: str, hash_iv: str) -> Cipher[modes.CBC]:
    key, iv = hash_key.encode("utf-8"), hash_iv.encode("utf-8")
    if len(key) != 16 or len(iv) != 16:
        raise ValueError("ECPay's HashKey and HashIV are 16 characters each")
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def encode_json(data: Mapping[str, Any]) -> str:
    """The JSON text of ``data`` as it is encrypted (compact, UTF-8, no NaN)."""
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encrypt(data: Mapping[str, Any], hash_key: str, hash_iv: str) -> str:
    """``Data`` for ``data``: Base64(AES-128-CBC(URL-encoded JSON))."""
    plain = quote_plus(encode_json(data), encoding="utf-8").encode("ascii")
    padder = padding.PKCS7(BLOCK_BITS).padder()
    encryptor = _cipher(hash_key, hash_iv).encryptor()
    sealed = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    return base64.b64encode(sealed).decode("ascii")


def decrypt(text: str, hash_key: str, hash_iv: str) -> dict[str, Any]:
    """The JSON object inside ``Data``; :class:`WireError` when anything does not fit."""
    cipher = _cipher(hash_key, hash_iv)
    if not isinstance(text, str) or not text.strip():
        raise WireError("Data is empty")
    try:
        sealed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WireError("Data is not Base64") from None
    if not sealed or len(sealed) % 16:
        raise WireError("Data is not a whole number of AES blocks")
    decryptor = cipher.decryptor()
    unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
    try:
        padded = decryptor.update(sealed) + decryptor.finalize()
        plain = unpadder.update(padded) + unpadder.finalize()
        value = json.loads(unquote_plus(plain.decode("utf-8"), encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WireError("Data does not decrypt to JSON (wrong HashKey/HashIV?)") from None
    if not isinstance(value, dict):
        raise WireError("Data is not a JSON object")
    return value


def request_envelope(
    merchant_id: str, data: Mapping[str, Any], hash_key: str, hash_iv: str, *, timestamp: int
) -> dict[str, Any]:
    """The JSON body of a request carrying ``data``."""
    return {
        "MerchantID": merchant_id,
        "RqHeader": {"Timestamp": int(timestamp), "Revision": REVISION},
        "Data": encrypt(data, hash_key, hash_iv),
    }


def answer_envelope(
    merchant_id: str,
    data: Mapping[str, Any] | None,
    hash_key: str,
    hash_iv: str,
    *,
    timestamp: int,
    trans_code: int = 1,
    trans_msg: str = "Success",
) -> dict[str, Any]:
    """The JSON body of an answer; ``data`` None (a refused envelope) sends ``Data: ""``."""
    return {
        "PlatformID": "",
        "MerchantID": merchant_id,
        "RpHeader": {"Timestamp": int(timestamp)},
        "TransCode": trans_code,
        "TransMsg": trans_msg,
        "Data": encrypt(data, hash_key, hash_iv) if data is not None else "",
    }


def read_envelope(body: bytes | str) -> dict[str, Any]:
    """The envelope object of a request or answer body; WireError when it is not one."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WireError("the body is not JSON") from None
    if not isinstance(value, dict):
        raise WireError("the body is not a JSON object")
    return value
