"""The tax rules every provider shares: the 5 % split, two-month periods, the void deadline.

Django-free (the emulator and third-party backends use it too). Times are aware; the
calendar is Taiwan's (Asia/Taipei), whatever ``TIME_ZONE`` says.

- VAT is filed per two-month period (Jan-Feb, Mar-Apr, ..., Nov-Dec).
- An invoice may be voided until 23:59:59 Asia/Taipei on the 13th of the odd month after
  its period (a January invoice until March 13); after that, a refund is an allowance.
- A B2B invoice shows the sales amount and the 5 % tax separately:
  tax = total - round(total / 1.05).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")

#: The business tax rate, in percent.
TAX_RATE_PERCENT = 5


class TaxSplit(NamedTuple):
    """A tax-inclusive total split into its sales amount and tax (whole TWD)."""

    sales_amount: int
    tax_amount: int


def tax_split(total: int) -> TaxSplit:
    """Split a tax-inclusive ``total`` (integer TWD) at 5 %: ``tax = total - round(total / 1.05)``.

    Integer arithmetic, rounding half up (``total * 20 / 21`` never ends in exactly .5):
    ``tax_split(105) == (100, 5)``, ``tax_split(100) == (95, 5)``.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(f"total must be an int of TWD, not {type(total).__name__}")
    if total < 0:
        raise ValueError("total must not be negative")
    sales = (40 * total + 21) // 42  # round(total * 20 / 21), half up
    return TaxSplit(sales, total - sales)


@dataclass(frozen=True, order=True)
class Period:
    """A two-month VAT period: ``year`` and its first (odd) ``month``."""

    year: int
    month: int  # 1, 3, 5, 7, 9 or 11

    def __post_init__(self) -> None:
        if self.month not in (1, 3, 5, 7, 9, 11):
            raise ValueError(f"a period starts in an odd month, not {self.month}")

    def __str__(self) -> str:
        """``"2026-01/02"``."""
        return f"{self.year}-{self.month:02d}/{self.month + 1:02d}"

    @property
    def code(self) -> str:
        """``"20260102"``: year and both months, as invoice tracks (字軌) are named."""
        return f"{self.year}{self.month:02d}{self.month + 1:02d}"

    def next(self) -> Period:
        if self.month == 11:
            return Period(self.year + 1, 1)
        return Period(self.year, self.month + 2)

    @property
    def void_deadline(self) -> datetime:
        """The last moment (aware, UTC) an invoice of this period may be voided:
        23:59:59 Asia/Taipei on the 13th of the first month of the next period."""
        following = self.next()
        local = datetime(following.year, following.month, 13, 23, 59, 59, tzinfo=TAIPEI)
        return local.astimezone(UTC)


def period_of(moment: datetime) -> Period:
    """The VAT period ``moment`` (aware) falls in, on Taiwan's calendar."""
    local = _aware(moment).astimezone(TAIPEI)
    return Period(local.year, local.month - (local.month - 1) % 2)


def void_deadline(issued_at: datetime) -> datetime:
    """The last moment (aware, UTC) an invoice issued at ``issued_at`` may be voided."""
    return period_of(issued_at).void_deadline


def can_void(issued_at: datetime, now: datetime) -> bool:
    """Whether an invoice issued at ``issued_at`` may still be voided at ``now``."""
    return _aware(now) <= void_deadline(issued_at)


def taipei_date(moment: datetime) -> str:
    """``moment``'s date on Taiwan's calendar, ``"2026-01-31"`` (the providers' InvoiceDate)."""
    return _aware(moment).astimezone(TAIPEI).strftime("%Y-%m-%d")


def parse_taipei(text: str) -> datetime:
    """A provider's local time (``"2026-01-31 13:05:09"``, ``/`` or ``+`` separators
    tolerated, seconds optional) as an aware UTC datetime; ValueError when unreadable."""
    value = str(text).strip().replace("+", " ").replace("/", "-").replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=TAIPEI).astimezone(UTC)
    raise ValueError(f"not a date and time: {text!r}")


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment


__all__ = [
    "TAIPEI",
    "TAX_RATE_PERCENT",
    "Period",
    "TaxSplit",
    "can_void",
    "parse_taipei",
    "period_of",
    "taipei_date",
    "tax_split",
    "void_deadline",
]
