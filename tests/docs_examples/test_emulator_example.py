from django.urls import reverse

from recur_django.entitlements import has_entitlement
from recur_django.models import Transaction


def test_buy_through_your_site(recur_emulator, client, django_user_model):
    amy = django_user_model.objects.create_user("amy", "amy@example.com", "pw")
    client.force_login(amy)
    answer = client.post(  # your own checkout view, as a JSON caller
        reverse("recur:checkout"), {"product": "pro-monthly"}, HTTP_ACCEPT="application/json"
    )
    txn = Transaction.objects.get(public_id=answer.json()["transaction_id"])
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    recur_emulator.deliver()  # checkout.completed, subscription.created… to recur:webhook
    assert has_entitlement(amy, "pro-monthly")


def test_subscribe(recur_emulator, client, django_user_model):
    recur = recur_emulator.client  # a RecurClient on the emulator
    session = recur.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/pricing",
        customer_email="amy@example.com",
        metadata={"transaction_id": "txn_1"},
    )
    response = recur_emulator.pay(session.id)  # the hosted form; 303 on success
    assert response.status_code == 303

    deliveries = recur_emulator.deliver()  # POSTs the signed webhooks, in order
    assert all(d.status == "SUCCEEDED" for d in deliveries)
    assert [e["type"] for e in recur_emulator.events()][-1] == "checkout.completed"


def test_declined(recur_emulator):
    session = recur_emulator.client.checkout_sessions.create(
        product_slug="ebook",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/",
    )
    assert recur_emulator.pay(session.id, card="4000000000000002").status_code == 402
    assert recur_emulator.events("order.payment_failed")


def test_renewal_fails(recur_emulator):
    session = recur_emulator.client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/",
        customer_email="amy@example.com",
    )
    assert recur_emulator.pay(session.id).status_code == 303  # subscribed
    recur_emulator.fail_card("amy@example.com")
    recur_emulator.advance(days=31)
    recur_emulator.deliver()  # invoice.payment_failed, subscription.past_due


def test_client_survives_rate_limits(recur_emulator):
    recur_emulator.fault("429", retry_after=0)
    assert recur_emulator.client.products.list()
