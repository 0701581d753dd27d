"""``manage.py recur_sync_subscriptions``: refresh the Subscription mirror from the API.

The work is :func:`recur_django.subscriptions.sync_from_recur`; this command maps its
options onto it, prints a progress line every ``PROGRESS_EVERY`` subscriptions, and turns
configuration and API errors into ``CommandError``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recur_django.subscriptions import SyncInterrupted, sync_from_recur

PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = (
        "Refresh the local Subscription mirror from Recur's API (all pages). Use it to "
        "recover after missed webhooks; later webhooks keep the mirror current."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", help="Only this Recur customer id (cus_…).")
        parser.add_argument("--email", help="Only the customer with this email.")
        parser.add_argument("--external-id", help="Only the customer with this external id.")
        parser.add_argument("--product", help="Only this product id (prod_…) or slug.")
        parser.add_argument(
            "--active", action="store_true", help="Only ACTIVE, TRIAL and PAST_DUE."
        )
        parser.add_argument(
            "--page-size", type=int, default=100, help="Items per API page (1-100)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        page_size = options["page_size"]
        if not 1 <= page_size <= 100:
            raise CommandError("--page-size must be between 1 and 100.")
        try:
            result = sync_from_recur(
                customer_id=options.get("customer"),
                email=options.get("email"),
                external_id=options.get("external_id"),
                product=options.get("product"),
                active=bool(options.get("active")),
                page_size=page_size,
                progress=lambda seen: self.stdout.write(f"… {seen} subscriptions"),
                progress_every=PROGRESS_EVERY,
            )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except SyncInterrupted as exc:
            raise CommandError(
                f"Recur API error after {exc.result.seen} subscriptions: {exc.error}. "
                "The ones already synced are kept; run the command again to resume."
            ) from exc.error
        skipped = f", {result.skipped} skipped (no id)" if result.skipped else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {result.seen} subscriptions: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged{skipped}."
            )
        )
