"""The shared tax rules: the 5 % split, two-month periods, the void deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recur_django.einvoice.rules import (
    TAIPEI,
    Period,
    can_void,
    parse_taipei,
    period_of,
    taipei_date,
    tax_split,
    void_deadline,
)


@pytest.mark.parametrize(
    ("total", "sales", "tax"),
    [(105, 100, 5), (100, 95, 5), (299, 285, 14), (2990, 2848, 142), (1, 1, 0), (0, 0, 0)],
)
def test_tax_split(total, sales, tax):
    assert tax_split(total) == (sales, tax)
    assert tax_split(total).sales_amount + tax_split(total).tax_amount == total


@given(st.integers(min_value=0, max_value=10**9))
def test_tax_split_is_total_minus_round_total_over_1_05(total):
    split = tax_split(total)
    exact = (Decimal(total) / Decimal("1.05")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert split.sales_amount == int(exact)
    assert split.tax_amount == total - int(exact)


def test_tax_split_refuses_what_is_not_whole_twd():
    with pytest.raises(TypeError):
        tax_split(10.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tax_split(-1)


def taipei(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


@pytest.mark.parametrize(
    ("moment", "period"),
    [
        (taipei(2026, 1, 1, 0, 0), Period(2026, 1)),
        (taipei(2026, 2, 28, 23, 59), Period(2026, 1)),
        (taipei(2026, 3, 1, 0, 0), Period(2026, 3)),
        (taipei(2026, 12, 31, 23, 0), Period(2026, 11)),
        # 2026-02-28 17:00 UTC is already March 1 in Taipei
        (datetime(2026, 2, 28, 17, 0, tzinfo=UTC), Period(2026, 3)),
    ],
)
def test_period_of_follows_taiwan_calendar(moment, period):
    assert period_of(moment) == period


def test_void_deadline_is_the_13th_of_the_next_odd_month_taipei():
    assert void_deadline(taipei(2026, 1, 5, 10, 0)) == taipei(2026, 3, 13, 23, 59, 59)
    assert void_deadline(taipei(2026, 2, 28, 10, 0)) == taipei(2026, 3, 13, 23, 59, 59)
    assert void_deadline(taipei(2025, 12, 31, 10, 0)) == taipei(2026, 1, 13, 23, 59, 59)
    assert void_deadline(taipei(2025, 11, 1, 10, 0)) == taipei(2026, 1, 13, 23, 59, 59)
    assert void_deadline(taipei(2026, 1, 5)).tzinfo == UTC


def test_can_void_until_the_last_second():
    issued = taipei(2026, 1, 20, 12, 0)
    last = taipei(2026, 3, 13, 23, 59, 59)
    assert can_void(issued, issued)
    assert can_void(issued, last)
    assert not can_void(issued, last + timedelta(seconds=1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        period_of(datetime(2026, 1, 1))


def test_period_names():
    assert str(Period(2026, 11)) == "2026-11/12"
    assert Period(2026, 11).code == "20261112"
    assert Period(2026, 11).next() == Period(2027, 1)
    with pytest.raises(ValueError):
        Period(2026, 2)


@pytest.mark.parametrize(
    "text",
    ["2023-02-03 17:57:02", "2023-02-03+17:57:02", "2023/02/03 17:57:02", "2023-02-03T17:57:02"],
)
def test_parse_taipei_reads_the_providers_local_times(text):
    assert parse_taipei(text) == datetime(2023, 2, 3, 9, 57, 2, tzinfo=UTC)


def test_parse_taipei_refuses_garbage():
    with pytest.raises(ValueError):
        parse_taipei("yesterday")


def test_taipei_date():
    assert taipei_date(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == "2026-02-01"
