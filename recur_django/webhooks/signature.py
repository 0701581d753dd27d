"""Recur webhook signatures: HMAC-SHA256 keyed with the whole ``whsec_…`` string over the raw body.

Recur's docs say the ``X-Recur-Signature`` header is the Base64 digest; Recur's own tooling
sends the hex digest. Both are accepted, with or without a ``sha256=`` prefix, against every
configured secret (rotation). The ``X-Recur-Timestamp`` header is not signed, so it is not
trusted for anything; replay defence is the unique event id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Literal

from recur_django.exceptions import SignatureError

SIGNATURE_HEADER = "X-Recur-Signature"
MAX_SIGNATURE_LENGTH = 512

Encoding = Literal["base64", "hex"]


def compute_signature(body: bytes, secret: str, encoding: Encoding = "base64") -> str:
    """The ``X-Recur-Signature`` value Recur sends for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    if encoding == "hex":
        return digest.hex()
    return base64.b64encode(digest).decode("ascii")


def _decode(value: str) -> bytes:
    value = value.strip()
    if value[:7].lower() == "sha256=":
        value = value[7:].strip()
    if len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is neither hex nor Base64") from None
    if len(digest) != hashlib.sha256().digest_size:
        raise SignatureError("signature has the wrong length")
    return digest


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def verify_signature(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> None:
    """Raise :class:`SignatureError` unless ``headers`` carry a valid signature of ``body``."""
    if not secrets:
        raise SignatureError("no webhook secret is configured")
    value = _header(headers, SIGNATURE_HEADER)
    if not value:
        raise SignatureError("signature header is missing")
    if not isinstance(value, str):
        raise SignatureError("signature header is not text")
    if len(value) > MAX_SIGNATURE_LENGTH:
        raise SignatureError("signature header is too long")
    try:
        received = _decode(value)
    except UnicodeError:
        raise SignatureError("signature is not ASCII") from None
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, received)
    if not matched:
        raise SignatureError("signature does not match")
