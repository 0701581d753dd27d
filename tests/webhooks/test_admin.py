"""Read-only admins, the replay action and its permission, the delivery-health summary."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from recur_django.models import Customer, Transaction, WebhookEvent
from tests.recur_helpers import completed_data, envelope, make_transaction, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff():
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    return user


def test_transaction_admin_is_read_only_and_searchable(client, superuser, user):
    txn = make_transaction(user)
    other = make_transaction(user)
    client.force_login(superuser)
    url = reverse("admin:recur_django_transaction_changelist")
    for term in (txn.public_id, txn.checkout_session_id):
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        assert txn.public_id in response.content.decode()
        assert other.public_id not in response.content.decode()
    response = client.get(url, {"q": "alice@example.com"})
    assert other.public_id in response.content.decode()
    assert client.get(url, {"status__exact": "pending"}).status_code == 200
    assert client.get(reverse("admin:recur_django_transaction_add")).status_code == 403
    detail = client.get(reverse("admin:recur_django_transaction_change", args=[txn.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert (
        client.post(
            reverse("admin:recur_django_transaction_delete", args=[txn.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Transaction.objects.count() == 2


def test_customer_admin(client, superuser, user):
    Customer.objects.create(recur_id="cus_admin", owner=user, email="alice@example.com")
    client.force_login(superuser)
    response = client.get(reverse("admin:recur_django_customer_changelist"), {"q": "cus_admin"})
    assert b"cus_admin" in response.content


def test_webhook_event_admin_pretty_payload_and_health(client, superuser, user):
    post_event(client, envelope("product.updated", {"id": "prod_1", "name": "Ünïcode"}))
    txn = make_transaction(user)
    post_event(client, envelope("checkout.completed", completed_data(txn, amount=1)))
    client.force_login(superuser)
    response = client.get(reverse("admin:recur_django_webhookevent_changelist"))
    assert response.status_code == 200
    health = response.context["delivery_health"]
    assert health["failed"] == 1 and health["total"] == 2
    assert health["last_received"] is not None
    assert b"recur-delivery-health" in response.content
    event = WebhookEvent.objects.get(type="product.updated")
    detail = client.get(reverse("admin:recur_django_webhookevent_change", args=[event.pk]))
    content = detail.content.decode()
    assert "<pre>" in content and "Ünïcode" in content
    assert "&quot;id&quot;: &quot;prod_1&quot;" in content  # indented JSON, escaped
    signature = event.headers["X-Recur-Signature"]
    assert signature not in content


def _replay(client, event):
    return client.post(
        reverse("admin:recur_django_webhookevent_changelist"),
        {"action": "replay", "_selected_action": [event.pk]},
        follow=True,
    )


def test_replay_action_needs_permission(client, staff, user):
    txn = make_transaction(user, amount=5)
    post_event(client, envelope("checkout.completed", completed_data(txn, amount=100)))
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    Transaction.objects.filter(pk=txn.pk).update(amount=100)
    client.force_login(staff)
    response = client.get(reverse("admin:recur_django_webhookevent_changelist"))
    assert b'value="replay"' not in response.content
    _replay(client, event)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED  # refused without the permission

    staff.user_permissions.add(Permission.objects.get(codename="replay_webhookevent"))
    staff = get_user_model().objects.get(pk=staff.pk)
    client.force_login(staff)
    response = _replay(client, event)
    assert b"Replayed 1 event" in response.content
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


# ----------------------------------------------------------------- Replay on the change page


@pytest.fixture
def failed_event(client, user):
    """A delivery refused for its amount; the operator then corrects the transaction."""
    txn = make_transaction(user, amount=5)
    post_event(client, envelope("checkout.completed", completed_data(txn, amount=100)))
    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.FAILED
    Transaction.objects.filter(pk=txn.pk).update(amount=100)
    return event


def replay_url(event):
    return reverse("admin:recur_django_webhookevent_replay", args=[event.pk])


def test_the_change_page_replays_with_a_csrf_protected_post(failed_event, superuser):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    page = browser.get(reverse("admin:recur_django_webhookevent_change", args=[failed_event.pk]))
    content = page.content.decode()
    assert f'action="{replay_url(failed_event)}"' in content and 'method="post"' in content
    assert "csrfmiddlewaretoken" in content
    assert browser.post(replay_url(failed_event)).status_code == 403  # no CSRF token
    assert browser.get(replay_url(failed_event)).status_code == 405
    token = page.context["csrf_token"]
    response = browser.post(replay_url(failed_event), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("admin:recur_django_webhookevent_change", args=[failed_event.pk])
    )
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.PROCESSED
    followed = browser.get(response["Location"])
    assert "Replayed 1 event" in followed.content.decode()


def test_the_replay_button_needs_the_replay_permission(client, failed_event, staff):
    client.force_login(staff)
    page = client.get(reverse("admin:recur_django_webhookevent_change", args=[failed_event.pk]))
    assert page.status_code == 200
    assert replay_url(failed_event) not in page.content.decode()
    assert client.post(replay_url(failed_event)).status_code == 403
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.FAILED


def test_replaying_an_unknown_event_is_a_404(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:recur_django_webhookevent_replay", args=[987654])
    assert client.post(url).status_code == 404
