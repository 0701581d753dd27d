"""recur:invoice-preference (the page) and GET/PUT invoice-preference/ (REST): the same
validation as the checkout, saved as the owner's InvoicePreference; off -> 404."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.models import InvoicePreference, Transaction

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
PAGE = "recur:invoice-preference"
API = "recur-api:invoice-preference"
MOBILE = {"invoice_kind": "mobile", "invoice_carrier": "/abc+123"}
EMPTY = {
    "invoice_kind": "member",
    "invoice_carrier": "",
    "invoice_love_code": "",
    "invoice_ubn": "",
    "invoice_title": "",
    "invoice_address": "",
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
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(einvoicing, user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# ----------------------------------------------------------------------- the page


def test_page_shows_the_defaults_then_the_saved_choice(browser, user):
    page = browser.get(reverse(PAGE))
    assert page.status_code == 200
    assert page.templates[0].name == "recur_django/invoice_preference.html"
    assert page.context["form"].initial == EMPTY
    saved = browser.post(reverse(PAGE), MOBILE)
    assert saved.status_code == 303 and saved["Location"].endswith("?saved=1")
    stored = InvoicePreference.objects.get(owner=user)
    assert (stored.kind, stored.carrier) == ("mobile", "/ABC+123")
    page = browser.get(saved["Location"])
    assert page.context["saved"] is True
    assert page.context["form"].initial["invoice_carrier"] == "/ABC+123"
    assert 'value="/ABC+123"' in page.content.decode()


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"invoice_kind": "mobile"}, "invoice_carrier"),
        ({"invoice_kind": "donation", "invoice_love_code": "1"}, "invoice_love_code"),
        ({"invoice_kind": "donation", "invoice_love_code": "000"}, "invoice_love_code"),
        ({"invoice_kind": "company", "invoice_ubn": "22099131"}, "invoice_title"),
        ({"invoice_kind": "member", "invoice_ubn": "22099131"}, "invoice_ubn"),
    ],
)
def test_page_refuses_what_the_checkout_refuses(browser, sent, field):
    page = browser.post(reverse(PAGE), sent)
    assert page.status_code == 400
    assert field in page.context["form"].errors
    assert not InvoicePreference.objects.exists()


def test_page_needs_login(einvoicing):
    response = Client().get(reverse(PAGE))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_page_is_404_with_a_message_when_einvoicing_is_off(client, user):
    client.force_login(user)
    page = client.get(reverse(PAGE))
    assert page.status_code == 404
    assert "does not issue e-invoices" in page.content.decode()
    assert client.post(reverse(PAGE), MOBILE).status_code == 404
    assert not InvoicePreference.objects.exists()


# ----------------------------------------------------------------------- the REST API


def test_api_get_put_get(api, user):
    answer = api.get(reverse(API))
    assert answer.status_code == 200
    assert answer.json() == {**EMPTY, "updated_at": None}
    answer = api.put(reverse(API), MOBILE, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["invoice_kind"] == "mobile" and body["invoice_carrier"] == "/ABC+123"
    assert body["updated_at"]
    assert api.get(reverse(API)).json() == body
    assert InvoicePreference.objects.get(owner=user).carrier == "/ABC+123"


def test_api_put_invalid_is_400_invalid_invoice(api):
    answer = api.put(
        reverse(API),
        {"invoice_kind": "donation", "invoice_love_code": "168001", "invoice_ubn": "22099131"},
        format="json",
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_invoice" and error["message"]
    assert list(error["fields"]) == ["invoice_ubn"]
    assert not InvoicePreference.objects.exists()


def test_api_put_a_non_object_is_400_not_a_crash(api):
    answer = api.put(reverse(API), ["mobile"], format="json")
    assert answer.status_code == 400


@pytest.mark.django_db
def test_api_needs_authentication_and_is_404_when_off(user):
    client = APIClient()
    assert client.get(reverse(API)).status_code == 401
    client.force_authenticate(user)
    answer = client.get(reverse(API))
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "einvoice_disabled")
    answer = client.put(reverse(API), MOBILE, format="json")
    assert answer.status_code == 404


def test_api_checkout_session_accepts_the_fields(api, user):
    url = reverse("recur-api:checkout-sessions")
    refused = api.post(url, {"product": "credits-100", "invoice_kind": "mobile"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_invoice"
    assert list(refused.json()["error"]["fields"]) == ["invoice_carrier"]
    started = api.post(url, {"product": "credits-100", **MOBILE}, format="json")
    assert started.status_code == 201, started.content
    txn = Transaction.objects.get()
    assert txn.invoice_choice == {**EMPTY, **MOBILE, "invoice_carrier": "/ABC+123"}
    assert InvoicePreference.objects.get(owner=user).kind == "mobile"


def test_a_user_without_email_sees_why(einvoicing):
    nomail = get_user_model().objects.create_user("nomail", "", "pw")
    client = APIClient()
    client.force_authenticate(nomail)
    answer = client.put(reverse(API), {"invoice_kind": "member"}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == ["invoice_kind"]
