"""validate_invoice_choice: each kind's fields, contradictions, the backend's own rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import translation

from recur_django.einvoice.backends.base import EInvoiceBackend
from recur_django.einvoice.choice import (
    FIELDS,
    InvoiceChoice,
    InvoiceKind,
    validate_invoice_choice,
)

EMAIL = "amy@example.com"


class StubBackend(EInvoiceBackend):
    """Only the choice hooks matter here."""

    name = "stub"

    def __init__(self, rules: dict[str, Any] | None = None, exists: bool | None = None) -> None:
        super().__init__({})
        self.rules = rules or {}
        self.exists = exists
        self.asked: list[str] = []

    def validate_choice(self, choice):
        return self.rules

    def check_barcode(self, code):
        self.asked.append(code)
        return self.exists

    def check_love_code(self, code):
        self.asked.append(code)
        return self.exists

    def issue(self, request):
        raise NotImplementedError

    def query(self, relate_number, *, amount=None):
        raise NotImplementedError

    def void(self, number, issued_at, reason):
        raise NotImplementedError

    def allowance(self, request):
        raise NotImplementedError

    def void_allowance(self, invoice_number, allowance_number, reason):
        raise NotImplementedError


def errors_of(data: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    kwargs.setdefault("email", EMAIL)
    kwargs.setdefault("backend", StubBackend())
    with pytest.raises(ValidationError) as info:
        validate_invoice_choice(data, **kwargs)
    return info.value.message_dict


def codes_of(data: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    kwargs.setdefault("email", EMAIL)
    kwargs.setdefault("backend", StubBackend())
    with pytest.raises(ValidationError) as info:
        validate_invoice_choice(data, **kwargs)
    return {
        field: [error.code or "" for error in errors]
        for field, errors in info.value.error_dict.items()
    }


def valid(data: dict[str, Any], **kwargs: Any) -> InvoiceChoice:
    kwargs.setdefault("email", EMAIL)
    kwargs.setdefault("backend", StubBackend())
    return validate_invoice_choice(data, **kwargs)


# --- each kind ------------------------------------------------------------------------


def test_member_is_the_default():
    choice = valid({}, name=" Amy ")
    assert choice == InvoiceChoice(kind="member", email=EMAIL, name="Amy")
    assert not choice.is_b2b and not choice.is_printed and not choice.is_donation


def test_empty_fields_count_as_missing():
    assert valid(dict.fromkeys(FIELDS, "")).kind == "member"


def test_mobile_barcode_is_normalised():
    choice = valid({"invoice_kind": "mobile", "invoice_carrier": " /abc+123 "})
    assert (choice.kind, choice.carrier) == ("mobile", "/ABC+123")


def test_certificate():
    choice = valid({"invoice_kind": "Certificate", "invoice_carrier": "ab12345678901234"})
    assert (choice.kind, choice.carrier) == ("certificate", "AB12345678901234")


def test_donation():
    choice = valid({"invoice_kind": "donation", "invoice_love_code": 168001})
    assert (choice.kind, choice.love_code, choice.is_donation) == ("donation", "168001", True)


def test_company():
    choice = valid(
        {
            "invoice_kind": "company",
            "invoice_ubn": "10000004",
            "invoice_title": " 範例股份有限公司 ",
            "invoice_address": "臺北市信義區市府路1號",
        }
    )
    assert choice.is_b2b and choice.is_printed
    assert (choice.ubn, choice.title, choice.address) == (
        "10000004",
        "範例股份有限公司",
        "臺北市信義區市府路1號",
    )


def test_a_query_dict_from_an_html_form():
    data = QueryDict(mutable=True)
    data.update({"invoice_kind": "mobile", "invoice_carrier": "/ABC+123"})
    assert valid(data).carrier == "/ABC+123"


def test_as_fields_round_trips():
    choice = valid({"invoice_kind": "donation", "invoice_love_code": "8585"})
    fields = choice.as_fields()
    assert list(fields) == list(FIELDS)
    assert fields["invoice_love_code"] == "8585"
    assert valid(fields) == choice


def test_with_buyer():
    choice = valid({}).with_buyer(email=" new@example.com ")
    assert choice.email == "new@example.com" and choice.kind == "member"


# --- refusals -------------------------------------------------------------------------


def test_unknown_kind():
    assert codes_of({"invoice_kind": "paper"}) == {"invoice_kind": ["invalid_choice"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"invoice_kind": "mobile"}, "invoice_carrier"),
        ({"invoice_kind": "certificate"}, "invoice_carrier"),
        ({"invoice_kind": "donation"}, "invoice_love_code"),
        ({"invoice_kind": "company", "invoice_title": "ACME"}, "invoice_ubn"),
        ({"invoice_kind": "company", "invoice_ubn": "22099131"}, "invoice_title"),
    ],
)
def test_each_kind_requires_its_fields(data, field):
    assert codes_of(data) == {field: ["required"]}


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (
            {"invoice_kind": "mobile", "invoice_carrier": "/ABC"},
            "invoice_carrier",
            "invalid_mobile_barcode",
        ),
        (
            {"invoice_kind": "certificate", "invoice_carrier": "/ABC+123"},
            "invoice_carrier",
            "invalid_citizen_certificate",
        ),
        (
            {"invoice_kind": "donation", "invoice_love_code": "12"},
            "invoice_love_code",
            "invalid_love_code",
        ),
        (
            {"invoice_kind": "company", "invoice_ubn": "12345678", "invoice_title": "ACME"},
            "invoice_ubn",
            "invalid_ubn",
        ),
    ],
)
def test_malformed_values(data, field, code):
    assert codes_of(data) == {field: [code]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # donation + UBN
        (
            {"invoice_kind": "donation", "invoice_love_code": "168001", "invoice_ubn": "22099131"},
            "invoice_ubn",
        ),
        # a carrier on a printed company invoice
        (
            {
                "invoice_kind": "company",
                "invoice_ubn": "22099131",
                "invoice_title": "ACME",
                "invoice_carrier": "/ABC+123",
            },
            "invoice_carrier",
        ),
        # a company invoice cannot be donated
        (
            {
                "invoice_kind": "company",
                "invoice_ubn": "22099131",
                "invoice_title": "ACME",
                "invoice_love_code": "168001",
            },
            "invoice_love_code",
        ),
        # a UBN on a carrier invoice
        (
            {"invoice_kind": "mobile", "invoice_carrier": "/ABC+123", "invoice_ubn": "22099131"},
            "invoice_ubn",
        ),
        # donation + carrier
        (
            {
                "invoice_kind": "donation",
                "invoice_love_code": "168001",
                "invoice_carrier": "/ABC+123",
            },
            "invoice_carrier",
        ),
        # member carrier with a number
        ({"invoice_kind": "member", "invoice_carrier": "/ABC+123"}, "invoice_carrier"),
        (
            {
                "invoice_kind": "mobile",
                "invoice_carrier": "/ABC+123",
                "invoice_love_code": "168001",
            },
            "invoice_love_code",
        ),
        ({"invoice_kind": "member", "invoice_title": "ACME"}, "invoice_title"),
        (
            {
                "invoice_kind": "donation",
                "invoice_love_code": "168001",
                "invoice_address": "Taipei",
            },
            "invoice_address",
        ),
    ],
)
def test_contradictions(data, field):
    assert codes_of(data) == {field: ["not_allowed"]}


def test_every_problem_is_reported_at_once():
    errors = codes_of(
        {"invoice_kind": "company", "invoice_ubn": "1", "invoice_carrier": "/ABC+123"}
    )
    assert errors == {
        "invoice_carrier": ["not_allowed"],
        "invoice_ubn": ["invalid_ubn"],
        "invoice_title": ["required"],
    }


def test_a_member_carrier_needs_an_email():
    assert codes_of({}, email="") == {"invoice_kind": ["email_required"]}
    # other kinds do not (the backend may say otherwise)
    assert valid({"invoice_kind": "donation", "invoice_love_code": "8585"}, email="").email == ""


def test_lengths():
    errors = codes_of(
        {
            "invoice_kind": "company",
            "invoice_ubn": "22099131",
            "invoice_title": "x" * 61,
            "invoice_address": "y" * 101,
        }
    )
    assert errors == {"invoice_title": ["max_length"], "invoice_address": ["max_length"]}


@pytest.mark.parametrize("value", [["/ABC+123"], {"a": 1}, True, 1.5])
def test_values_that_are_not_text(value):
    assert codes_of({"invoice_kind": "mobile", "invoice_carrier": value}) == {
        "invoice_carrier": ["invalid"]
    }


@translation.override("en")
def test_messages_name_the_fields():
    errors = errors_of(
        {"invoice_kind": "donation", "invoice_love_code": "168001", "invoice_ubn": "22099131"}
    )
    assert "unified business number" in errors["invoice_ubn"][0]


# --- the backend's rules and existence checks -------------------------------------------


def test_backend_rules_are_added_under_their_fields():
    backend = StubBackend(
        rules={"invoice_address": "Give the address.", "invoice_kind": ["a", "b"]}
    )
    errors = codes_of({}, backend=backend)
    assert errors == {
        "invoice_address": ["provider_rule"],
        "invoice_kind": ["provider_rule", "provider_rule"],
    }


def test_backend_rules_run_only_on_a_well_formed_choice():
    backend = StubBackend(rules={"invoice_address": "never shown"})
    assert codes_of({"invoice_kind": "mobile"}, backend=backend) == {
        "invoice_carrier": ["required"]
    }


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        (
            {"invoice_kind": "mobile", "invoice_carrier": "/ABC+123"},
            "invoice_carrier",
            "unknown_mobile_barcode",
        ),
        (
            {"invoice_kind": "donation", "invoice_love_code": "8585"},
            "invoice_love_code",
            "unknown_love_code",
        ),
    ],
)
def test_verify_refuses_what_the_provider_does_not_know(data, field, code):
    backend = StubBackend(exists=False)
    assert codes_of(data, backend=backend, verify=True) == {field: [code]}
    assert valid(data, backend=StubBackend(exists=True), verify=True).kind == data["invoice_kind"]


def test_verify_never_blocks_when_the_check_is_unavailable():
    backend = StubBackend(exists=None)
    choice = valid(
        {"invoice_kind": "mobile", "invoice_carrier": "/ABC+123"}, backend=backend, verify=True
    )
    assert choice.carrier == "/ABC+123" and backend.asked == ["/ABC+123"]


def test_no_check_without_verify():
    backend = StubBackend(exists=False)
    valid({"invoice_kind": "mobile", "invoice_carrier": "/ABC+123"}, backend=backend)
    assert backend.asked == []


def test_kind_choices_for_forms():
    assert InvoiceKind.values == ["member", "mobile", "certificate", "donation", "company"]
