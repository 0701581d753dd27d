"""Credits when a team pays: the team's admin buys a pack, the team's balance is spent, the
ledger and the signals name the team. On the emulator over HTTP."""

from __future__ import annotations

import pytest

from recur_django import credits, signals
from tests.recur_helpers import SignalRecorder
from tests.teams.conftest import browser_for, buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_team_buys_and_spends_its_credits(recur_emulator, acme, ada, globex):
    with SignalRecorder(signals.credits_purchased) as purchased:
        buy(recur_emulator, browser_for(ada, acme), "credits-100")
    assert credits.balance(acme) == 100
    assert recur_emulator.credit_balance(acme.recur_customer.recur_id) == 100
    assert [(c["owner"], c["credit_transaction"].amount) for c in purchased.calls] == [(acme, 100)]

    with SignalRecorder(signals.credits_deducted) as deducted:
        entry = credits.deduct(acme, 10, "PDF export", f"export-{acme.pk}-1", user=ada)
        again = credits.deduct(acme, 10, "PDF export", f"export-{acme.pk}-1")  # a retry
        flush(recur_emulator)  # credits.deducted finds the recorded movement
    assert entry.pk == again.pk and entry.balance_after == 90
    assert entry.customer.owner == acme
    assert [(c["owner"], c["user"]) for c in deducted.calls] == [(acme, ada)]  # who spent
    assert credits.balance(acme) == 90
    assert [t.signed_amount for t in credits.transactions(acme)] == [-10, 100]

    # Another team has no customer, and sees none of Acme's movements.
    with pytest.raises(credits.NoRecurCustomer):
        credits.deduct(globex, 1, "Not theirs", f"export-{globex.pk}-1")
    assert not credits.transactions(globex).exists()
    with pytest.raises(credits.InsufficientCredits):
        credits.deduct(acme, 1000, "Too much", f"export-{acme.pk}-2")
    assert credits.balance(acme) == 90
