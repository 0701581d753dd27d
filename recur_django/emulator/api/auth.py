"""API keys: Bearer or ``X-Recur-Secret-Key`` secret keys, ``X-Recur-Publishable-Key``."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.http import HttpRequest

from recur_django.emulator.api.errors import ApiError
from recur_django.emulator.conf import emulator_settings


@dataclass(frozen=True)
class Caller:
    kind: str  # "secret" or "publishable"
    key: str

    @property
    def is_secret(self) -> bool:
        return self.kind == "secret"


def _matches(key: str, accepted: list[str]) -> bool:
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(key.encode(), candidate.encode())
    return found


def authenticate(request: HttpRequest) -> Caller:
    """The caller of ``request``; raises 401 ``unauthorized`` without a valid key."""
    header = request.headers.get("Authorization", "")
    secret = ""
    if header[:7].lower() == "bearer ":
        secret = header[7:].strip()
    secret = secret or request.headers.get("X-Recur-Secret-Key", "").strip()
    if secret:
        if _matches(secret, emulator_settings.secret_keys):
            return Caller("secret", secret)
        raise ApiError(401, "unauthorized", "Invalid API key provided.")
    publishable = request.headers.get("X-Recur-Publishable-Key", "").strip()
    if publishable:
        if _matches(publishable, emulator_settings.publishable_keys):
            return Caller("publishable", publishable)
        raise ApiError(401, "unauthorized", "Invalid publishable key provided.")
    raise ApiError(
        401,
        "unauthorized",
        "No API key provided. Send 'Authorization: Bearer sk_…' or 'X-Recur-Secret-Key'.",
    )
