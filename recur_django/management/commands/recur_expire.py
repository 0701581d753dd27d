"""``manage.py recur_expire``: mark pending transactions past their session expiry expired.

Run it from cron (every few minutes is plenty). Each expired transaction sends
``transaction_failed`` with ``reason="checkout session expired"``. A payment that still
arrives later completes the transaction anyway. The work is
:func:`recur_django.checkout.expire_due`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recur_django.checkout import EXPIRED_REASON, due_for_expiry, expire_due

REASON = EXPIRED_REASON  # the former name, kept importable


class Command(BaseCommand):
    help = "Mark pending Recur transactions whose checkout session expired as expired."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be expired."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            self.stdout.write(f"{due_for_expiry().count()} transaction(s) would be expired.")
            return
        self.stdout.write(f"Expired {expire_due()} transaction(s).")
