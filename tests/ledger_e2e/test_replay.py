"""The ledger is rebuilt from the stored webhook events with recur_replay."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from recur_django.models import Payment, Refund, WebhookEvent

from .conftest import buy, flush

pytestmark = pytest.mark.django_db(transaction=True)


def ledger() -> list[tuple]:
    return list(
        Payment.objects.order_by("recur_id").values_list(
            "recur_id",
            "order_id",
            "invoice_id",
            "kind",
            "status",
            "amount",
            "refunded_amount",
            "subscription_id",
            "user_id",
            "transaction_id",
        )
    )


def a_month_and_a_refund(recur_emulator, buyer) -> None:
    """Checkout, one renewal, a partial refund of the renewal: all delivered."""
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    recur_emulator.advance(days=32)
    flush(recur_emulator)
    recur_emulator.refund(Payment.objects.get(kind="renewal").invoice_id, amount=100)
    flush(recur_emulator)


def replay_everything() -> str:
    ids = WebhookEvent.objects.order_by("received_at").values_list("event_id", flat=True)
    out = StringIO()
    call_command("recur_replay", *ids, stdout=out)
    return out.getvalue()


def counts(sent: dict[str, list]) -> dict[str, int]:
    return {name: len(calls) for name, calls in sent.items()}


def test_replaying_every_stored_event_changes_nothing_and_sends_nothing(
    recur_emulator, buyer, sent
):
    a_month_and_a_refund(recur_emulator, buyer)
    before, sent_before = ledger(), counts(sent)
    assert len(before) == 2 and Refund.objects.count() == 1

    assert "failed" not in replay_everything()

    assert ledger() == before and Refund.objects.count() == 1
    assert counts(sent) == sent_before


def test_replay_rebuilds_a_deleted_ledger_and_announces_it_again(recur_emulator, buyer, sent):
    a_month_and_a_refund(recur_emulator, buyer)
    before, sent_before = ledger(), counts(sent)
    assert sent_before == {
        "payment_succeeded": 2,
        "payment_failed": 0,
        "payment_refunded": 1,
        "subscription_renewed": 1,
        "trial_will_end": 0,
        "transaction_completed": 1,
    }
    Refund.objects.all().delete()
    Payment.objects.all().delete()

    output = replay_everything()

    assert "failed" not in output
    assert ledger() == before and Refund.objects.count() == 1
    # The ledger remembers what it announced only through its rows: rebuilt rows are new
    # payments and refunds to it, so their signals are sent again (once more each). The
    # first purchase's Transaction was kept, so transaction_completed is not.
    assert counts(sent) == {
        "payment_succeeded": 4,
        "payment_failed": 0,
        "payment_refunded": 2,
        "subscription_renewed": 2,
        "trial_will_end": 0,
        "transaction_completed": 1,
    }


def test_replay_all_without_signals_rebuilds_the_ledger_quietly(
    recur_emulator, buyer, sent, mailoutbox, settings
):
    settings.RECUR = {**settings.RECUR, "EMAILS": {"receipt": True, "refund": True}}
    a_month_and_a_refund(recur_emulator, buyer)
    before, sent_before, mails_before = ledger(), counts(sent), len(mailoutbox)
    assert mails_before == 3  # two receipts and a refund notice
    Refund.objects.all().delete()
    Payment.objects.all().delete()

    out = StringIO()
    call_command("recur_replay", "--all", "--no-signals", stdout=out)

    assert "failed" not in out.getvalue() and "No signal was sent." in out.getvalue()
    assert ledger() == before and Refund.objects.count() == 1
    assert counts(sent) == sent_before and len(mailoutbox) == mails_before


def test_signals_are_sent_again_after_a_quiet_replay(recur_emulator, buyer, sent):
    buy(recur_emulator, buyer, "pro-monthly")
    flush(recur_emulator)
    call_command("recur_replay", "--all", "--no-signals", stdout=StringIO())
    recur_emulator.advance(days=32)
    flush(recur_emulator)
    assert len(sent["subscription_renewed"]) == 1 and len(sent["payment_succeeded"]) == 2
