from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from recur_django.models import Customer, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_with_sub(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    customer = Customer.objects.create(recur_id="cus_1", email="a@example.com")
    sub = Subscription.objects.create(
        recur_id="sub_1", customer=customer, status="ACTIVE", product_slug="pro-monthly"
    )
    return client, sub


def test_list_and_search(admin_client_with_sub):
    client, _ = admin_client_with_sub
    url = reverse("admin:recur_django_subscription_changelist")
    response = client.get(url, {"q": "a@example.com"})
    assert response.status_code == 200
    assert b"sub_1" in response.content
    assert client.get(url, {"status__exact": "ACTIVE"}).status_code == 200


def test_read_only(admin_client_with_sub):
    client, sub = admin_client_with_sub
    change = reverse("admin:recur_django_subscription_change", args=[sub.pk])
    response = client.get(change)
    assert response.status_code == 200
    assert b'name="status"' not in response.content  # no editable field
    response = client.post(change, {"status": "EXPIRED"})
    assert response.status_code == 403
    sub.refresh_from_db()
    assert sub.status == "ACTIVE"
    assert client.get(reverse("admin:recur_django_subscription_add")).status_code == 403
    delete = reverse("admin:recur_django_subscription_delete", args=[sub.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Subscription.objects.filter(pk=sub.pk).exists()
