"""One plan per product family: HTML, JSON and REST refusals, families, the setting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from recur_django.models import Customer, Subscription, Transaction
from recur_django.plans import AlreadySubscribed, check_one_plan, held_plan
from recur_django.products import (
    ProductInfo,
    clear_cache,
    get_product,
    get_products,
    product_family,
)


def allow_multiple():
    """The rule off, on top of the RECUR settings in force (the emulator's API base)."""
    return override_settings(RECUR={**settings.RECUR, "ALLOW_MULTIPLE_SUBSCRIPTIONS": True})


@pytest.fixture
def browser(recur_emulator, user):
    client = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    client.force_login(user)
    return client


@pytest.fixture
def holds_pro(user):
    customer = Customer.objects.create(owner=user, recur_id="cus_ann", email=user.email)
    return Subscription.objects.create(
        recur_id="sub_ann",
        customer=customer,
        product_id="prod_pro_monthly",
        product_slug="pro-monthly",
        product_name="Pro (monthly)",
        status="ACTIVE",
        current_period_end=timezone.now() + timedelta(days=20),
    )


@pytest.fixture
def pro_family(recur_emulator):
    """Recur's catalogue puts both Pro plans in one family (``metadata.productFamily``)."""
    from recur_django.emulator.models import Product
    from recur_django.emulator.services.catalog import ensure_products

    ensure_products()
    Product.objects.filter(id__in=["prod_pro_monthly", "prod_pro_yearly"]).update(
        metadata={"productFamily": "pro"}
    )
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def no_family(recur_emulator):
    """Recur's catalogue names no family for the Pro plans (no ``product_family`` field and
    no ``metadata.productFamily``): each plan stands alone."""
    from recur_django.emulator.models import Product
    from recur_django.emulator.services.catalog import ensure_products

    ensure_products()
    Product.objects.filter(id__in=["prod_pro_monthly", "prod_pro_yearly"]).update(
        product_family="", metadata={}
    )
    clear_cache()
    yield
    clear_cache()


def checkout(client, product, **extra):
    return client.post(reverse("recur:checkout"), {"product": product}, **extra)


def test_html_checkout_of_a_held_plan_redirects_to_the_portal_page(browser, holds_pro):
    response = checkout(browser, "pro-monthly")
    assert response.status_code == 303
    assert response["Location"] == reverse("recur:already-subscribed") + "?product=pro-monthly"
    assert not Transaction.objects.exists()  # nothing started, nothing charged
    page = browser.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "You already have this plan" in html
    assert "Pro (monthly)" in html and f'action="{reverse("recur:portal")}"' in html
    # Said once, by the page: no flash message that a layout showing messages would repeat.
    assert html.count("You already have a subscription to this plan") == 1
    assert not list(page.context["messages"])


def test_json_checkout_of_a_held_plan_is_409(browser, holds_pro):
    response = browser.post(
        reverse("recur:checkout"), {"product": "prod_pro_monthly"}, content_type="application/json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_subscribed" and error["subscription_id"] == "sub_ann"


def test_another_family_member_is_refused_only_when_recur_names_a_family(
    browser, holds_pro, no_family
):
    assert checkout(browser, "pro-yearly").status_code == 303
    assert Transaction.objects.get().product_slug == "pro-yearly"  # no family: allowed


def test_the_same_family_is_refused(browser, holds_pro, pro_family):
    assert get_product("pro-yearly").family == "pro"
    response = checkout(browser, "pro-yearly")
    assert response["Location"].startswith(reverse("recur:already-subscribed"))
    assert held_plan(holds_pro.customer.owner, "pro-yearly") == holds_pro
    assert "Pro (monthly)" in browser.get(response["Location"]).content.decode()


def test_one_time_products_and_ended_plans_are_never_refused(browser, holds_pro, user):
    assert checkout(browser, "ebook")["Location"].startswith("http://")
    Subscription.objects.filter(pk=holds_pro.pk).update(status="EXPIRED")
    assert checkout(browser, "pro-monthly")["Location"].startswith("http://")


def test_the_setting_turns_the_rule_off(browser, holds_pro):
    with allow_multiple():
        response = checkout(browser, "pro-monthly")
    assert response.status_code == 303 and response["Location"].startswith("http://")


@pytest.mark.django_db(transaction=True)
def test_rest_buy_then_buy_again_is_409_against_the_emulator(recur_emulator):
    user = get_user_model().objects.create_user("amy", "amy@example.com", "pw")
    api = APIClient(SERVER_NAME="localhost")
    api.force_authenticate(user)
    url = reverse("recur-api:checkout-sessions")
    started = api.post(url, {"product": "pro-monthly"}, format="json")
    assert started.status_code == 201, started.content
    assert recur_emulator.pay(started.json()["checkout_session_id"]).status_code == 303
    assert recur_emulator.deliver()
    cache.clear()  # the API's throttle counts, not the rule

    again = api.post(url, {"product": "pro-monthly"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_subscribed"
    with allow_multiple():
        assert api.post(url, {"product": "pro-monthly"}, format="json").status_code == 201


def test_family_is_read_tolerantly():
    class P:
        raw = {"productFamily": "a"}
        metadata = None

    assert product_family(P()) == "a"
    P.raw, P.metadata = {}, {"baseSlug": "b"}
    assert product_family(P()) == "b"
    P.raw, P.metadata = {"product_family": "c", "metadata": {"baseSlug": "x"}}, None
    assert product_family(P()) == "c"
    P.raw, P.metadata = {}, {"productFamily": 7}
    assert product_family(P()) == ""


@pytest.mark.django_db
def test_anonymous_and_unknown_products_pass(user):
    check_one_plan(None, "pro-monthly", None)
    info = ProductInfo("prod_x", "x", "X", "SUBSCRIPTION", 1, "TWD")
    check_one_plan(user, "x", info)
    with pytest.raises(AlreadySubscribed) as refused:
        customer = Customer.objects.create(owner=user, recur_id="cus_u")
        Subscription.objects.create(
            recur_id="sub_x", customer=customer, product_id="prod_x", status="ACTIVE"
        )
        check_one_plan(user, "x", info)
    assert isinstance(refused.value, ValueError) and refused.value.status == 409


def test_already_subscribed_page_needs_a_login(client, db):
    response = client.get(reverse("recur:already-subscribed"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_family_plan_tag_for_pricing_pages(holds_pro, pro_family, user):
    from django.template import Context, Template

    from recur_django.client_factory import get_client

    products = {p.slug: p for p in get_client().products.list()}
    template = Template(
        "{% load recur %}{% current_plan user product as held %}"
        "{% family_plan user product as family %}{{ held.recur_id }}|{{ family.recur_id }}"
    )
    render = lambda slug: template.render(Context({"user": user, "product": products[slug]}))  # noqa: E731
    assert render("pro-monthly") == "sub_ann|sub_ann"
    assert render("pro-yearly") == "|sub_ann"  # same family: "switch plan", not "subscribe"
    assert render("ebook") == "|"


def test_family_plan_tag_with_the_cached_product_list(holds_pro, pro_family, user):
    """The pricing page's products usually come from get_products() (ProductInfo): the tag
    reads their family too, so a Pro (monthly) holder is offered "switch", not "subscribe"."""
    from django.template import Context, Template

    clear_cache()
    products = {p.slug: p for p in get_products()}
    assert products["pro-yearly"].family == "pro"
    template = Template(
        "{% load recur %}{% family_plan user product as family %}{{ family.recur_id }}"
    )
    render = lambda slug: template.render(Context({"user": user, "product": products[slug]}))  # noqa: E731
    assert render("pro-yearly") == "sub_ann"
    assert render("pro-monthly") == "sub_ann"
    assert render("ebook") == ""
