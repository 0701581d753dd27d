"""``manage.py recur_replay [--failed | --all] [--no-signals] [--stale [--older-than S]]
[EVENT_ID ...]``: apply stored webhook events again.

``--stale`` (run it from cron in task mode) takes every event still RECEIVED after
``RECUR['WEBHOOK_STALE_AFTER']`` seconds (or ``--older-than``): in task mode it wakes the
workers, which drain them (a wake was lost, or no worker ran); in sync mode it applies
them here. Either way an event is applied once.

On every path each stored raw body is re-verified against the configured webhook secrets
(an event whose body no longer verifies, or is another event's, is reported and not
applied; in task mode a stale one is marked failed, so the workers leave it), then the
signed body — never the stored ``payload`` copy — is applied through the same handlers as
a live delivery. Handlers are idempotent: a payment that was already fulfilled is not
fulfilled twice. ``--no-signals`` sends none of recur-django's
signals (nor what hangs on them, such as receipts): for rebuilding deleted rows (the
payment ledger) from the stored events without announcing them a second time.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from recur_django import signals
from recur_django.conf import recur_settings
from recur_django.exceptions import EnvelopeError, SignatureError
from recur_django.models import WebhookEvent
from recur_django.webhooks import deferred
from recur_django.webhooks.pipeline import replay, verified_stored

#: The largest ``--older-than``: ten years, in seconds.
MAX_OLDER_THAN = 10 * 365 * 24 * 3600


class Command(BaseCommand):
    help = "Re-verify and re-apply stored Recur webhook events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_ids", nargs="*", metavar="EVENT_ID", help="evt_… ids")
        parser.add_argument(
            "--failed", action="store_true", help="Replay every event whose status is failed."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Replay every stored event, oldest first (rebuilds the ledger).",
        )
        parser.add_argument(
            "--no-signals",
            action="store_true",
            help="Send no signal (nor e-mail) while replaying: for rebuilding deleted rows.",
        )
        parser.add_argument(
            "--stale",
            action="store_true",
            help="Wake the workers (task mode) for, or apply, events received but not processed "
            "in time.",
        )
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="With --stale: the age that makes an event stale "
            "(default RECUR['WEBHOOK_STALE_AFTER']).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[str] = list(dict.fromkeys(options["event_ids"]))
        older_than = options["older_than"]
        # Written so that NaN fails too (every comparison with NaN is False).
        if older_than is not None and (
            not options["stale"] or not 0 <= older_than <= MAX_OLDER_THAN
        ):
            raise CommandError(
                f"--older-than takes a number of seconds from 0 to {MAX_OLDER_THAN} "
                "(ten years), with --stale."
            )
        if options["stale"]:
            self._stale(options["older_than"])
            if not ids and not options["failed"] and not options["all"]:
                return
        if not ids and not options["failed"] and not options["all"]:
            raise CommandError("Give one or more event ids, or --failed, --all or --stale.")
        if ids:
            known = set(
                WebhookEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True)
            )
            missing = [i for i in ids if i not in known]
            if missing:
                raise CommandError(f"Unknown event id(s): {', '.join(missing)}")
        if options["failed"] or options["all"]:
            stored = WebhookEvent.objects.all()
            if not options["all"]:
                stored = stored.filter(status=WebhookEvent.Status.FAILED)
            chosen = set(ids)
            ids += [
                i
                for i in stored.order_by("received_at", "pk").values_list("event_id", flat=True)
                if i not in chosen
            ]
        if not ids:
            self.stdout.write(
                "No events to replay." if options["all"] else "No failed events to replay."
            )
            return

        with signals.suppressed() if options["no_signals"] else nullcontext():
            counts = self._replay(ids)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        quiet = " No signal was sent." if options["no_signals"] else ""
        self.stdout.write(f"Replayed {len(ids)} event(s): {summary}.{quiet}")

    def _replay(self, ids: list[str], *, only_pending: bool = False) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event_id in ids:
            try:
                outcome = replay(event_id, only_pending=only_pending)
            except SignatureError as exc:
                status, detail = "unverified", str(exc)
            except EnvelopeError as exc:
                status, detail = "invalid", str(exc)
            else:
                status, detail = outcome.status, outcome.event.error
            counts[status] = counts.get(status, 0) + 1
            self._line(event_id, status, detail)
        return counts

    def _line(self, event_id: str, status: str, detail: str) -> None:
        line = f"{event_id}: {status}" + (f" ({detail})" if detail else "")
        style = self.style.SUCCESS if status in ("processed", "ignored") else self.style.WARNING
        self.stdout.write(style(line))

    def _verifies(self, event_id: str) -> bool:
        """Whether a stale event's stored body still verifies (else it is reported)."""
        try:
            verified_stored(WebhookEvent.objects.get(event_id=event_id))
        except SignatureError as exc:
            self._line(event_id, "unverified", str(exc))
        except EnvelopeError as exc:
            self._line(event_id, "invalid", str(exc))
        except WebhookEvent.DoesNotExist:
            return False
        else:
            return True
        return False

    def _stale(self, older_than: float | None) -> None:
        try:
            task_mode = recur_settings.webhook_task_mode
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        stale = deferred.stale_events(older_than)
        if not stale:
            self.stdout.write("No stale events.")
            return
        if task_mode:
            # The stored events are the workers' queue. One whose body no longer verifies
            # is taken out of it (failed, not retryable: replay it by id once it does).
            refused = [event_id for event_id in stale if not self._verifies(event_id)]
            WebhookEvent.objects.filter(
                event_id__in=refused, status=WebhookEvent.Status.RECEIVED
            ).update(
                status=WebhookEvent.Status.FAILED,
                retryable=False,
                error="The stored body no longer verifies; not applied by the workers.",
                processed_at=timezone.now(),
            )
            if not deferred.wake(force=True):
                raise CommandError("The workers could not be woken; see the log.")
            self.stdout.write(
                f"Woke the workers for {len(stale) - len(refused)} of {len(stale)} stale event(s)."
            )
            return
        # Sync mode: applied here, through the same verified replay as an event id.
        counts = self._replay(stale, only_pending=True)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.stdout.write(f"Processed {len(stale)} stale event(s): {summary}.")
