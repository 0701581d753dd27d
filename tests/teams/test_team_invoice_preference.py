"""A team's e-invoice choice: its billing admin chooses it at checkout and on the
preference page (it is the team's, keyed by the team's billing e-mail); a member without
billing rights is refused (403 billing_forbidden) on the page, in the REST API and at
checkout, before any invoice field is read or saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django.models import InvoicePreference, Transaction
from tests.teams.conftest import browser_for

pytestmark = pytest.mark.django_db(transaction=True)

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
COMPANY = {
    "invoice_kind": "company",
    "invoice_ubn": "22099131",
    "invoice_title": "Acme Ltd.",
    "invoice_address": "1 Zhongshan Rd, Taipei",
}


@pytest.fixture
def einvoicing(recur_emulator, settings):
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {"BACKEND": ECPAY, "OPTIONS": recur_emulator.einvoice_options()},
    }
    return recur_emulator


def test_the_admin_chooses_for_the_team(einvoicing, acme, ada):
    admin = browser_for(ada, acme)
    response = admin.post(reverse("recur:checkout"), {"product": "credits-100", **COMPANY})
    assert response.status_code == 303
    assert Transaction.objects.get(owner_id=acme.pk).invoice_choice["invoice_ubn"] == "22099131"
    preference = InvoicePreference.objects.get()
    assert preference.owner == acme and preference.title == "Acme Ltd."
    page = admin.get(reverse("recur:invoice-preference"))
    assert page.status_code == 200
    assert page.context["form"].initial["invoice_ubn"] == "22099131"


def test_a_member_without_billing_rights_is_refused(einvoicing, acme, ada, max_):
    member = browser_for(max_, acme)
    page = member.get(reverse("recur:invoice-preference"))
    assert page.status_code == 403
    assert page.templates[0].name == "recur_django/billing_forbidden.html"
    assert member.post(reverse("recur:invoice-preference"), COMPANY).status_code == 403
    checkout = member.post(
        reverse("recur:checkout"),
        {"product": "credits-100", "invoice_kind": "paper"},
        content_type="application/json",
    )
    assert (checkout.status_code, checkout.json()["error"]["code"]) == (403, "billing_forbidden")

    api = APIClient()
    api.force_login(max_)
    for method in ("get", "put"):
        answer = getattr(api, method)(
            reverse("recur-api:invoice-preference"), COMPANY, format="json"
        )
        assert answer.status_code == 403, method
        assert answer.json()["error"]["code"] == "billing_forbidden"
    assert not InvoicePreference.objects.exists()
    assert not Transaction.objects.exists()
