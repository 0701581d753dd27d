"""One price format: NT$2,990 in every language, from Python and from templates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from recur_django.models.payment_link import format_price
from recur_django.money import format_twd


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (2990, "TWD", "NT$2,990"),
        (2990, None, "NT$2,990"),
        (0, "TWD", "NT$0"),
        (1234567, "twd", "NT$1,234,567"),
        (Decimal("2990.00"), "TWD", "NT$2,990"),
        ("2990", "TWD", "NT$2,990"),
        (-50, "TWD", "-NT$50"),
        (1000, "USD", "1,000 USD"),
        (None, "TWD", ""),
        ("n/a", "TWD", "n/a"),
    ],
)
def test_format_twd(amount, currency, expected):
    assert format_twd(amount, currency) == expected


def test_the_same_in_english_and_traditional_chinese():
    source = Template("{% load recur %}{{ amount|twd }} {{ amount|twd:'USD' }}")
    for language in ("en", "zh-hant"):
        with translation.override(language):
            assert source.render(Context({"amount": 2990})) == "NT$2,990 2,990 USD"


def test_payment_link_prices_use_the_same_function():
    assert format_price(2990, "TWD") == format_twd(2990) == "NT$2,990"
