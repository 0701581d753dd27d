"""recur:checkout with the six invoice fields (e-invoicing on, against the emulator's
ECPay endpoint): each kind, each contradiction, each missing field, as a form and as
JSON; nothing written and Recur never called on a 400; the choice remembered and reused.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from recur_django.client.transport import Transport
from recur_django.einvoice import preferences
from recur_django.einvoice.backends.ecpay import ECPayBackend
from recur_django.emulator.models import CheckoutSession
from recur_django.models import EInvoice, InvoicePreference, Transaction

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
EMPTY = {
    "invoice_kind": "member",
    "invoice_carrier": "",
    "invoice_love_code": "",
    "invoice_ubn": "",
    "invoice_title": "",
    "invoice_address": "",
}
COMPANY = {
    "invoice_kind": "company",
    "invoice_ubn": "22099131",
    "invoice_title": "Recur Ltd.",
    "invoice_address": "1 Zhongshan Rd, Taipei",
}


@pytest.fixture
def einvoicing(recur_emulator, settings):
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {"BACKEND": ECPAY, "OPTIONS": recur_emulator.einvoice_options()},
    }
    return recur_emulator


@pytest.fixture
def browser(einvoicing, user):
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def recur_calls(monkeypatch):
    """Every request the Recur client sends (the e-invoice provider's are not counted)."""
    calls: list[str] = []
    original = Transport.request

    def counting(self, method, path, *args, **kwargs):
        calls.append(f"{method} {path}")
        return original(self, method, path, *args, **kwargs)

    monkeypatch.setattr(Transport, "request", counting)
    return calls


def post(client, data, *, as_json):
    url = reverse("recur:checkout")
    if as_json:
        return client.post(url, data=data, content_type="application/json")
    return client.post(url, data=data)


# --------------------------------------------------------------------- each kind


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({"invoice_kind": "member"}, {}),
        (
            {"invoice_kind": "mobile", "invoice_carrier": " /abc+123 "},
            {"invoice_carrier": "/ABC+123"},
        ),
        (
            {"invoice_kind": "certificate", "invoice_carrier": "ab12345678901234"},
            {"invoice_carrier": "AB12345678901234"},
        ),
        (
            {"invoice_kind": "donation", "invoice_love_code": "168001"},
            {"invoice_love_code": "168001"},
        ),
        (COMPANY, {k: v for k, v in COMPANY.items() if k != "invoice_kind"}),
    ],
    ids=["member", "mobile", "certificate", "donation", "company"],
)
def test_each_kind_is_stored_on_the_transaction_and_remembered(
    browser, user, sent, stored, as_json
):
    response = post(browser, {"product": "credits-100", **sent}, as_json=as_json)
    assert response.status_code == (200 if as_json else 303), response.content
    expected = {**EMPTY, "invoice_kind": sent["invoice_kind"], **stored}
    assert Transaction.objects.get().invoice_choice == expected
    assert InvoicePreference.objects.get(owner=user).as_fields() == expected


# ------------------------------------------------ invalid, contradictory, missing

INVALID = [
    ({"invoice_kind": "paper"}, "invoice_kind"),
    ({"invoice_kind": "mobile"}, "invoice_carrier"),
    ({"invoice_kind": "certificate"}, "invoice_carrier"),
    ({"invoice_kind": "donation"}, "invoice_love_code"),
    ({**COMPANY, "invoice_ubn": ""}, "invoice_ubn"),
    ({**COMPANY, "invoice_title": ""}, "invoice_title"),
    ({**COMPANY, "invoice_address": ""}, "invoice_address"),  # ECPay prints it
    ({"invoice_kind": "mobile", "invoice_carrier": "ABC1234"}, "invoice_carrier"),
    ({"invoice_kind": "certificate", "invoice_carrier": "A1234"}, "invoice_carrier"),
    ({"invoice_kind": "donation", "invoice_love_code": "12"}, "invoice_love_code"),
    ({**COMPANY, "invoice_ubn": "12345678"}, "invoice_ubn"),
    (
        {"invoice_kind": "donation", "invoice_love_code": "168001", "invoice_ubn": "22099131"},
        "invoice_ubn",
    ),
    ({**COMPANY, "invoice_carrier": "/ABC+123"}, "invoice_carrier"),
    ({**COMPANY, "invoice_love_code": "168001"}, "invoice_love_code"),
    ({"invoice_kind": "member", "invoice_carrier": "/ABC+123"}, "invoice_carrier"),
    (
        {"invoice_kind": "mobile", "invoice_carrier": "/ABC+123", "invoice_title": "X"},
        "invoice_title",
    ),
    ({"invoice_kind": "member", "invoice_address": "Taipei"}, "invoice_address"),
    ({"invoice_kind": "mobile", "invoice_carrier": "/NOTREAL"}, "invoice_carrier"),  # unknown
    ({"invoice_kind": "donation", "invoice_love_code": "000"}, "invoice_love_code"),  # unknown
]
INVALID_IDS = [
    "unknown-kind",
    "mobile-without-barcode",
    "certificate-without-number",
    "donation-without-love-code",
    "company-without-ubn",
    "company-without-title",
    "company-without-address",
    "malformed-barcode",
    "malformed-certificate",
    "malformed-love-code",
    "bad-ubn-checksum",
    "donation-with-ubn",
    "company-with-carrier",
    "company-with-love-code",
    "member-with-carrier",
    "mobile-with-title",
    "member-with-address",
    "barcode-not-registered",
    "love-code-unknown",
]


@pytest.mark.parametrize(("sent", "field"), INVALID, ids=INVALID_IDS)
def test_json_400_invalid_invoice_before_anything_is_written_or_asked(
    browser, recur_calls, sent, field
):
    response = post(browser, {"product": "credits-100", **sent}, as_json=True)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_invoice"
    assert error["message"]
    assert list(error["fields"]) == [field]
    assert all(isinstance(m, str) and m for m in error["fields"][field])
    assert recur_calls == []
    assert not Transaction.objects.exists()
    assert not InvoicePreference.objects.exists()
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize(("sent", "field"), INVALID, ids=INVALID_IDS)
def test_form_400_shows_the_invoice_form_with_its_errors(browser, recur_calls, sent, field):
    response = post(browser, {"product": "credits-100", "mode": "PAYMENT", **sent}, as_json=False)
    assert response.status_code == 400
    assert response.templates[0].name == "recur_django/checkout_invoice.html"
    form = response.context["form"]
    assert field in form.errors
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html
    assert 'name="product" value="credits-100"' in html
    assert 'name="mode" value="PAYMENT"' in html
    assert recur_calls == []
    assert not Transaction.objects.exists()
    assert not CheckoutSession.objects.exists()


def test_the_fixed_form_goes_through(browser):
    sent = {"product": "credits-100", "invoice_kind": "mobile", "invoice_carrier": "A"}
    assert post(browser, sent, as_json=False).status_code == 400
    sent["invoice_carrier"] = "/ABC+123"
    response = post(browser, sent, as_json=False)
    assert response.status_code == 303
    assert Transaction.objects.get().invoice_choice["invoice_carrier"] == "/ABC+123"


def test_a_json_number_is_read_as_its_digits(browser):
    sent = {"product": "credits-100", "invoice_kind": "donation", "invoice_love_code": 168001}
    assert post(browser, sent, as_json=True).status_code == 200
    assert Transaction.objects.get().invoice_choice["invoice_love_code"] == "168001"


def test_a_json_list_is_refused_not_crashed(browser):
    sent = {"product": "credits-100", "invoice_kind": ["mobile"]}
    response = post(browser, sent, as_json=True)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["invoice_kind"]


# ------------------------------------------------------------- remembered, reused


def test_without_fields_the_remembered_preference_is_used(browser, user, recur_emulator):
    donation = {"invoice_kind": "donation", "invoice_love_code": "168001"}
    assert post(browser, {"product": "credits-100", **donation}, as_json=True).status_code == 200
    assert post(browser, {"product": "prod_ebook"}, as_json=True).status_code == 200
    second = Transaction.objects.latest("created_at")
    assert second.invoice_choice == {**EMPTY, **donation}
    assert InvoicePreference.objects.count() == 1


def test_a_new_choice_replaces_the_remembered_one(browser, user):
    mobile = {"invoice_kind": "mobile", "invoice_carrier": "/ABC+123"}
    assert post(browser, {"product": "credits-100", **mobile}, as_json=True).status_code == 200
    assert post(browser, {"product": "prod_ebook", **COMPANY}, as_json=False).status_code == 303
    assert InvoicePreference.objects.get(owner=user).as_fields() == {**EMPTY, **COMPANY}


def test_without_fields_or_preference_the_member_default_is_stored_not_remembered(browser):
    assert post(browser, {"product": "credits-100"}, as_json=False).status_code == 303
    assert Transaction.objects.get().invoice_choice == EMPTY
    assert not InvoicePreference.objects.exists()  # the buyer chose nothing


def test_an_owner_without_email_must_choose(einvoicing, recur_calls):
    nomail = get_user_model().objects.create_user("nomail", "", "pw")
    client = Client(SERVER_NAME="localhost")
    client.force_login(nomail)
    response = post(client, {"product": "credits-100"}, as_json=True)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["invoice_kind"]
    assert recur_calls == [] and not Transaction.objects.exists()
    response = post(
        client,
        {"product": "credits-100", "invoice_kind": "mobile", "invoice_carrier": "/ABC+123"},
        as_json=True,
    )
    # ECPay mails every invoice: it refuses a buyer without an e-mail address whatever the kind.
    assert response.status_code == 400


# ----------------------------------------------------- the existence check never blocks


def test_a_barcode_check_that_cannot_tell_does_not_block(browser, einvoicing):
    einvoicing.einvoice_check_unavailable("CheckBarcode")
    sent = {"product": "credits-100", "invoice_kind": "mobile", "invoice_carrier": "/NOTREAL"}
    assert post(browser, sent, as_json=True).status_code == 200


def test_a_slow_barcode_check_is_cut_short(browser, monkeypatch):
    monkeypatch.setattr(preferences, "VERIFY_SECONDS", 0.2)

    def slow(self, code):
        time.sleep(2)
        return False

    monkeypatch.setattr(ECPayBackend, "check_barcode", slow)
    sent = {"product": "credits-100", "invoice_kind": "mobile", "invoice_carrier": "/ABC+123"}
    started = time.monotonic()
    response = post(browser, sent, as_json=True)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.5


# ------------------------------------------------------------------ e-invoicing off


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_off_the_fields_are_ignored(recur_emulator, user, as_json):
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    sent = {"product": "credits-100", "invoice_kind": "paper", "invoice_ubn": "1"}
    response = post(client, sent, as_json=as_json)
    assert response.status_code == (200 if as_json else 303)
    assert Transaction.objects.get().invoice_choice == {}
    assert not InvoicePreference.objects.exists()


# ------------------------------------------------- the choice reaches the invoices


def test_a_barcode_chosen_at_checkout_is_on_every_invoice_and_a_new_preference_on_the_next(
    browser, user, einvoicing
):
    """Chosen at checkout, paid, renewed: every invoice goes to the barcode; after the
    buyer changes the preference, the next purchase is invoiced with the new choice."""
    sent = {"product": "pro-monthly", "invoice_kind": "mobile", "invoice_carrier": "/abc+123"}
    assert post(browser, sent, as_json=False).status_code == 303
    txn = Transaction.objects.get()
    assert einvoicing.pay(txn.checkout_session_id).status_code == 303
    einvoicing.deliver()
    einvoicing.advance(days=32)
    einvoicing.deliver()
    invoices = list(EInvoice.objects.order_by("payment__paid_at"))
    assert [(i.status, i.kind, i.carrier) for i in invoices] == [
        ("issued", "mobile", "/ABC+123")
    ] * 2

    page = browser.post(
        reverse("recur:invoice-preference"),
        {"invoice_kind": "donation", "invoice_love_code": "168001"},
    )
    assert page.status_code == 303
    assert post(browser, {"product": "prod_ebook"}, as_json=True).status_code == 200
    ebook = Transaction.objects.latest("created_at")
    assert einvoicing.pay(ebook.checkout_session_id).status_code == 303
    einvoicing.deliver()
    latest = EInvoice.objects.get(payment__transaction=ebook)
    assert (latest.status, latest.kind, latest.love_code) == ("issued", "donation", "168001")
