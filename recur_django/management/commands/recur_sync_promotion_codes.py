"""``manage.py recur_sync_promotion_codes``: mirror every Recur promotion code locally."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from recur_django.client.errors import RecurError
from recur_django.promotion_codes import sync_promotion_codes


class Command(BaseCommand):
    help = (
        "Fetch every promotion code from Recur (100 per request), store them locally, and "
        "mark local codes Recur no longer returns."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))

        def progress(pages: int, seen: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"Synced {seen} promotion codes ({pages} pages)…")

        try:
            result = sync_promotion_codes(progress=progress)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except RecurError as exc:
            raise CommandError(
                f"Recur promotion code sync stopped: {exc}. Codes already fetched were kept; "
                "no code was marked missing."
            ) from exc
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Synced promotion codes: {result}."))
