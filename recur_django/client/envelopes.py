"""The envelopes around Recur's objects: list pages, delete answers, ``{"success", "data"}``.

Recur wraps its objects differently per resource: payment links list as ``{"data": [...],
"has_more"}``, customers as ``{"object": "list", "data", "next_cursor"}``, subscriptions as
``{"subscriptions": [...]}``, and the newer pages (promotion codes, credits) answer
``{"success": true, "data": {...}}``. Every reader of such an answer goes through this
module, so each shape is understood in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from recur_django.client.casing import Reader
from recur_django.client.errors import APIError
from recur_django.client.parsing import only_objects

__all__ = ["Deleted", "Page", "parse_deleted", "parse_list", "unwrap"]

logger = logging.getLogger("recur_django.client")
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list endpoint."""

    data: list[T]
    has_more: bool
    next_cursor: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Deleted:
    id: str
    deleted: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def unwrap(data: Any) -> Any:
    """The object inside ``{"success": true, "data": {...}}``; anything else as it is.

    Only an answer carrying ``success`` with an object under ``data`` is unwrapped, so a
    plain object that happens to have a ``data`` field (a list page) is left alone.
    """
    if isinstance(data, dict) and "success" in data and isinstance(data.get("data"), dict):
        return data["data"]
    return data


def parse_deleted(data: Any, fallback_id: str) -> Deleted:
    r = Reader(unwrap(data))
    deleted = r.boolean("deleted")
    return Deleted(
        id=r.text("id") or fallback_id,
        deleted=True if deleted is None else deleted,
        raw=r.raw,
    )


def parse_list(data: Any, item_parser: Any, *keys: str) -> Page[Any]:
    """A Page from any list envelope: the first of ``keys`` holding a list, or a bare list."""
    if isinstance(data, list):
        items: list[Any] | None = data
        r = Reader({})
    elif isinstance(data, dict):
        r = Reader(data)
        items = None
        for key in keys:
            value = data.get(key)
            if isinstance(value, list):
                items = value
                break
        if items is None:
            raise APIError(
                f"Recur returned a list without any of {', '.join(keys)}.",
                code="invalid_response",
            )
    else:
        raise APIError("Recur returned a list that is not a JSON object.", code="invalid_response")
    parsed = []
    for item in only_objects(items):
        try:
            parsed.append(item_parser(item))
        except APIError:
            logger.warning("Skipped a list item without an id: %.200r", item)
    return Page(
        data=parsed,
        has_more=bool(r.boolean("has_more")),
        next_cursor=r.text("next_cursor"),
        raw=r.raw,
    )
