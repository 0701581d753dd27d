from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from recur_django.models import Customer, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    user = get_user_model().objects.create_user("tina", "tina@example.com", "pw")
    customer = Customer.objects.create(owner=user, recur_id="cus_tina")
    Subscription.objects.create(
        recur_id="sub_tina", customer=customer, product_slug="pro-monthly", status="ACTIVE"
    )
    return user


def render(source, user):
    return Template("{% load recur %}" + source).render(Context({"user": user})).strip()


def test_tag_with_as(user):
    source = '{% has_entitlement user "pro-monthly" as ok %}{% if ok %}yes{% else %}no{% endif %}'
    assert render(source, user) == "yes"
    assert render(source.replace("pro-monthly", "ebook"), user) == "no"
    assert render(source, AnonymousUser()) == "no"


def test_tag_with_several_products(user):
    source = '{% has_entitlement user "ebook" "pro-monthly" as ok %}{{ ok }}'
    assert render(source, user) == "True"


def test_filter(user):
    assert render('{% if user|entitled:"pro-monthly" %}yes{% endif %}', user) == "yes"
    assert render('{% if user|entitled:"ebook,pro-monthly" %}yes{% endif %}', user) == "yes"
    assert render('{% if user|entitled:"ebook" %}yes{% else %}no{% endif %}', user) == "no"
    assert render("{% if user|entitled %}yes{% endif %}", user) == "yes"
