"""PaymentLinkAdmin through Django's test client, with the emulator serving Recur."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from recur_django import payment_links as service
from recur_django.admin import product_choices
from recur_django.client_factory import get_client
from recur_django.models import PaymentLink
from tests.payment_links.conftest import recur_down, seed_links

ADD_URL = reverse("admin:recur_django_paymentlink_add")
LIST_URL = reverse("admin:recur_django_paymentlink_changelist")


def change_url(link: PaymentLink) -> str:
    return reverse("admin:recur_django_paymentlink_change", args=[link.pk])


def delete_url(link: PaymentLink) -> str:
    return reverse("admin:recur_django_paymentlink_delete", args=[link.pk])


def add_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "product_id": "prod_ebook",
        "collect_payment_method": "always",
        "promotion_code": "",
        "success_url": "",
        "max_completions": "",
        "metadata": "",
    }
    data.update(overrides)
    return data


def change_data(link: PaymentLink, **overrides: Any) -> dict[str, Any]:
    data = {
        "active": "on" if link.active else "",
        "collect_payment_method": link.collect_payment_method,
        "promotion_code": link.promotion_code,
        "success_url": link.success_url,
        "max_completions": link.max_completions or "",
        "metadata": json.dumps(link.metadata) if link.metadata else "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False}


# -- add ----------------------------------------------------------------------------


def test_add_form_lists_recur_products(staff: Any) -> None:
    page = staff.get(ADD_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Django billing e-book — NT$590" in html
    assert 'value="prod_pro_monthly"' in html


def test_add_creates_the_link_on_recur_and_stores_the_response(
    staff: Any, recur_emulator: Any
) -> None:
    response = staff.post(
        ADD_URL,
        add_data(
            promotion_code="SPRING",
            collect_payment_method="if_required",
            success_url="https://shop.example/thanks",
            max_completions="10",
            metadata='{"campaign": "spring"}',
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    link = PaymentLink.objects.get()
    remote = recur_emulator.client.payment_links.retrieve(link.recur_id)
    assert remote.product_id == "prod_ebook"
    assert remote.promotion_code == "SPRING"
    assert remote.collect_payment_method == "if_required"
    assert remote.success_url == "https://shop.example/thanks"
    assert remote.max_completions == 10
    assert remote.metadata == {"campaign": "spring"}
    assert (link.url, link.product_price, link.max_completions) == (remote.url, 590, 10)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("success_url", "not a url"),
        ("success_url", "ftp://shop.example/file"),
        ("success_url", "javascript:alert(1)"),
        ("metadata", "{not json"),
        ("metadata", '["a", "list"]'),
        ("metadata", '"a string"'),
        ("max_completions", "0"),
        ("product_id", "prod_not_listed"),
    ],
)
def test_add_rejects_bad_input_without_calling_recur(
    staff: Any, recur_emulator: Any, field: str, value: str
) -> None:
    response = staff.post(ADD_URL, add_data(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not PaymentLink.objects.exists()
    assert recur_emulator.client.payment_links.list(limit=10).data == []


def test_add_shows_recur_refusal_as_form_error(staff: Any, recur_emulator: Any) -> None:
    # A product archived on Recur after the product list was cached: Recur answers 404.
    cache.set(
        product_choices.CACHE_KEY,
        [
            {
                "id": "prod_archived",
                "name": "Old",
                "slug": "old",
                "type": "ONE_TIME",
                "amount": 10,
                "currency": "TWD",
                "trial_days": 0,
            }
        ],
    )
    response = staff.post(ADD_URL, add_data(product_id="prod_archived"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "HTTP 404" in str(errors["product_id"]) and "prod_archived" in str(errors)
    assert not PaymentLink.objects.exists()
    assert recur_emulator.client.payment_links.list(limit=10).data == []


def test_add_when_recur_fails_with_500(staff: Any, recur_emulator: Any) -> None:
    staff.get(ADD_URL)  # products now cached
    recur_emulator.fault("500", count=5)
    response = staff.post(ADD_URL, add_data())
    assert response.status_code == 200
    assert "HTTP 500" in str(response.context["adminform"].form.non_field_errors())
    assert not PaymentLink.objects.exists()


def test_add_when_products_cannot_load(staff: Any, recur_emulator: Any) -> None:
    with recur_down(recur_emulator, "GET", "/v1/products"):
        page = staff.get(ADD_URL)
        assert page.status_code == 200
        assert "Could not load products from Recur" in page.content.decode()
        response = staff.post(ADD_URL, add_data())
    assert response.status_code == 200
    assert "Could not load products from Recur" in str(
        response.context["adminform"].form.errors["product_id"]
    )
    assert not PaymentLink.objects.exists()


def test_add_when_recur_is_down_during_save_writes_nothing(staff: Any, recur_emulator: Any) -> None:
    staff.get(ADD_URL)  # products now cached
    with recur_down(recur_emulator, "POST", "/v1/payment-links"):
        response = staff.post(ADD_URL, add_data())
    assert response.status_code == 200
    assert "Could not reach Recur" in str(response.context["adminform"].form.non_field_errors())
    assert not PaymentLink.objects.exists()
    assert recur_emulator.client.payment_links.list(limit=10).data == []


# -- change -------------------------------------------------------------------------


def test_change_patches_only_changed_fields_and_clears_with_null(
    staff: Any, recur_emulator: Any
) -> None:
    link = service.create_payment_link(
        product_id="prod_ebook", promotion_code="SPRING", metadata={"a": "1"}
    )
    response = staff.post(
        change_url(link), change_data(link, promotion_code="", max_completions="3")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    remote = recur_emulator.client.payment_links.retrieve(link.recur_id)
    assert remote.promotion_code is None
    assert remote.max_completions == 3
    assert remote.metadata == {"a": "1"}
    link.refresh_from_db()
    assert (link.promotion_code, link.max_completions) == ("", 3)


def test_change_page_shows_recur_fields_read_only(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_pro_monthly")
    page = staff.get(change_url(link))
    assert page.status_code == 200
    form = page.context["adminform"].form
    for name in ("recur_id", "url", "url_id", "product_id", "view_count", "completed_count"):
        assert name not in form.fields
    html = page.content.decode()
    assert link.url in html and "NT$299" in html and "recur-copy" in html


def test_change_when_recur_is_down_keeps_local_row(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook", promotion_code="SPRING")
    with recur_down(recur_emulator, "PATCH", "/v1/payment-links/.*"):
        response = staff.post(change_url(link), change_data(link, promotion_code="OTHER"))
    assert response.status_code == 200
    assert "Could not reach Recur" in str(response.context["adminform"].form.non_field_errors())
    link.refresh_from_db()
    assert link.promotion_code == "SPRING"
    assert recur_emulator.client.payment_links.retrieve(link.recur_id).promotion_code == "SPRING"


def test_change_metadata_must_stay_an_object(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    response = staff.post(change_url(link), change_data(link, metadata="[1, 2]"))
    assert response.status_code == 200
    assert "metadata" in response.context["adminform"].form.errors


# -- delete = deactivate ------------------------------------------------------------


def test_delete_confirmation_says_it_deactivates(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    page = staff.get(delete_url(link))
    assert page.status_code == 200
    html = page.content.decode()
    assert "deactivates" in html and "Yes, deactivate it" in html


def test_delete_deactivates_on_recur_and_keeps_the_record(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    response = staff.post(delete_url(link), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "deactivated on Recur" in response.content.decode()
    assert recur_emulator.client.payment_links.retrieve(link.recur_id).active is False
    link.refresh_from_db()
    assert link.active is False


def test_delete_when_recur_is_down_changes_nothing(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    with recur_down(recur_emulator, "DELETE", "/v1/payment-links/.*"):
        response = staff.post(delete_url(link), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Could not reach Recur" in response.content.decode()
    link.refresh_from_db()
    assert link.active is True
    assert recur_emulator.client.payment_links.retrieve(link.recur_id).active is True


# -- list and actions ---------------------------------------------------------------


def test_list_shows_url_copy_button_price_and_completions(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook", max_completions=50)
    page = staff.get(LIST_URL)
    html = page.content.decode()
    assert f'href="{link.url}"' in html
    assert f'data-copy="{link.url}"' in html
    assert "NT$590" in html and "0 / 50" in html
    assert "Sync from Recur" in html


def test_list_search_and_filters(staff: Any, recur_emulator: Any) -> None:
    ebook = service.create_payment_link(product_id="prod_ebook")
    pro = service.create_payment_link(product_id="prod_pro_monthly")
    service.deactivate_payment_link(pro)
    found = staff.get(LIST_URL, {"q": "e-book"}).context["cl"].result_list
    assert list(found) == [ebook]
    inactive = staff.get(LIST_URL, {"active__exact": "0"}).context["cl"].result_list
    assert [link.pk for link in inactive] == [pro.pk]
    by_product = staff.get(LIST_URL, {"product": "prod_pro_monthly"}).context["cl"].result_list
    assert [link.pk for link in by_product] == [pro.pk]


def _action(staff: Any, action: str, links: list[PaymentLink]) -> Any:
    return staff.post(
        LIST_URL,
        {"action": action, "_selected_action": [link.pk for link in links]},
        follow=True,
    )


def test_bulk_deactivate_and_activate(staff: Any, recur_emulator: Any) -> None:
    links = [service.create_payment_link(product_id="prod_ebook") for _ in range(2)]
    page = _action(staff, "deactivate_links", links)
    assert "Deactivated 2 payment links on Recur." in page.content.decode()
    assert all(
        not recur_emulator.client.payment_links.retrieve(link.recur_id).active for link in links
    )
    assert not PaymentLink.objects.filter(active=True).exists()
    page = _action(staff, "activate_links", links)
    assert "Activated 2 payment links on Recur." in page.content.decode()
    assert all(recur_emulator.client.payment_links.retrieve(link.recur_id).active for link in links)
    assert PaymentLink.objects.filter(active=True).count() == 2


def test_bulk_action_reports_recur_errors(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    with recur_down(recur_emulator, "DELETE", "/v1/payment-links/.*"):
        page = _action(staff, "deactivate_links", [link])
    assert page.status_code == 200
    assert "Could not reach Recur" in page.content.decode()
    link.refresh_from_db()
    assert link.active is True


def test_sync_action_and_button(staff: Any, recur_emulator: Any) -> None:
    ids = seed_links(recur_emulator, 3)
    page = staff.post(reverse("admin:recur_django_paymentlink_sync"), follow=True)
    assert page.status_code == 200
    assert "Synced 3 payment links from Recur" in page.content.decode()
    assert set(PaymentLink.objects.values_list("recur_id", flat=True)) == set(ids)
    recur_emulator.client.payment_links.update(ids[0], promotion_code="LATE")
    page = _action(staff, "sync_from_recur", list(PaymentLink.objects.all()[:1]))
    assert "1 updated" in page.content.decode()
    assert PaymentLink.objects.get(recur_id=ids[0]).promotion_code == "LATE"


def test_sync_action_when_recur_is_down(staff: Any, recur_emulator: Any) -> None:
    with recur_down(recur_emulator, "GET", "/v1/payment-links"):
        page = staff.post(reverse("admin:recur_django_paymentlink_sync"), follow=True)
    assert page.status_code == 200
    assert "Could not reach Recur" in page.content.decode()


def test_forget_only_removes_links_missing_from_recur(staff: Any, recur_emulator: Any) -> None:
    kept = service.create_payment_link(product_id="prod_ebook")
    gone = PaymentLink.objects.create(
        recur_id="pl_gone", product_id="prod_ebook", missing_from_recur=True
    )
    _action(staff, "forget_missing_links", [kept, gone])
    assert list(PaymentLink.objects.values_list("pk", flat=True)) == [kept.pk]


def test_delete_selected_is_replaced_by_deactivate(staff: Any, recur_emulator: Any) -> None:
    service.create_payment_link(product_id="prod_ebook")
    actions = dict(staff.get(LIST_URL).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"activate_links", "deactivate_links", "sync_from_recur"} <= set(actions)


def test_unchanged_save_makes_no_recur_call(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    assert 'name="metadata"' in staff.get(ADD_URL).content.decode()
    assert ">null<" not in staff.get(change_url(link)).content.decode()
    client = get_client()
    with mock.patch.object(
        client.payment_links, "update", wraps=client.payment_links.update
    ) as spy:
        response = staff.post(change_url(link), change_data(link))
    assert response.status_code == 302
    spy.assert_not_called()
