"""Typed, strict access to request parameters, accepting camelCase and snake_case keys.

Keys are found by the client's one casing reader (snake_case, then camelCase); what is
emulator-specific is strictness: a value of the wrong type is a 400, not a None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from recur_django.client.casing import Reader
from recur_django.emulator.api.errors import invalid

_MISSING = object()


class Params:
    """A JSON object body (or query string) read by snake_case name, camelCase accepted."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self._reader = Reader(data)

    def raw(self, name: str) -> Any:
        """The value sent for ``name`` (null included), or ``_MISSING`` when not sent."""
        found, value = self._reader.find(name)
        return value if found else _MISSING

    def has(self, name: str) -> bool:
        return self.raw(name) is not _MISSING

    def text(self, name: str, *, required: bool = False, max_length: int = 2000) -> str:
        value = self.raw(name)
        if value is _MISSING or value is None or value == "":
            if required:
                raise invalid(f"{name} is required.")
            return ""
        if not isinstance(value, str):
            raise invalid(f"{name} must be a string.")
        if len(value) > max_length:
            raise invalid(f"{name} is longer than {max_length} characters.")
        if "\x00" in value:
            raise invalid(f"{name} must not contain NUL characters.")
        return value.strip()

    def integer(
        self, name: str, *, default: int | None = None, minimum: int = 0, maximum: int | None = None
    ) -> int | None:
        value = self.raw(name)
        if value is _MISSING or value is None or value == "":
            return default
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            try:
                value = int(value)
            except ValueError:  # longer than Python's integer-string limit
                raise invalid(f"{name} must be an integer.") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(f"{name} must be an integer.")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise invalid(f"{name} must be {bound}.")
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is _MISSING or value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        raise invalid(f"{name} must be a boolean.")

    def mapping(self, name: str) -> dict[str, Any] | None:
        value = self.raw(name)
        if value is _MISSING or value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(f"{name} must be an object.")
        if len(value) > 50:
            raise invalid(f"{name} can have at most 50 keys.")
        return value

    def url(self, name: str, required: bool = False) -> str:
        value = self.text(name, required=required)
        if value:
            parts = urlsplit(value.replace("{CHECKOUT_SESSION_ID}", "x"))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise invalid(f"{name} must be an absolute http(s) URL.")
        return value
