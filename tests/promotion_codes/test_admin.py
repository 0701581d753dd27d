"""PromotionCodeAdmin through Django's test client, with the emulator serving Recur."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from recur_django import promotion_codes as service
from recur_django.models import PromotionCode
from tests.payment_links.conftest import recur_down

ADD_URL = reverse("admin:recur_django_promotioncode_add")
LIST_URL = reverse("admin:recur_django_promotioncode_changelist")
SYNC_URL = reverse("admin:recur_django_promotioncode_sync")


def add_data(coupon: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "coupon_id": coupon,
        "code": "spring20",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "max_redemptions": "",
        "max_redemptions_per_customer": "1",
        "minimum_amount": "",
        "customer_eligibility": "ALL",
        "restricted_to_customer_id": "",
        "active": "on",
        "metadata": "",
    }
    data.update(overrides)
    return data


def change_url(promo: PromotionCode) -> str:
    return reverse("admin:recur_django_promotioncode_change", args=[promo.pk])


def test_add_creates_the_code_on_recur(staff: Any, recur_emulator: Any, coupon: str) -> None:
    assert staff.get(ADD_URL).status_code == 200
    response = staff.post(
        ADD_URL,
        add_data(
            coupon,
            max_redemptions="50",
            minimum_amount="200",
            valid_until_0="2099-01-01",
            valid_until_1="00:00:00",
            metadata='{"campaign": "spring"}',
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    promo = PromotionCode.objects.get()
    assert promo.code == "SPRING20"  # typed in small letters, sent in capitals
    remote = recur_emulator.client.promotion_codes.retrieve(promo.recur_id)
    assert (remote.max_redemptions, remote.minimum_amount) == (50, 200)
    assert remote.metadata == {"campaign": "spring"}
    assert remote.valid_until == promo.valid_until is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "AB"),
        ("code", "WITH SPACE"),
        ("code", "X" * 21),
        ("coupon_id", ""),
        ("max_redemptions", "0"),
        ("minimum_amount", "-1"),
        ("metadata", "[1]"),
        ("customer_eligibility", "VIP"),
    ],
)
def test_bad_input_is_refused_without_calling_recur(
    staff: Any, recur_emulator: Any, coupon: str, field: str, value: str
) -> None:
    response = staff.post(ADD_URL, add_data(coupon, **{field: value}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert recur_emulator.client.promotion_codes.list().data == []


def test_valid_until_must_follow_valid_from(staff: Any, coupon: str) -> None:
    response = staff.post(
        ADD_URL,
        add_data(
            coupon,
            valid_from_0="2030-01-02",
            valid_from_1="00:00:00",
            valid_until_0="2030-01-01",
            valid_until_1="00:00:00",
        ),
    )
    assert "valid_until" in response.context["adminform"].form.errors


def test_recur_refusals_show_on_the_field(staff: Any, recur_emulator: Any) -> None:
    response = staff.post(ADD_URL, add_data("cpn_missing"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "HTTP 404" in str(errors["coupon_id"])
    assert "Nothing was saved" in str(errors)
    assert not PromotionCode.objects.exists()


def test_recur_down_writes_nothing(staff: Any, recur_emulator: Any, coupon: str) -> None:
    with recur_down(recur_emulator, "POST", "/v1/promotion-codes"):
        response = staff.post(ADD_URL, add_data(coupon))
    assert "Could not reach Recur" in str(response.context["adminform"].form.non_field_errors())
    assert not PromotionCode.objects.exists()


def test_change_sends_only_active_and_metadata(
    staff: Any, recur_emulator: Any, coupon: str
) -> None:
    promo = service.create_promotion_code(coupon_id=coupon, code="SPRING", max_redemptions=5)
    page = staff.get(change_url(promo))
    form = page.context["adminform"].form
    assert set(form.fields) == {"active", "metadata"}
    assert "20% off, once" in page.content.decode()
    response = staff.post(change_url(promo), {"metadata": '{"a": "b"}', "active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    remote = recur_emulator.client.promotion_codes.retrieve(promo.recur_id)
    assert remote.metadata == {"a": "b"} and remote.max_redemptions == 5


def test_delete_deactivates_and_keeps_the_row(staff: Any, recur_emulator: Any, coupon: str) -> None:
    promo = service.create_promotion_code(coupon_id=coupon, code="SPRING")
    url = reverse("admin:recur_django_promotioncode_delete", args=[promo.pk])
    confirm = staff.get(url)
    assert "does not delete promotion codes" in confirm.content.decode()
    done = staff.post(url, {"post": "yes"}, follow=True)
    assert "was deactivated on Recur" in done.content.decode()
    promo.refresh_from_db()
    assert not promo.active
    assert recur_emulator.client.promotion_codes.retrieve(promo.recur_id).active is False


def test_bulk_actions_and_sync(staff: Any, recur_emulator: Any, coupon: str) -> None:
    one = service.create_promotion_code(coupon_id=coupon, code="ONE")
    two = service.create_promotion_code(coupon_id=coupon, code="TWO")
    response = staff.post(
        LIST_URL,
        {"action": "deactivate_codes", "_selected_action": [one.pk, two.pk]},
        follow=True,
    )
    assert "Deactivated 2 promotion codes on Recur." in response.content.decode()
    again = staff.post(
        LIST_URL, {"action": "deactivate_codes", "_selected_action": [one.pk]}, follow=True
    )
    assert "Nothing to do" in again.content.decode()
    staff.post(LIST_URL, {"action": "activate_codes", "_selected_action": [one.pk]})
    assert recur_emulator.client.promotion_codes.retrieve(one.recur_id).active is True
    recur_emulator.client.promotion_codes.create(coupon_id=coupon, code="ELSEWHERE")
    synced = staff.post(SYNC_URL, follow=True)
    assert "Synced 3 promotion codes from Recur: 1 new" in synced.content.decode()
    assert PromotionCode.objects.filter(code="ELSEWHERE").exists()


def test_payment_link_form_offers_existing_codes(staff: Any, coupon: str) -> None:
    service.create_promotion_code(coupon_id=coupon, code="SPRING")
    page = staff.get(reverse("admin:recur_django_paymentlink_add"))
    html = page.content.decode()
    assert 'list="id_promotion_code_options"' in html
    assert '<option value="SPRING">SPRING — 20% off, once</option>' in html
