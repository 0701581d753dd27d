"""The emulator's clock: real time plus an offset moved by ``advance`` (a test clock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.utils import timezone

_pinned: ContextVar[datetime | None] = ContextVar("recur_emulator_pinned_now", default=None)


def now() -> datetime:
    """The emulator's current time (aware, UTC); the pinned moment inside :func:`at`."""
    from recur_django.emulator.models import ClockState

    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    offset = ClockState.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    return timezone.now() + timedelta(seconds=offset or 0)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Make :func:`now` answer ``moment`` inside the block.

    The clock catches up on what fell due while it was advanced (a renewal at each
    period end, a retry each day): every record and event of one transition carries the
    moment it was due, so twelve renewals have twelve distinct, ordered timestamps.
    """
    token = _pinned.set(moment)
    try:
        yield
    finally:
        _pinned.reset(token)


def shift(seconds: float) -> datetime:
    """Move the clock forward by ``seconds``; returns the new time."""
    from recur_django.emulator.models import ClockState

    state, _ = ClockState.objects.get_or_create(pk=1)
    state.offset_seconds += seconds
    state.save(update_fields=["offset_seconds"])
    return now()


def add_interval(
    moment: datetime, interval: str, count: int = 1, anchor: datetime | None = None
) -> datetime:
    """``moment`` moved by ``count`` times ``interval`` ("day", "week", "month", "year").

    Monthly and yearly steps land on ``anchor``'s day of the month when given (clamped
    to shorter months), so Jan 31 → Feb 28 → Mar 31 rather than drifting to the 28th.
    """
    if interval == "day":
        return moment + timedelta(days=count)
    if interval == "week":
        return moment + timedelta(weeks=count)
    months = count * (12 if interval == "year" else 1)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min((anchor or moment).day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime(year, month + 1, 1) - datetime(year, month, 1)).days


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 with milliseconds and ``Z`` (``2025-01-15T10:30:00.000Z``), or None."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
