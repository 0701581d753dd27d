"""The payment ledger in the admin: read-only pages, filters, search, inlines, links."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from recur_django.admin.read_only import ReadOnlyAdmin
from recur_django.models import (
    Customer,
    Payment,
    Refund,
    Subscription,
    Transaction,
    WebhookEvent,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(user):
    customer = Customer.objects.create(owner=user, recur_id="cus_amy", email="amy@example.com")
    sub = Subscription.objects.create(
        recur_id="sub_amy", customer=customer, product_slug="pro-monthly", status="ACTIVE"
    )
    txn = Transaction.objects.create(
        owner=user,
        user=user,
        product_slug="pro-monthly",
        amount=299,
        status="completed",
        subscription_id="sub_amy",
    )
    first = Payment.objects.create(
        recur_id="in_first",
        invoice_id="in_first",
        order_id="ord_first",
        kind="checkout",
        status="paid",
        amount=299,
        customer=customer,
        owner=user,
        user=user,
        subscription=sub,
        transaction=txn,
        paid_at=timezone.now(),
    )
    renewal = Payment.objects.create(
        recur_id="in_renew",
        invoice_id="in_renew",
        kind="renewal",
        status="partially_refunded",
        amount=299,
        refunded_amount=100,
        customer=customer,
        owner=user,
        user=user,
        subscription=sub,
        paid_at=timezone.now(),
    )
    Payment.objects.create(recur_id="ord_other", kind="payment_link", status="failed", amount=50)
    Refund.objects.create(recur_id="re_1", payment=renewal, amount=100, status="succeeded")
    event = WebhookEvent.objects.create(
        event_id="evt_1", type="invoice.paid", body=b"{}", payload={"data": {"id": "in_renew"}}
    )
    return customer, sub, txn, first, renewal, event


def get(client, name, *args, **query):
    response = client.get(reverse(f"admin:recur_django_{name}", args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def url(name, *args):
    return reverse(f"admin:recur_django_{name}", args=args)


def test_payment_and_refund_admins_are_read_only():
    for model in (Payment, Refund):
        assert isinstance(admin.site._registry[model], ReadOnlyAdmin)


def test_payment_list_filters_and_search(staff_client, ledger):
    listing = get(staff_client, "payment_changelist")
    assert "in_first" in listing and "in_renew" in listing and "NT$299" in listing
    assert "in_renew" in get(staff_client, "payment_changelist", kind__exact="renewal")
    assert "in_first" not in get(staff_client, "payment_changelist", kind__exact="renewal")
    assert "ord_other" in get(staff_client, "payment_changelist", status__exact="failed")
    searched = get(staff_client, "payment_changelist", q="amy@example.com")
    assert "in_first" in searched and "ord_other" not in searched
    assert "ord_other" in get(staff_client, "payment_changelist", q="ord_other")
    assert url("payment_changelist") + "add/" not in listing


def test_payment_page_links_everything(staff_client, ledger):
    customer, sub, txn, first, renewal, _event = ledger
    page = get(staff_client, "payment_change", first.pk)
    assert url("customer_change", customer.pk) in page
    assert url("subscription_change", sub.pk) in page
    assert url("transaction_change", txn.pk) in page
    assert f"{url('webhookevent_changelist')}?mentions=in_first" in page
    assert f"{url('webhookevent_changelist')}?mentions=ord_first" in page
    refunded = get(staff_client, "payment_change", renewal.pk)
    assert "re_1" in refunded  # the refunds inline


def test_inlines_on_customer_and_subscription(staff_client, ledger):
    customer, sub, *_ = ledger
    for page in (
        get(staff_client, "customer_change", customer.pk),
        get(staff_client, "subscription_change", sub.pk),
    ):
        assert "in_first" in page and "in_renew" in page and "ord_other" not in page
        assert url("payment_change", ledger[3].pk) in page


def test_transaction_and_webhook_event_link_back_to_payments(staff_client, ledger):
    _customer, _sub, txn, _first, renewal, event = ledger
    page = get(staff_client, "transaction_change", txn.pk)
    assert f"{url('payment_changelist')}?transaction__id__exact={txn.pk}" in page
    assert url("payment_change", renewal.pk) in get(staff_client, "webhookevent_change", event.pk)


def test_refund_admin_links_its_payment(staff_client, ledger):
    refund = Refund.objects.get()
    page = get(staff_client, "refund_change", refund.pk)
    assert url("payment_change", ledger[4].pk) in page
    assert "re_1" in get(staff_client, "refund_changelist")


def test_overview_linked_from_the_admin_index(staff_client):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert url("billingoverview_changelist") in index


def test_overview_needs_the_view_payment_permission(client, user):
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.get(url("billingoverview_changelist"))
    assert response.status_code == 403


def test_flagged_rows_are_filtered_shown_and_announced_on_the_overview(staff_client, ledger):
    *_rows, renewal, _event = ledger
    foreign = Payment.objects.create(
        recur_id="ord_foreign",
        status="paid",
        amount=1,
        paid_at=timezone.now(),
        review_reason="Names transaction txn_x in its metadata, not its checkout session.",
    )
    usd = Refund.objects.create(
        recur_id="re_usd",
        payment=renewal,
        amount=100,
        currency="USD",
        status="succeeded",
        review_reason="A USD refund of a TWD payment: not applied.",
    )
    flagged_list = get(staff_client, "payment_changelist", needs_review="yes")
    assert "ord_foreign" in flagged_list and "in_first" not in flagged_list
    fine_list = get(staff_client, "payment_changelist", needs_review="no")
    assert "ord_foreign" not in fine_list and "in_first" in fine_list
    assert "txn_x in its metadata" in get(staff_client, "payment_change", foreign.pk)
    refunds = get(staff_client, "refund_changelist", needs_review="yes")
    assert "re_usd" in refunds and "re_1" not in refunds
    assert "not applied" in get(staff_client, "refund_change", usd.pk)

    overview = get(staff_client, "billingoverview_changelist")
    assert "1 payment needs review" in overview and "1 refund needs review" in overview
    assert f"{url('payment_changelist')}?needs_review=yes" in overview
    Payment.objects.filter(pk=foreign.pk).update(review_reason="")
    Refund.objects.filter(pk=usd.pk).update(review_reason="")
    assert "needs review" not in get(staff_client, "billingoverview_changelist")
