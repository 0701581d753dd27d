"""``manage.py recur_sync_subscriptions``: refresh the Subscription mirror from the API."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from recur_django.client.errors import RecurError
from recur_django.client_factory import get_client
from recur_django.subscriptions import sync_subscription

PROGRESS_EVERY = 100


def subscription_payload(subscription: Any) -> dict[str, Any]:
    """The API item as a mapping: the raw dict, overlaid with the client's parsed fields."""
    data = dict(getattr(subscription, "raw", None) or {})
    if dataclasses.is_dataclass(subscription):
        for f in dataclasses.fields(subscription):
            value = getattr(subscription, f.name)
            if f.name != "raw" and value is not None:
                data[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return data


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
        filters: dict[str, Any] = {
            "customer_id": options.get("customer"),
            "email": options.get("email"),
            "external_id": options.get("external_id"),
            "active": True if options.get("active") else None,
        }
        product = options.get("product")
        if product:
            filters["product_id" if product.startswith("prod_") else "product_slug"] = product
        filters = {key: value for key, value in filters.items() if value is not None}

        started = timezone.now()
        created = updated = unchanged = skipped = 0
        seen = 0
        try:
            for item in get_client().subscriptions.iter(limit=page_size, **filters):
                seen += 1
                result = sync_subscription(subscription_payload(item), at=started)
                if result is None:
                    skipped += 1
                elif result.created:
                    created += 1
                elif result.changed:
                    updated += 1
                else:
                    unchanged += 1
                if seen % PROGRESS_EVERY == 0:
                    self.stdout.write(f"… {seen} subscriptions")
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except RecurError as exc:
            raise CommandError(
                f"Recur API error after {seen} subscriptions: {exc}. "
                "The ones already synced are kept; run the command again to resume."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {seen} subscriptions: {created} created, {updated} updated, "
                f"{unchanged} unchanged" + (f", {skipped} skipped (no id)" if skipped else "") + "."
            )
        )
