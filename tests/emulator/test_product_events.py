"""Product changes are events: seed, the control endpoint, the fixture and the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.models import Product
from recur_django.emulator.services import catalog
from tests.recur_helpers import run_together


def test_a_fresh_catalogue_sends_nothing_and_changes_send_product_updated(recur_emulator, api):
    assert api.get("products").status_code == 200  # seeds the empty catalogue quietly
    assert recur_emulator.events() == []
    assert recur_emulator.update_product("prod_pro_monthly", price=349) == ["price"]
    assert recur_emulator.update_product("prod_pro_monthly", price=349) == []
    [event] = recur_emulator.events()
    assert event["type"] == "product.updated"
    assert (event["data"]["id"], event["data"]["price"]) == ("prod_pro_monthly", 349)


def test_control_product_action(recur_emulator):
    catalog.ensure_products()
    archived = recur_emulator.control(action="product", id="prod_ebook", active=False)
    assert archived.status_code == 200, archived.text
    assert archived.json()["changed"] == ["active"]
    assert recur_emulator.events("product.updated")[-1]["data"]["active"] is False
    bad = recur_emulator.control(action="product", id="prod_ebook", slug="other")
    assert bad.status_code == 400
    assert recur_emulator.control(action="product", id="prod_nope").status_code == 404


def test_the_admin_edits_products_and_announces_them(recur_emulator, client):
    catalog.ensure_products()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    product = Product.objects.get(id="prod_ebook")
    url = reverse("admin:recur_emulator_product_change", args=[product.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "name": "Django billing e-book, 2nd edition",
        "description": "",
        "billing_period": "",
        "price": "650",
        "currency": "TWD",
        "trial_days": "",
        "credits": "",
        "product_family": "",
        "metadata": "{}",
        "active": "on",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    [event] = recur_emulator.events("product.updated")
    assert (event["data"]["price"], event["data"]["name"]) == (
        650,
        "Django billing e-book, 2nd edition",
    )
    add = client.post(
        reverse("admin:recur_emulator_product_add"),
        {**form, "id": "prod_new", "slug": "new", "type": "ONE_TIME", "name": "New"},
    )
    assert add.status_code == 302, add.content[:2000]
    assert recur_emulator.events("product.created")[-1]["data"]["id"] == "prod_new"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_fresh_catalogue_is_seeded_once_by_concurrent_first_requests():
    """Four first requests at once (four checkouts on a fresh emulator) all find the
    catalogue: the seeding of one is no error for the others."""
    assert not Product.objects.exists()
    run_together(lambda i: catalog.ensure_products(), 4)
    assert Product.objects.count() == len(emulator_settings.PRODUCTS)
