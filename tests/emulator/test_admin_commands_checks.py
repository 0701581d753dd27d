from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from recur_django.emulator.checks import check_not_in_production
from recur_django.emulator.models import Event, Product

from .test_portal_and_lists import subscribe


@pytest.mark.django_db
def test_seed_is_idempotent(capsys):
    call_command("recur_emulator", "seed")
    assert "5 created, 0 updated" in capsys.readouterr().out
    assert Event.objects.filter(type="product.created").count() == 5
    call_command("recur_emulator", "seed")
    assert "0 created, 0 updated, 5 kept as they are" in capsys.readouterr().out
    assert Event.objects.filter(type="product.updated").count() == 0
    monthly = Product.objects.get(id="prod_pro_monthly")
    assert (monthly.slug, monthly.price, monthly.billing_period) == ("pro-monthly", 299, "MONTHLY")
    assert monthly.interval == ("month", 1)
    assert Product.objects.get(id="prod_pro_yearly").interval == ("year", 1)


@pytest.mark.django_db
def test_a_rerun_keeps_an_edited_product_and_update_resets_it(capsys):
    call_command("recur_emulator", "seed")
    Product.objects.filter(id="prod_ebook").update(price=490, name="Edited")
    call_command("recur_emulator", "seed")
    assert Product.objects.get(id="prod_ebook").price == 490
    capsys.readouterr()
    call_command("recur_emulator", "seed", "--update")
    assert "0 created, 1 updated, 4 unchanged" in capsys.readouterr().out
    assert (
        Product.objects.get(id="prod_ebook").price,
        Product.objects.get(id="prod_ebook").name,
    ) == (
        590,
        "Django billing e-book",
    )
    [event] = Event.objects.filter(type="product.updated")
    assert event.data["id"] == "prod_ebook" and event.data["price"] == 590


@pytest.mark.django_db
def test_seed_without_products_fails_cleanly(settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "PRODUCTS": []}
    with pytest.raises(CommandError):
        call_command("recur_emulator", "seed")


@pytest.mark.django_db
def test_advance_needs_a_positive_amount():
    with pytest.raises(CommandError):
        call_command("recur_emulator", "advance", "--days", "-1")


def test_system_check_warns_without_debug():
    with override_settings(DEBUG=False):
        assert [m.id for m in check_not_in_production()] == ["recur_emulator.W001"]
    with override_settings(DEBUG=True):
        assert check_not_in_production() == []


def test_deliver_command_and_admin_pages(recur_emulator, api, capture, client, capsys):
    subscribe(recur_emulator, api)
    call_command("recur_emulator", "deliver")
    assert "6 deliveries sent." in capsys.readouterr().out
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    for name in (
        "event",
        "webhookdelivery",
        "subscription",
        "checkoutsession",
        "customer",
        "order",
        "product",
        "paymentlink",
        "portalsession",
        "fault",
    ):
        assert client.get(f"/admin/recur_emulator/{name}/").status_code == 200, name
    from recur_django.emulator.models import WebhookDelivery

    delivery = WebhookDelivery.objects.first()
    page = client.get(f"/admin/recur_emulator/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and "received" in page.content.decode()


def test_checkout_page_in_traditional_chinese(recur_emulator, api):
    session = api.checkout("prod_ebook")
    page = recur_emulator.http.get(session["url"], headers={"Accept-Language": "zh-TW"})
    assert page.status_code == 200
    assert 'lang="zh-hant"' in page.text
    assert "NT$590" in page.text and "amy@example.com" in page.text
    assert "https://shop.example/cancel" in page.text
