"""The one reader of Recur's key casing.

Recur's documentation disagrees with itself on key casing (``expires_at`` vs
``expiresAt``, ``customer_id`` vs ``customerId``…): newer API pages say snake_case,
its SDK and tooling send camelCase. Everything that reads a Recur object — the
client's typed objects, the webhook payload readers, the emulator's request
parameters — reads it through :class:`Reader`, with one contract:

- Names are given in snake_case. Each name is looked up as written, then in
  camelCase; several names are tried in order (the first is the documented one,
  the rest are older aliases).
- An absent key reads as ``None``; so does an explicit ``null`` (:meth:`Reader.get`
  moves on to the next spelling). Only :meth:`Reader.find` tells "sent as null"
  from "not sent", for callers where null means "clear this value".
- The typed accessors (``text``, ``integer``, ``boolean``, ``dt``, ``obj``,
  ``array``) return ``None`` for a value of the wrong type instead of raising:
  strictness (a clear error for a bad value) belongs to the caller, which knows
  whether the value is required.
- A non-object reads as an empty object; ``.raw`` is the object itself (never
  copied when it is a dict), so unknown fields are never lost.

Only the standard library is used: the client stays free of Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["Reader", "camel", "parse_datetime", "pick", "snake"]

_CAMEL_CACHE: dict[str, str] = {}
_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])")
_INT_RE = re.compile(r"^-?\d+$")


def camel(name: str) -> str:
    """``expires_at`` -> ``expiresAt`` (a name without ``_`` is returned unchanged)."""
    cached = _CAMEL_CACHE.get(name)
    if cached is None:
        head, *rest = name.split("_")
        cached = head + "".join(part[:1].upper() + part[1:] for part in rest)
        _CAMEL_CACHE[name] = cached
    return cached


def snake(name: str) -> str:
    """``expiresAt`` -> ``expires_at``; ``checkoutURL`` -> ``checkout_url``."""
    return _SNAKE.sub(lambda m: "_" + (m.group(1) or m.group(2)), name).lower()


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from ISO-8601 text or epoch seconds/milliseconds, else None."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if abs(value) > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str) and value:
            text = value.strip()
            if _INT_RE.match(text):
                return parse_datetime(int(text))
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


class Reader:
    """Typed, casing-tolerant access to one JSON object (a non-object reads as empty)."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        if isinstance(raw, dict):
            self.raw: dict[str, Any] = raw
        else:
            self.raw = dict(raw) if isinstance(raw, Mapping) else {}

    def find(self, *names: str) -> tuple[bool, Any]:
        """``(True, value)`` for the first of ``names`` present, even as null.

        ``(False, None)`` when none is. For callers where an explicit null means
        something ("remove this value").
        """
        raw = self.raw
        for name in names:
            if name in raw:
                return True, raw[name]
            alias = camel(name)
            if alias in raw:
                return True, raw[alias]
        return False, None

    def get(self, *names: str, skip_blank: bool = False) -> Any:
        """The first value among ``names`` that is not null (nor ``""`` with ``skip_blank``)."""
        raw = self.raw
        for name in names:
            for key in (name, camel(name)):
                value = raw.get(key)
                if value is not None and not (skip_blank and value == ""):
                    return value
        return None

    def nested(self, *names: str) -> Reader:
        """A Reader over the object found at ``names`` (empty when it is not an object)."""
        return Reader(self.obj(*names))

    def text(self, *names: str) -> str | None:
        """A string (an integer is given as its digits); None for any other type."""
        value = self.get(*names)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return None

    def integer(self, *names: str) -> int | None:
        """An integer (also from a whole float or a string of digits); None otherwise."""
        value = self.get(*names)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        return None

    def boolean(self, *names: str) -> bool | None:
        """A boolean (also from ``"true"``/``"false"`` in any case); None otherwise."""
        value = self.get(*names)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def dt(self, *names: str) -> datetime | None:
        """An aware datetime (see :func:`parse_datetime`); None when unreadable."""
        return parse_datetime(self.get(*names))

    def obj(self, *names: str) -> dict[str, Any] | None:
        value = self.get(*names)
        return value if isinstance(value, dict) else None

    def array(self, *names: str) -> list[Any] | None:
        value = self.get(*names)
        return value if isinstance(value, list) else None


def pick(data: Any, *names: str) -> Any:
    """The first value among ``names`` that is neither null nor ``""`` (None if none is).

    ``Reader(data).get(*names, skip_blank=True)``, under the name and contract of the
    former ``recur_django.payloads.pick``, so that module can import it from here.
    """
    return Reader(data).get(*names, skip_blank=True)
