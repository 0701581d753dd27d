"""``manage.py recur_einvoice retry``: re-drive pending and failed e-invoices (for cron).

Thin over :func:`recur_django.einvoice.retry.retry_all`; refuses with a ``CommandError``
while e-invoicing is off (``RECUR["EINVOICE"]`` unset).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recur_django.einvoice import factory
from recur_django.einvoice.retry import retry_all


class Command(BaseCommand):
    help = "Taiwan e-invoices: 'retry' re-drives every pending or failed invoice and allowance."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "retry", help="Issue pending (due) and failed invoices and allowances, finish voids."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not factory.is_enabled():
            raise CommandError("E-invoicing is off: RECUR['EINVOICE'] is not set.")
        report = retry_all()
        self.stdout.write(f"Retried {report.total} row(s): {report}.")
