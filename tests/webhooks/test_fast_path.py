"""The single-statement fast path (:mod:`recur_django.webhooks.fast_path`).

PostgreSQL only: elsewhere the full path always runs. Each unusual case must fall back to
the full path and end exactly as it would there.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from recur_django import signals
from recur_django.customers import external_id_for
from recur_django.models import Customer, Payment, Transaction, WebhookEvent
from recur_django.webhooks import fast_path
from tests.recur_helpers import (
    SignalRecorder,
    completed_data,
    envelope,
    make_transaction,
    post_event,
    run_together,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fast path runs on PostgreSQL only"
    ),
]


CHOOSES_PATH = True


@pytest.fixture(autouse=True)
def webhook_fast_path(settings):
    """Here the fast path is on unless a test turns it off."""
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": True}
    return True


WATCHED = ("transaction_completed", "payment_succeeded", "webhook_received")


def paid(txn: Transaction, **overrides):
    """checkout.completed as the emulator sends it: with our signed external id."""
    data = completed_data(txn, external_customer_id=external_id_for(txn.user))
    data.update(overrides)
    return envelope("checkout.completed", data)


def order_paid(txn: Transaction, **overrides):
    """order.paid for the same first purchase: the order is ``id``, the session referenced."""
    checkout = completed_data(txn, external_customer_id=external_id_for(txn.user))
    data = {**checkout, "id": checkout["order_id"], "status": "PAID"}
    data["checkout_session_id"] = checkout["id"]
    del data["order_id"]
    data.update(overrides)
    return envelope("order.paid", data)


class Signals:
    def __init__(self) -> None:
        self.recorders = {n: SignalRecorder(getattr(signals, n)) for n in WATCHED}

    def __enter__(self) -> dict[str, list]:
        for r in self.recorders.values():
            r.__enter__()
        return {n: r.calls for n, r in self.recorders.items()}

    def __exit__(self, *exc) -> None:
        for r in self.recorders.values():
            r.__exit__()


def _snapshot(txn: Transaction) -> dict:
    """The rows a delivery leaves, without ids and times."""
    txn.refresh_from_db()
    event = WebhookEvent.objects.get()
    payment = Payment.objects.filter(transaction=txn).first()
    customer = Customer.objects.filter(owner=txn.user).first()
    drop = {"id", "_state", "created_at", "updated_at", "completed_at", "received_at"}
    drop |= {"processed_at", "paid_at", "customer_id", "transaction_id", "public_id"}
    drop |= {"checkout_session_id", "order_id", "recur_id", "user_id", "owner_id", "metadata"}
    drop.add("raw")
    drop |= {"event_id", "body", "headers", "payload", "external_id", "email", "product_id"}
    drop.add("_prefetched_objects_cache")
    event.error = event.error.replace(txn.public_id, "TXN").replace(
        txn.checkout_session_id or "-", "CS"
    )
    event.traceback = bool(event.traceback)
    clean = lambda obj: obj and {k: v for k, v in vars(obj).items() if k not in drop}  # noqa: E731
    return {
        "txn": clean(txn),
        "event": clean(event),
        "payment": clean(payment),
        "customer": clean(customer),
    }


def _deliver_both(user_factory, make_event, client):
    """Deliver the same kind of event with the fast path on and off; return both results."""
    results = {}
    for on in (True, False):
        WebhookEvent.objects.all().delete()
        user = user_factory()
        txn = make_transaction(user)
        with override_settings(RECUR={**_recur(), "WEBHOOK_FAST_PATH": on}), Signals() as sent:
            response = post_event(client, make_event(txn))
        results[on] = (
            response.status_code,
            response.json().get("status"),
            _snapshot(txn),
            {k: len(v) for k, v in sent.items()},
        )
    return results


def _recur():
    from django.conf import settings

    return dict(settings.RECUR)


@pytest.fixture
def new_user(django_user_model):
    counter = iter(range(10**6))

    def make():
        n = next(counter)
        return django_user_model.objects.create_user(f"fp{n}", f"fp{n}@example.com", "pw")

    return make


def _processed_in_one_query(client, event) -> dict[str, list]:
    """Deliver ``event``; it must be processed with one query. Returns the signals sent."""
    with Signals() as sent, CaptureQueriesContext(connection) as queries:
        response = post_event(client, event)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]
    return sent


@pytest.mark.django_db(transaction=True)
def test_common_case_is_one_query(new_user, client):
    txn = make_transaction(new_user())
    sent = _processed_in_one_query(client, paid(txn))
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Customer.objects.get(owner=txn.user).recur_id == f"cus_{txn.user_id}"
    payment = Payment.objects.get()
    assert (payment.transaction_id, payment.user_id, payment.status) == (
        txn.pk,
        txn.user_id,
        "paid",
    )
    assert {k: len(v) for k, v in sent.items()} == dict.fromkeys(WATCHED, 1)
    assert sent["transaction_completed"][0]["transaction"].pk == txn.pk
    assert sent["payment_succeeded"][0]["payment"].pk == payment.pk
    assert payment.owner_id == txn.owner_id == txn.user_id


@pytest.mark.django_db(transaction=True)
def test_the_statement_answers_the_owner_and_user_the_signals_carry(new_user, client):
    """The owner and user rows come back with the statement: the signals cost no query."""
    buyer = new_user()
    txn = make_transaction(buyer)
    sent = _processed_in_one_query(client, paid(txn))
    completed, succeeded = sent["transaction_completed"][0], sent["payment_succeeded"][0]
    with CaptureQueriesContext(connection) as queries:
        assert completed["owner"] == completed["user"] == buyer
        assert completed["owner"].email == buyer.email and completed["user"].username
        assert completed["transaction"].owner == buyer
        assert succeeded["owner"] == succeeded["user"] == buyer
        assert succeeded["payment"].owner.email == buyer.email
    assert queries.captured_queries == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make_event", [paid, order_paid], ids=["checkout", "order"])
def test_fast_and_full_paths_leave_the_same_rows(make_event, new_user, client):
    results = _deliver_both(new_user, make_event, client)
    assert results[True] == results[False]
    assert results[True][1] == "processed"


@pytest.mark.django_db(transaction=True)
def test_first_purchase_order_paid_is_one_query(new_user, client):
    txn = make_transaction(new_user())
    sent = _processed_in_one_query(client, order_paid(txn))
    txn.refresh_from_db()
    payment = Payment.objects.get()
    assert (txn.status, txn.order_id) == (Transaction.Status.COMPLETED, payment.order_id)
    assert (payment.recur_id, payment.kind, payment.transaction_id) == (
        txn.order_id,
        Payment.Kind.CHECKOUT,
        txn.pk,
    )
    assert {k: len(v) for k, v in sent.items()} == dict.fromkeys(WATCHED, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["checkout.completed", "order.paid"])
def test_both_events_of_one_purchase_complete_and_record_it_once(first, new_user, client):
    """Recur sends checkout.completed and order.paid for one purchase, in either order:
    the first takes the fast path, the second is a known charge on the full path."""
    txn = make_transaction(new_user())
    checkout = paid(txn)
    order = order_paid(txn, id=checkout["data"]["order_id"])
    events = [checkout, order] if first == "checkout.completed" else [order, checkout]
    with Signals() as sent:
        answers = [post_event(client, event).json()["status"] for event in events]
    assert answers[0] == "processed"
    assert answers[1] in ("processed", "ignored")
    assert Payment.objects.count() == 1
    assert Customer.objects.count() == 1
    assert len(sent["transaction_completed"]) == len(sent["payment_succeeded"]) == 1
    assert len(sent["webhook_received"]) == 2


UNUSUAL = {
    "wrong amount (rejected)": lambda t: paid(t, amount=1),
    "other currency (rejected)": lambda t: paid(t, currency="USD"),
    "other product (rejected)": lambda t: paid(t, product_id="prod_other"),
    "unknown transaction": lambda t: paid(t, metadata={"transaction_id": "txn_nope"}),
    "no amount (needs confirmation)": lambda t: paid(t, amount=None),
    "another user's external id": lambda t: paid(t, external_customer_id="1:forged"),
    "failed status": lambda t: paid(t, status="FAILED"),
    "no order id": lambda t: paid(t, order_id=None),
    "subscription checkout": lambda t: paid(t, subscription_id="sub_1"),
    "order.paid without the session": lambda t: order_paid(t, checkout_session_id=None),
    "order.paid of another amount": lambda t: order_paid(t, amount=1),
    "order.paid of a subscription": lambda t: order_paid(t, subscription_id="sub_1"),
    "order.paid without an external id": lambda t: order_paid(t, external_customer_id=None),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(UNUSUAL))
def test_unusual_events_fall_back_with_the_same_outcome(case, new_user, client):
    results = _deliver_both(new_user, UNUSUAL[case], client)
    assert results[True] == results[False]


@pytest.mark.django_db(transaction=True)
def test_already_completed_and_duplicate_fall_back(new_user, client):
    txn = make_transaction(new_user())
    event = paid(txn)
    with Signals() as sent:
        first = post_event(client, event)
        second = post_event(client, event)
        other = post_event(client, paid(txn, order_id=txn.order_id or "ord_x"))
    assert first.json()["status"] == "processed"
    assert second.json()["status"] == "duplicate"
    assert other.status_code == 200
    assert len(sent["transaction_completed"]) == 1
    assert WebhookEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_redelivery_costs_one_statement_more(new_user, client, django_assert_max_num_queries):
    txn = make_transaction(new_user())
    event = paid(txn)
    post_event(client, event)
    with django_assert_max_num_queries(1 + 4):
        assert post_event(client, event).json()["status"] == "duplicate"


@pytest.mark.django_db(transaction=True)
def test_off_or_not_postgresql_means_the_full_path(new_user, client, settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": False}
    assert not fast_path.enabled()
    txn = make_transaction(new_user())
    event = paid(txn)
    with CaptureQueriesContext(connection) as queries:
        assert post_event(client, event).json()["status"] == "processed"
    assert len(queries.captured_queries) > 3


@pytest.mark.django_db(transaction=True)
def test_received_row_is_pending_not_a_duplicate(new_user, client):
    """A row the statement stored without applying is applied by a redelivery."""
    txn = make_transaction(new_user(), status=Transaction.Status.CANCELED)
    event = paid(txn)
    tried = fast_path.attempt(*_raw(event))
    assert not tried.applied and tried.event is not None
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.RECEIVED and stored.pending
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.PENDING)
    with Signals() as sent:
        response = post_event(client, event)
    assert response.json()["status"] == "processed"
    assert len(sent["transaction_completed"]) == 1
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_received_row_is_applied_by_recur_replay(new_user):
    from django.core.management import call_command

    txn = make_transaction(new_user(), status=Transaction.Status.CANCELED)
    event = paid(txn)
    assert fast_path.attempt(*_raw(event)).event is not None
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.PENDING)
    with Signals() as sent:
        call_command("recur_replay", event["id"], stdout=None)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert len(sent["transaction_completed"]) == len(sent["payment_succeeded"]) == 1


def _raw(event):
    import json

    from recur_django.testing import sign

    body = json.dumps(event).encode()
    return body, {"X-Recur-Signature": sign(body)}, event


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_complete_once(new_user, client):
    from django.test import Client

    txn = make_transaction(new_user())
    event = paid(txn)
    with Signals() as sent:
        answers = run_together(lambda i: post_event(Client(), event).json()["status"], 20)
    assert sorted(set(answers)) in (["duplicate", "processed"], ["processed"])
    assert answers.count("processed") == 1
    assert {k: len(v) for k, v in sent.items()} == dict.fromkeys(WATCHED, 1)
    assert Payment.objects.count() == 1 and WebhookEvent.objects.count() == 1


def _store(event) -> str:
    """The event stored as RECEIVED, as the task-mode endpoint leaves it."""
    from recur_django.webhooks import dispatch

    body, headers, envelope_ = _raw(event)
    assert dispatch.store(body, headers, envelope_).status == WebhookEvent.Status.RECEIVED
    return event["id"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make_event", [paid, order_paid], ids=["checkout", "order"])
def test_a_task_applies_a_stored_event_with_the_stored_form(make_event, new_user):
    """The worker's path: one read of the row, then the one statement (stored form)."""
    from recur_django.webhooks import drain

    txn = make_transaction(new_user())
    event_id = _store(make_event(txn))
    with Signals() as sent, CaptureQueriesContext(connection) as queries:
        outcome = drain.process_stored(event_id)
    assert outcome is not None and outcome.status == "processed"
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2 and "lockev AS" in sql[1], [s[:60] for s in sql]
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts, stored.retryable) == ("processed", 1, False)
    assert stored.processed_at is not None
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Payment.objects.get().transaction_id == txn.pk
    assert {k: len(v) for k, v in sent.items()} == {
        "transaction_completed": 1,
        "payment_succeeded": 1,
        "webhook_received": 0,  # sent when the row was stored
    }
    assert drain.process_stored(event_id).status == "duplicate"


@pytest.mark.django_db(transaction=True)
def test_a_stored_event_the_statement_cannot_apply_takes_the_full_path(new_user):
    from recur_django.webhooks import drain

    txn = make_transaction(new_user())
    event_id = _store(paid(txn, amount=1))  # another amount: rejected by the full path
    outcome = drain.process_stored(event_id)
    assert outcome is not None and outcome.status == "failed"
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.PENDING
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_and_redeliveries_apply_a_stored_event_once(new_user):
    """Tasks (stored form) racing redeliveries (full path, event row locked first)."""
    from django.test import Client

    from recur_django.webhooks import drain

    txn = make_transaction(new_user())
    event = paid(txn)
    event_id = _store(event)

    def race(i: int) -> str:
        if i % 2:
            return post_event(Client(), event).json()["status"]
        outcome = drain.process_stored(event_id)
        return outcome.status if outcome else "unknown"

    with Signals() as sent:
        answers = run_together(race, 12)
    assert answers.count("processed") == 1, answers
    assert set(answers) <= {"processed", "duplicate"}, answers
    assert len(sent["transaction_completed"]) == len(sent["payment_succeeded"]) == 1
    assert WebhookEvent.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_the_delivery_that_stored_the_row_announces_it_even_when_another_applies_it(
    new_user, client, monkeypatch
):
    """The statement stores the event without applying it; before this delivery applies it,
    a concurrent one does. webhook_received is still sent once (by the one that stored it)."""
    import threading

    from recur_django.webhooks import dispatch, pipeline

    txn = make_transaction(new_user(), status=Transaction.Status.CANCELED)
    event = paid(txn)
    real = dispatch.redispatch

    def applied_elsewhere_first(event_id, envelope_, *args, **kwargs):
        Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.PENDING)
        other = threading.Thread(target=lambda: (real(event_id, envelope_), connection.close()))
        other.start()
        other.join()
        return real(event_id, envelope_, *args, **kwargs)

    monkeypatch.setattr(pipeline.dispatch, "redispatch", applied_elsewhere_first)
    with Signals() as sent:
        response = post_event(client, event)
    assert response.json()["status"] == "duplicate"
    assert {k: len(v) for k, v in sent.items()} == dict.fromkeys(WATCHED, 1)


@pytest.mark.django_db(transaction=True)
def test_a_site_handler_for_the_type_is_called_not_bypassed(new_user, client):
    """A site that registers its own checkout.completed handler gets it called."""
    from recur_django.webhooks import registry

    calls = []
    builtin = registry.get_handler("checkout.completed")

    @registry.handles("checkout.completed")
    def mine(event):
        calls.append(event.id)
        builtin(event)

    try:
        txn = make_transaction(new_user())
        event = paid(txn)
        assert post_event(client, event).json()["status"] == "processed"
    finally:
        registry.handles("checkout.completed")(builtin)
    assert calls == [event["id"]]
    assert Payment.objects.count() == 1
