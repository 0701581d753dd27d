"""PostgreSQL's one-statement fast path for a team's first purchase: it links the customer
to the team and answers the team and the acting user for the signals, in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recur_django import signals
from recur_django.models import Customer, Payment, Transaction
from tests.recur_helpers import SignalRecorder, completed_data, envelope, post_event
from tests.teams.test_team_security import team_transaction

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def fast_path_on(settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_FAST_PATH": True}


@pytest.mark.parametrize("acting", [True, False], ids=["admin", "server-side"])
def test_a_teams_first_purchase_is_one_query(client, acme, ada, acting):
    txn = team_transaction(acme, ada if acting else None)
    event = envelope("checkout.completed", completed_data(txn, customer_id="cus_acme"))
    with (
        SignalRecorder(signals.transaction_completed) as completed,
        SignalRecorder(signals.payment_succeeded) as succeeded,
        CaptureQueriesContext(connection) as queries,
    ):
        assert post_event(client, event).json()["status"] == "processed"
        assert completed.calls[0]["owner"].billing_email == "billing@acme.example"
        assert succeeded.calls[0]["payment"].owner.name == "Acme"
    assert len(queries.captured_queries) == 1, [q["sql"][:60] for q in queries.captured_queries]
    user = ada if acting else None
    assert (completed.calls[0]["owner"], completed.calls[0]["user"]) == (acme, user)
    assert (succeeded.calls[0]["owner"], succeeded.calls[0]["user"]) == (acme, user)
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    assert Customer.objects.get(recur_id="cus_acme").owner == acme
    payment = Payment.objects.get()
    assert (payment.owner, payment.user, payment.transaction) == (acme, user, txn)
