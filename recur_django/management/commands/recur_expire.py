"""``manage.py recur_expire``: mark pending transactions past their session expiry expired.

Run it from cron (every few minutes is plenty). Each expired transaction sends
``transaction_failed`` with ``reason="checkout session expired"``. A payment that still
arrives later completes the transaction anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from recur_django import clock as billing_clock
from recur_django import signals
from recur_django.models import Transaction
from recur_django.signals import send_after_commit

REASON = "checkout session expired"
BATCH = 500


class Command(BaseCommand):
    help = "Mark pending Recur transactions whose checkout session expired as expired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be expired."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        # Expiry is a billing decision: it follows RECUR["CLOCK"] (the emulator's clock in
        # the demo); updated_at stays real time.
        due = Transaction.objects.filter(
            status=Transaction.Status.PENDING, expires_at__lt=billing_clock.now()
        )
        if options["dry_run"]:
            self.stdout.write(f"{due.count()} transaction(s) would be expired.")
            return
        total = 0
        while True:
            with transaction.atomic():
                # skip_locked: a row being fulfilled right now is left to its webhook.
                batch = list(due.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
                if not batch:
                    break
                Transaction.objects.filter(pk__in=[t.pk for t in batch]).update(
                    status=Transaction.Status.EXPIRED, failure_reason=REASON, updated_at=now
                )
                for txn in batch:
                    txn.status, txn.failure_reason = Transaction.Status.EXPIRED, REASON
                    send_after_commit(
                        signals.transaction_failed,
                        sender=Transaction,
                        transaction=txn,
                        reason=REASON,
                        event=None,
                        source="expire",
                    )
            total += len(batch)
        self.stdout.write(f"Expired {total} transaction(s).")
