"""The interface's data: requests check themselves before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recur_django.einvoice.backends.base import (
    AllowanceRequest,
    EInvoiceBackend,
    InvoiceItem,
    IssueRequest,
    as_int,
    clean_reason,
)
from recur_django.einvoice.choice import InvoiceChoice

CHOICE = InvoiceChoice(email="a@x.tw")


def test_an_issue_request_and_its_tax():
    request = IssueRequest("P123abc", CHOICE, [InvoiceItem("Pro", 2, 150, 300)], 300)
    assert request.items == (InvoiceItem("Pro", 2, 150, 300),)  # a list becomes a tuple
    assert request.tax == (286, 14)


@pytest.mark.parametrize("relate", ["", "P-1", "P_1", "P" * 31, "編號1", 12])
def test_relate_numbers_are_letters_and_digits_up_to_30(relate):
    with pytest.raises(ValueError):
        IssueRequest(relate, CHOICE, (InvoiceItem("x", 1, 1, 1),), 1)


@pytest.mark.parametrize(
    ("items", "amount"),
    [
        ((), 1),
        ((InvoiceItem("x", 1, 100, 100),), 99),  # items do not add up
        ((InvoiceItem("x", 1, 100, 100),), 0),
        ((InvoiceItem("x", 1, 100, 100),), 100.0),
    ],
)
def test_amounts_must_add_up(items, amount):
    with pytest.raises(ValueError):
        IssueRequest("P1", CHOICE, items, amount)


@pytest.mark.parametrize(
    "args",
    [
        ("", 1, 1, 1),
        ("x", 0, 1, 0),
        ("x", 1, -1, -1),
        ("x", 2, 100, 150),
        ("x", 1, 1.5, 1.5),
        ("x", True, 1, 1),
    ],
)
def test_items_multiply_out(args):
    with pytest.raises(ValueError):
        InvoiceItem(*args)


def test_an_allowance_request():
    request = AllowanceRequest(
        "AB12345678", datetime(2026, 1, 1, tzinfo=UTC), "P1", 105, [InvoiceItem("r", 1, 105, 105)]
    )
    assert request.tax == (100, 5)
    with pytest.raises(ValueError):
        AllowanceRequest(
            "AB1234", datetime(2026, 1, 1, tzinfo=UTC), "P1", 1, [InvoiceItem("r", 1, 1, 1)]
        )


def test_helpers():
    assert clean_reason("  full\nrefund  ", 20) == "full refund"
    assert clean_reason("x" * 30, 20) == "x" * 20
    with pytest.raises(ValueError):
        clean_reason("   ", 20)
    assert (as_int("10"), as_int("10.0"), as_int(7), as_int(None), as_int("x", -1)) == (
        10,
        10,
        7,
        0,
        -1,
    )


def test_a_backend_must_implement_the_operations():
    class Half(EInvoiceBackend):
        def issue(self, request):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    with pytest.raises(TypeError):
        Half({})  # type: ignore[abstract]
