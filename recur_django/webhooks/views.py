"""The webhook endpoint Recur POSTs events to (``recur:webhook``).

Order of work: size cap (413) -> signature over the raw body (400; 500 while no secret is
configured, so Recur keeps the event and retries) -> envelope (400; the signed body is kept
as a failed event for replay) -> store and apply in one transaction (200; 500 when a
handler failed unexpectedly, so Recur retries).
Log lines name the event id and type, never the body, a signature or a secret.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from recur_django.conf import recur_settings
from recur_django.negotiation import json_error
from recur_django.webhooks import processing
from recur_django.webhooks.signature import SignatureError, verify_signature

logger = logging.getLogger("recur_django.webhooks")


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class WebhookView(View):
    """Receive signed Recur events.

    Not wrapped in ``ATOMIC_REQUESTS``: the pipeline commits the stored event in its own
    transactions, and a signal receiver runs after that commit.
    """

    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """A liveness answer for humans and uptime checks; nothing is read or written."""
        return JsonResponse({"ok": True, "detail": "POST signed Recur events to this URL."})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        max_bytes = int(recur_settings.WEBHOOK_MAX_BYTES)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # A declared length over the cap is refused unread; a lying one by a bounded read.
        body = b"" if declared > max_bytes else request.read(max_bytes + 1)
        if declared > max_bytes or len(body) > max_bytes:
            logger.warning("Webhook refused: body is over the %d-byte cap.", max_bytes)
            return json_error(
                "payload_too_large", f"Bodies over {max_bytes} bytes are refused.", 413
            )

        try:
            secrets = recur_settings.WEBHOOK_SECRETS
        except ImproperlyConfigured:
            logger.error("Webhook refused: RECUR['WEBHOOK_SECRET'] is not configured.")
            return json_error("not_configured", "The webhook secret is not configured.", 500)
        try:
            verify_signature(body, request.headers, secrets)
        except SignatureError as exc:
            logger.warning("Webhook refused: %s.", exc)
            return json_error("invalid_signature", "The signature is missing or invalid.", 400)

        try:
            envelope = processing.parse_envelope(body)
        except processing.EnvelopeError as exc:
            # Signed, so it is Recur's: keep it for replay, then refuse it.
            kept = processing.keep_unreadable(body, request.headers, str(exc))
            return json_error("invalid_event", f"{exc} (kept as {kept.event_id}).", 400)
        try:
            processing.check_age(envelope)
        except processing.EnvelopeError as exc:
            logger.warning("Webhook refused: %s.", exc)
            return json_error("invalid_event", str(exc), 400)

        outcome = processing.receive(body, request.headers, envelope)
        if outcome.retry:
            return json_error("processing_failed", "The event was stored; please retry.", 500)
        return JsonResponse(
            {"received": True, "id": outcome.event.event_id, "status": outcome.status},
            status=outcome.http_status,
        )
