"""The webhook pipeline: one function from a raw delivery to its outcome.

:func:`deliver` runs every step, in this order, and stops at the first refusal:

1. **size cap** — a body over ``RECUR['WEBHOOK_MAX_BYTES']`` is refused (413);
2. **secrets** — ``RECUR['WEBHOOK_SECRET']`` must be configured (500);
3. **signature** — the body must be signed with one of the secrets (400);
4. **envelope** — ``{"id", "type", "timestamp"?, "data"}`` must parse; a signed body that
   does not is kept as an ``unreadable_…`` failed event for replay (400);
5. **age** — with ``RECUR['WEBHOOK_MAX_EVENT_AGE']`` set, an older event is refused (400);
6. **store** and 7. **dispatch** — in one transaction (:mod:`.dispatch`); a duplicate is
   answered without applying it again;
8. **confirmation** — when a handler raises ``ConfirmationNeeded``, the transaction is
   rolled back, Recur is asked with no transaction open, and steps 6 and 7 run once more
   (:mod:`.confirmation`).

:func:`replay` re-runs steps 2 to 8 on a stored event (its raw body and recorded headers),
with two differences: the age in step 5 is measured at the event's first receipt
(``received_at``), not now — an event that was fresh when it arrived stays replayable —
and the body must be the row's own event (its id). Every replay path (``recur_replay``
by id, ``--failed``, ``--all`` and ``--stale``, the admin action) goes through it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from recur_django import signals
from recur_django.conf import recur_settings
from recur_django.exceptions import EnvelopeError, SignatureError
from recur_django.models import WebhookEvent
from recur_django.signals import send_after_commit
from recur_django.webhooks import dispatch, fast_path
from recur_django.webhooks.confirmation import confirming
from recur_django.webhooks.dispatch import UNREADABLE_PREFIX, Outcome
from recur_django.webhooks.envelope import check_age, parse_envelope
from recur_django.webhooks.signature import verify_signature

logger = logging.getLogger("recur_django.webhooks")


@dataclass(frozen=True)
class Delivery:
    """The outcome of :func:`deliver`.

    ``status`` is ``processed``, ``ignored``, ``failed``, ``duplicate``, ``received``
    (stored, not dispatched) or ``refused`` (a step before storing said no; an unreadable
    signed body is still kept, as ``event``). ``http_status`` is the answer for the
    sender, ``error_code``/``error_message`` say why when it is not a 2xx, and ``retry`` is
    True when the sender should try again.
    """

    status: str
    http_status: int
    error_code: str = ""
    error_message: str = ""
    event: WebhookEvent | None = None
    retry: bool = False

    @classmethod
    def refused(cls, code: str, message: str, http_status: int, **kw: Any) -> Delivery:
        return cls("refused", http_status, code, message, **kw)

    @classmethod
    def of(cls, outcome: Outcome) -> Delivery:
        if outcome.retry:
            message = "The event was stored; please retry."
            return cls(outcome.status, 500, "processing_failed", message, outcome.event, True)
        return cls(outcome.status, 200, event=outcome.event)


def read_body(request: HttpRequest, max_bytes: int) -> bytes | None:
    """At most ``max_bytes + 1`` bytes of the body; None when its declared length is over
    the cap (then it is not read at all)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return None if declared > max_bytes else request.read(max_bytes + 1)


class _KeptUnreadable(EnvelopeError):
    """Step 4 failed on a signed body, which was kept as ``kept``."""

    def __init__(self, error: EnvelopeError, kept: WebhookEvent) -> None:
        super().__init__(f"{error} (kept as {kept.event_id}).")
        self.kept = kept


def verified_envelope(
    body: bytes,
    headers: Mapping[str, str],
    *,
    at: datetime | None = None,
    keep_unreadable: bool = False,
) -> dict[str, Any]:
    """Steps 2 to 5: secrets, signature, envelope, age (measured at ``at``, default now).

    Raises ImproperlyConfigured, SignatureError or EnvelopeError. With ``keep_unreadable``
    a signed body whose envelope does not parse is stored for replay first.
    """
    verify_signature(body, headers, recur_settings.WEBHOOK_SECRETS)
    try:
        envelope = parse_envelope(body)
    except EnvelopeError as exc:
        if not keep_unreadable:
            raise
        # Signed, so it is Recur's: keep it for replay, then refuse it.
        raise _KeptUnreadable(exc, dispatch.keep_unreadable(body, headers, str(exc))) from None
    check_age(envelope, at=at)
    return envelope


def deliver(
    body: bytes | None, headers: Mapping[str, str], *, dispatch_now: bool = True
) -> Delivery:
    """Run one delivery through every step (see the module docstring).

    ``body`` is the raw request body, or None when it is known to be over the size cap.
    With ``dispatch_now=False`` the event is stored as RECEIVED and not applied; in task
    mode (``RECUR['WEBHOOK_PROCESSING'] = "task"``) a task is enqueued once it is committed
    (:mod:`recur_django.webhooks.deferred`), otherwise a redelivery or :func:`replay`
    applies it.
    """
    max_bytes = int(recur_settings.WEBHOOK_MAX_BYTES)
    if body is None or len(body) > max_bytes:
        logger.warning("Webhook refused: body is over the %d-byte cap.", max_bytes)
        message = f"Bodies over {max_bytes} bytes are refused."
        return Delivery.refused("payload_too_large", message, 413)
    try:
        envelope = verified_envelope(body, headers, keep_unreadable=True)
    except ImproperlyConfigured:
        logger.error("Webhook refused: RECUR['WEBHOOK_SECRET'] is not configured.")
        return Delivery.refused("not_configured", "The webhook secret is not configured.", 500)
    except SignatureError as exc:
        logger.warning("Webhook refused: %s.", exc)
        return Delivery.refused("invalid_signature", "The signature is missing or invalid.", 400)
    except _KeptUnreadable as exc:
        return Delivery.refused("invalid_event", str(exc), 400, event=exc.kept)
    except EnvelopeError as exc:
        logger.warning("Webhook refused: %s.", exc)
        return Delivery.refused("invalid_event", str(exc), 400)
    if not dispatch_now:
        if not recur_settings.webhook_task_mode:
            return Delivery.of(dispatch.store(body, headers, envelope))
        # Lazy: the tasks framework (an optional dependency) loads only in task mode.
        from recur_django.webhooks.deferred import store_for_task

        return Delivery.of(store_for_task(body, headers, envelope))
    if fast_path.enabled():
        return Delivery.of(_fast_or_full(body, headers, envelope))
    return Delivery.of(confirming(lambda: dispatch.store_and_dispatch(body, headers, envelope)))


def _fast_or_full(body: bytes, headers: Mapping[str, str], envelope: dict[str, Any]) -> Outcome:
    """Steps 6 and 7 as one statement when the event allows it (:mod:`.fast_path`), else
    the full path; an event the statement stored without applying is applied now."""
    tried = fast_path.attempt(body, headers, envelope)
    if tried.applied and tried.event is not None:
        return Outcome(str(tried.event.status), tried.event)
    if tried.event is None:
        return confirming(lambda: dispatch.store_and_dispatch(body, headers, envelope))
    outcome = confirming(lambda: dispatch.redispatch(envelope["id"], envelope))
    # This delivery stored the row, so it announces it — even when a concurrent delivery
    # of the same event took the row lock first and applied it (then this one is a
    # duplicate): webhook_received is sent by whoever inserted the row, once per event id.
    send_after_commit(signals.webhook_received, sender=WebhookEvent, event=outcome.event)
    return outcome


def verified_stored(stored: WebhookEvent) -> dict[str, Any]:
    """A stored event's envelope, read again from its raw body and verified (steps 2 to 5).

    What a replay applies: the signed body, never the stored ``payload`` copy. Raises
    SignatureError when the body no longer verifies against the configured secrets and
    EnvelopeError when it does not parse, is too old (measured at ``received_at``) or is
    another event's body (its id is not the row's).
    """
    body = bytes(stored.body)
    headers = stored.headers if isinstance(stored.headers, Mapping) else {}
    envelope = verified_envelope(body, headers, at=stored.received_at)
    if envelope["id"] != stored.event_id:
        raise EnvelopeError(
            f"the stored body is event {envelope['id']!r}, not {stored.event_id!r}."
        )
    return envelope


def replay(event: WebhookEvent | str, *, only_pending: bool = False) -> Outcome:
    """Re-verify a stored event's raw body and apply it again (handlers are idempotent).

    The same rules as a live delivery, the age measured at the event's first receipt
    (:func:`verified_stored`). Raises SignatureError when the stored body no longer
    verifies against the configured secrets, EnvelopeError when it does not parse, is too
    old or is another event's, and ``WebhookEvent.DoesNotExist`` for an unknown id. A
    RECEIVED event (stored, not yet processed) is processed; a kept unreadable delivery
    that now parses is delivered under its real id. With ``only_pending`` (the stale
    sweep) an event processed meanwhile is answered as a duplicate, not applied again.
    """
    event_id = event.event_id if isinstance(event, WebhookEvent) else event
    stored = WebhookEvent.objects.get(event_id=event_id)
    if event_id.startswith(UNREADABLE_PREFIX):
        headers = stored.headers if isinstance(stored.headers, Mapping) else {}
        return _replay_unreadable(stored, bytes(stored.body), headers)
    envelope = verified_stored(stored)
    outcome = confirming(lambda: dispatch.redispatch(event_id, envelope, only_pending=only_pending))
    logger.info("Webhook %s replayed: %s", event_id, outcome.status)
    return outcome


def _replay_unreadable(stored: WebhookEvent, body: bytes, headers: Mapping[str, str]) -> Outcome:
    """Read a kept unreadable delivery again; once it parses, deliver it under its real id."""
    try:
        envelope = verified_envelope(body, headers, at=stored.received_at)
    except EnvelopeError as exc:
        WebhookEvent.objects.filter(pk=stored.pk).update(
            attempts=stored.attempts + 1, error=str(exc)[:5000], processed_at=timezone.now()
        )
        raise
    outcome = confirming(lambda: dispatch.store_and_dispatch(body, headers, envelope))
    with transaction.atomic():
        stored.status = WebhookEvent.Status.PROCESSED
        stored.error = f"Replayed as {outcome.event.event_id} ({outcome.status})."
        stored.attempts += 1
        stored.retryable = False
        stored.processed_at = timezone.now()
        stored.save(update_fields=["status", "error", "attempts", "retryable", "processed_at"])
    logger.info(
        "Webhook %s replayed as %s: %s", stored.event_id, outcome.event.event_id, outcome.status
    )
    return outcome
