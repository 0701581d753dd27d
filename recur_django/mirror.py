"""Mirroring one of Recur's lists into a local model: the sync the admin objects share.

Payment links and promotion codes are written through the API and mirrored locally; a
full sync pages through Recur's list (``limit`` + ``starting_after``), stores each page
with a fixed number of queries (``bulk_create`` / ``bulk_update``), and — only after a
complete pass — flags the local rows Recur no longer returned. The mirrored model has
``recur_id`` (unique), ``synced_at`` and ``missing_from_recur``; the caller says how a
Recur object becomes model values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

__all__ = ["ProgressCallback", "SyncResult", "pages", "store_page", "sync"]

#: ``progress(pages_done, items_seen)``, called after each page is stored.
ProgressCallback = Callable[[int, int], None]
#: A Recur object -> the local model's values (without recur_id / synced_at / missing flag).
ValuesOf = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class SyncResult:
    """What a sync did; ``noun`` names the items (``links``, ``codes``) for ``str()``."""

    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    noun: str = "items"

    def __str__(self) -> str:
        return (
            f"{self.seen} {self.noun} in {self.pages} pages: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, "
            f"{self.missing} marked missing from Recur"
        )


def store_page(
    model: type[models.Model], remotes: list[Any], values_of: ValuesOf, synced_at: datetime
) -> tuple[int, int, int]:
    """Upsert one page of Recur objects with a constant number of queries.

    Returns ``(created, updated, unchanged)``.
    """
    manager: Any = model._default_manager
    by_id = {remote.id: remote for remote in remotes}
    existing = {row.recur_id: row for row in manager.filter(recur_id__in=list(by_id))}
    to_create: list[tuple[Any, dict[str, Any]]] = []
    to_update: list[Any] = []
    changed_fields: set[str] = set()
    unchanged_ids: list[str] = []
    for recur_id, remote in by_id.items():
        values = values_of(remote)
        row = existing.get(recur_id)
        if row is None:
            new = model(recur_id=recur_id, synced_at=synced_at, missing_from_recur=False, **values)
            to_create.append((new, values))
            continue
        changed = {name for name, value in values.items() if getattr(row, name) != value}
        if row.missing_from_recur:
            changed.add("missing_from_recur")
            row.missing_from_recur = False
        if not changed:
            unchanged_ids.append(recur_id)
            continue
        for name in changed & set(values):
            setattr(row, name, values[name])
        row.synced_at = synced_at
        changed_fields |= changed | {"synced_at"}
        to_update.append(row)

    with transaction.atomic():
        if to_create:
            try:
                with transaction.atomic():
                    manager.bulk_create([row for row, _values in to_create])
            except IntegrityError:
                # Another process stored some of these meanwhile: fall back to one by one.
                for row, values in to_create:
                    defaults = {**values, "synced_at": synced_at, "missing_from_recur": False}
                    manager.update_or_create(recur_id=row.recur_id, defaults=defaults)
        if to_update:
            manager.bulk_update(to_update, sorted(changed_fields))
        if unchanged_ids:
            manager.filter(recur_id__in=unchanged_ids).update(synced_at=synced_at)
    return len(to_create), len(to_update), len(unchanged_ids)


def pages(list_page: Callable[[str | None], Any]) -> Iterable[list[Any]]:
    """The non-empty pages of a cursor-paginated list; ``list_page(cursor)`` fetches one."""
    cursor: str | None = None
    while True:
        page = list_page(cursor)
        data = list(page.data)
        if data:
            yield data
        if not page.has_more or not data:
            return
        cursor = getattr(page, "next_cursor", None) or data[-1].id


def sync(
    model: type[models.Model],
    list_page: Callable[[str | None], Any],
    values_of: ValuesOf,
    *,
    noun: str,
    progress: ProgressCallback | None = None,
) -> SyncResult:
    """Store every page, then flag the rows this complete pass did not see.

    When Recur fails part-way the error propagates: the pages already stored stay stored
    and nothing is flagged missing.
    """
    manager: Any = model._default_manager
    started = timezone.now()
    done = seen = created = updated = unchanged = 0
    for data in pages(list_page):
        c, u, n = store_page(model, data, values_of, started)
        done += 1
        seen += len(data)
        created, updated, unchanged = created + c, updated + u, unchanged + n
        if progress is not None:
            progress(done, seen)
    missing = (
        manager.filter(Q(synced_at__lt=started) | Q(synced_at__isnull=True))
        .filter(missing_from_recur=False)
        .update(missing_from_recur=True)
    )
    return SyncResult(done, seen, created, updated, unchanged, missing, noun)
