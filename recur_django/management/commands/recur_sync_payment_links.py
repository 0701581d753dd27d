"""``manage.py recur_sync_payment_links``: mirror every Recur payment link locally."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from recur_django.client.errors import RecurError
from recur_django.payment_links import sync_payment_links


class Command(BaseCommand):
    help = (
        "Fetch every payment link from Recur (100 per request), store them locally, "
        "and mark local links Recur no longer returns."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))
        interactive = self.stdout.isatty()

        def progress(pages: int, seen: int) -> None:
            if verbosity < 1:
                return
            line = f"Synced {seen} payment links ({pages} pages)…"
            if interactive:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
            elif verbosity >= 2 or pages % 10 == 0:
                self.stdout.write(line)

        try:
            result = sync_payment_links(progress=progress)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        except RecurError as exc:
            if interactive:
                self.stdout.write("")
            raise CommandError(
                f"Recur payment link sync stopped: {exc}. Links already fetched were kept; "
                "no link was marked missing."
            ) from exc
        if interactive and result.pages:
            self.stdout.write("")
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Synced payment links: {result}."))
