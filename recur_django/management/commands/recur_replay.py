"""``manage.py recur_replay [--failed] [EVENT_ID ...]``: apply stored webhook events again.

Each stored raw body is re-verified against the configured webhook secrets, then applied
through the same handlers as a live delivery. Handlers are idempotent: a payment that was
already fulfilled is not fulfilled twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recur_django.exceptions import EnvelopeError, SignatureError
from recur_django.models import WebhookEvent
from recur_django.webhooks.pipeline import replay


class Command(BaseCommand):
    help = "Re-verify and re-apply stored Recur webhook events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_ids", nargs="*", metavar="EVENT_ID", help="evt_… ids")
        parser.add_argument(
            "--failed", action="store_true", help="Replay every event whose status is failed."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[str] = list(dict.fromkeys(options["event_ids"]))
        if not ids and not options["failed"]:
            raise CommandError("Give one or more event ids, or --failed.")
        if ids:
            known = set(
                WebhookEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True)
            )
            missing = [i for i in ids if i not in known]
            if missing:
                raise CommandError(f"Unknown event id(s): {', '.join(missing)}")
        if options["failed"]:
            failed = WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED)
            ids += [
                i
                for i in failed.order_by("received_at").values_list("event_id", flat=True)
                if i not in ids
            ]
        if not ids:
            self.stdout.write("No failed events to replay.")
            return

        counts: dict[str, int] = {}
        for event_id in ids:
            try:
                outcome = replay(event_id)
            except SignatureError as exc:
                status, detail = "unverified", str(exc)
            except EnvelopeError as exc:
                status, detail = "invalid", str(exc)
            else:
                status, detail = outcome.status, outcome.event.error
            counts[status] = counts.get(status, 0) + 1
            line = f"{event_id}: {status}" + (f" ({detail})" if detail else "")
            style = self.style.SUCCESS if status in ("processed", "ignored") else self.style.WARNING
            self.stdout.write(style(line))
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.stdout.write(f"Replayed {len(ids)} event(s): {summary}.")
