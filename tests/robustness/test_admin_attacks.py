"""The PaymentLink admin forms with bad input, and replay of a corrupt stored event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from recur_django.admin import product_choices
from recur_django.models import PaymentLink, WebhookEvent

ADD_URL = reverse("admin:recur_django_paymentlink_add")


@pytest.fixture
def staff(recur_emulator: Any, admin_client: Any) -> Any:
    product_choices.clear_cache()
    yield admin_client
    product_choices.clear_cache()


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


@pytest.mark.parametrize(
    "overrides",
    [
        {"metadata": "{"},
        {"metadata": "[1, 2]"},
        {"metadata": '"text"'},
        {"metadata": "NaN"},
        {"metadata": "[" * 50000 + "]" * 50000},
        {"success_url": "javascript:alert(1)"},
        {"success_url": "ftp://example.com/"},
        {"success_url": "http://" + "x" * 3000 + ".com"},
        {"success_url": "http://[::1"},
        {"max_completions": "0"},
        {"max_completions": "-3"},
        {"max_completions": "abc"},
        {"max_completions": "9" * 30},
        {"max_completions": "1e3"},
        {"product_id": "prod_unknown"},
        {"product_id": ""},
        {"collect_payment_method": "sometimes"},
        {"promotion_code": "x" * 5000},
    ],
)
def test_add_form_refuses_bad_input(staff, overrides):
    response = staff.post(ADD_URL, add_data(**overrides))
    assert response.status_code == 200, response.status_code  # the form again, with errors
    assert response.context["adminform"].form.errors
    assert not PaymentLink.objects.exists()


def test_change_form_refuses_bad_input(staff):
    assert staff.post(ADD_URL, add_data()).status_code == 302
    link = PaymentLink.objects.get()
    url = reverse("admin:recur_django_paymentlink_change", args=[link.pk])
    for overrides in (
        {"metadata": "[]"},
        {"max_completions": "9" * 30},
        {"success_url": "javascript:x"},
    ):
        data = {
            "active": "on",
            "collect_payment_method": "always",
            "promotion_code": "",
            "success_url": "",
            "max_completions": "",
            "metadata": "",
            **overrides,
        }
        response = staff.post(url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors


@pytest.mark.django_db
def test_replay_action_on_a_corrupt_stored_body(admin_client):
    WebhookEvent.objects.create(
        event_id="evt_corrupt",
        type="checkout.completed",
        body=b"\xff not json",
        headers=["not", "a", "mapping"],
        status=WebhookEvent.Status.FAILED,
        error="boom",
        traceback="Traceback",
    )
    response = admin_client.post(
        reverse("admin:recur_django_webhookevent_changelist"),
        {"action": "replay", "_selected_action": [WebhookEvent.objects.get().pk]},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("evt_corrupt" in m for m in messages), messages
    assert bytes(WebhookEvent.objects.get().body) == b"\xff not json"
    # The changelist and change page render the corrupt row.
    assert (
        admin_client.get(reverse("admin:recur_django_webhookevent_changelist")).status_code == 200
    )
    change = reverse("admin:recur_django_webhookevent_change", args=[WebhookEvent.objects.get().pk])
    assert admin_client.get(change).status_code == 200
    json.dumps(WebhookEvent.objects.get().headers)
