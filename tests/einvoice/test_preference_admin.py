"""The InvoicePreference admin: listed, searched by owner, edited with the checkout's
validation (the provider's rules included), stored normalised."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recur_django.einvoice import preferences
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.models import InvoicePreference
from tests.recur_helpers import run_together

pytestmark = pytest.mark.django_db

SANDBOX = {
    "BACKEND": "recur_django.einvoice.backends.ecpay.ECPayBackend",
    "OPTIONS": {
        "MERCHANT_ID": "2000132",
        "HASH_KEY": "ejCk326UnaZWKisg",
        "HASH_IV": "q9jcZX8Ib9LM8wYk",
        "API_BASE": "http://127.0.0.1:1/einvoice",  # never called: no existence check here
    },
}
ADD = "admin:recur_django_invoicepreference_add"
CHANGELIST = "admin:recur_django_invoicepreference_changelist"


@pytest.fixture(autouse=True)
def einvoicing(settings):
    settings.RECUR = {**settings.RECUR, "EINVOICE": SANDBOX}


def form(owner, **fields):
    data = {
        "owner": owner.pk,
        "kind": "member",
        "carrier": "",
        "love_code": "",
        "ubn": "",
        "title": "",
        "address": "",
    }
    data.update(fields)
    return data


def test_list_and_search_by_owner(staff_client, user, other_user):
    InvoicePreference.objects.create(owner=user, kind="mobile", carrier="/ABC+123")
    InvoicePreference.objects.create(owner=other_user, kind="donation", love_code="168001")
    page = staff_client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert "/ABC+123" in page.content.decode() and "168001" in page.content.decode()
    found = staff_client.get(reverse(CHANGELIST), {"q": "alice"})
    assert list(found.context["cl"].result_list) == [InvoicePreference.objects.get(owner=user)]


def test_add_stores_the_choice_normalised(staff_client, user):
    response = staff_client.post(reverse(ADD), form(user, kind="mobile", carrier=" /abc+123 "))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert InvoicePreference.objects.get(owner=user).carrier == "/ABC+123"


@pytest.mark.parametrize(
    ("fields", "error_on"),
    [
        ({"kind": "mobile"}, "carrier"),
        ({"kind": "mobile", "carrier": "ABC"}, "carrier"),
        ({"kind": "donation", "love_code": "168001", "ubn": "22099131"}, "ubn"),
        ({"kind": "company", "ubn": "22099131", "title": "Acme"}, "address"),  # ECPay's rule
        ({"kind": "company", "ubn": "12345678", "title": "Acme", "address": "X"}, "ubn"),
    ],
)
def test_edit_refuses_what_the_checkout_refuses(staff_client, user, fields, error_on):
    preference = InvoicePreference.objects.create(owner=user)
    url = reverse("admin:recur_django_invoicepreference_change", args=[preference.pk])
    data = form(user, **fields)
    del data["owner"]  # read-only once added
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert error_on in response.context["adminform"].form.errors
    preference.refresh_from_db()
    assert preference.kind == "member"


# --------------------------------------------------------- remembering under races


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_remembers_keep_one_row(user):
    """Two checkouts of one owner remembering different choices at once: one row, the
    last write's choice, no IntegrityError on the owner's one-to-one."""
    choices = [
        InvoiceChoice(kind="mobile", carrier="/ABC+123"),
        InvoiceChoice(kind="donation", love_code="168001"),
        InvoiceChoice(kind="certificate", carrier="AB12345678901234"),
        InvoiceChoice(kind="mobile", carrier="/XYZ+789"),
    ]
    run_together(lambda i: preferences.remember(user, choices[i]), len(choices))
    stored = InvoicePreference.objects.get(owner=user)
    assert stored.as_fields() in [choice.as_fields() for choice in choices]
