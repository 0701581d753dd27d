"""The emulator's clock: real time plus an offset moved by ``advance`` (a test clock)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from recur_django.emulator.models import ClockState

_pinned: ContextVar[datetime | None] = ContextVar("recur_emulator_pinned_now", default=None)
_pinned_events: ContextVar[list[int] | None] = ContextVar(
    "recur_emulator_pinned_events", default=None
)
_last_event = threading.local()
_TICK = timedelta(milliseconds=1)


def now() -> datetime:
    """The emulator's current time (aware, UTC); the pinned moment inside :func:`at`."""
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
    events_token = _pinned_events.set([0])
    try:
        yield
    finally:
        _pinned_events.reset(events_token)
        _pinned.reset(token)


def event_time() -> datetime:
    """The timestamp of the next emitted event: :func:`now`, one millisecond (the wire's
    precision) after the previous event when they would tie.

    Receivers order events by timestamp, so the events of one transition (``invoice.
    payment_failed`` then ``subscription.expired``) must not share one: inside :func:`at`
    the n-th event is stamped n ms after the pinned moment; otherwise each thread's events
    are strictly increasing (within a second of each other).
    """
    moment = now()
    counter = _pinned_events.get()
    if _pinned.get() is not None and counter is not None:
        counter[0] += 1
        return moment + (counter[0] - 1) * _TICK
    last: datetime | None = getattr(_last_event, "moment", None)
    # Only a near tie is bumped: a clock reset (a new test's database) starts afresh.
    if last is not None and last - timedelta(seconds=1) < moment < last + _TICK:
        moment = last + _TICK
    _last_event.moment = moment
    return moment


def shift(seconds: float) -> datetime:
    """Move the clock forward by ``seconds``; returns the new time."""
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
