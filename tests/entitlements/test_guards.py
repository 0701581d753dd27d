from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.views import View

from recur_django.models import Customer, Subscription
from recur_django.views.guards import SubscriptionRequiredMixin, subscription_required
from tests.settings import RECUR

pytestmark = pytest.mark.django_db


@subscription_required("pro-monthly")
def premium(request):
    return HttpResponse("premium content")


@subscription_required("pro-monthly", redirect_url="/plans/")
def premium_custom(request):
    return HttpResponse("premium content")


class PremiumView(SubscriptionRequiredMixin, View):
    required_product = ["pro-monthly", "pro-yearly"]

    def get(self, request):
        return HttpResponse("premium view")


@pytest.fixture
def user():
    return get_user_model().objects.create_user("sam", "sam@example.com", "pw")


@pytest.fixture
def subscribed(user):
    customer = Customer.objects.create(owner=user, recur_id="cus_sam")
    Subscription.objects.create(
        recur_id="sub_sam", customer=customer, product_slug="pro-yearly", status="ACTIVE"
    )
    Subscription.objects.create(
        recur_id="sub_sam2", customer=customer, product_slug="pro-monthly", status="ACTIVE"
    )
    return user


def request_for(user, **headers):
    request = RequestFactory().get("/premium/", **headers)
    request.user = user
    return request


def test_entitled_user_passes(subscribed):
    assert premium(request_for(subscribed)).content == b"premium content"
    assert PremiumView.as_view()(request_for(subscribed)).content == b"premium view"


@pytest.mark.parametrize("who", ["anonymous", "unsubscribed"])
def test_others_are_redirected_to_pricing(user, who):
    target = AnonymousUser() if who == "anonymous" else user
    with override_settings(RECUR={**RECUR, "PRICING_URL": "/pricing/"}):
        response = premium(request_for(target))
        assert response.status_code == 302
        assert response["Location"] == "/pricing/"
        response = PremiumView.as_view()(request_for(target))
        assert response.status_code == 302
        assert response["Location"] == "/pricing/"


def test_pricing_url_may_be_a_url_name(user):
    with override_settings(RECUR={**RECUR, "PRICING_URL": "admin:index"}):
        assert premium(request_for(user))["Location"] == "/admin/"


def test_redirect_url_argument_wins(user):
    assert premium_custom(request_for(user))["Location"] == "/plans/"


def test_json_clients_get_403(user):
    response = premium(request_for(user, HTTP_ACCEPT="application/json"))
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "subscription_required"


def test_decorator_without_parentheses_is_a_clear_error():
    with pytest.raises(TypeError):
        subscription_required(premium)


def test_the_guards_have_one_home():
    """Before 1.0 a public name has one home: the guards are not re-exported."""
    import recur_django.entitlements as entitlements

    for name in ("subscription_required", "SubscriptionRequiredMixin", "denied_response"):
        assert not hasattr(entitlements, name)
