"""The webhook endpoint Recur POSTs events to (``recur:webhook``).

The view reads the body (bounded by the size cap) and hands it to
:func:`recur_django.webhooks.pipeline.deliver`, which runs every step: size cap (413) ->
secrets (500, so Recur keeps the event and retries) -> signature (400) -> envelope (400; the
signed body is kept as a failed event for replay) -> age (400) -> store and apply in one
transaction (200; 500 when a handler failed unexpectedly, so Recur retries). In task mode
(``RECUR['WEBHOOK_PROCESSING'] = "task"``) the event is only stored (200) and a task applies
it (:mod:`recur_django.webhooks.deferred`).
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
from recur_django.webhooks.pipeline import deliver, read_body

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
        try:
            task_mode = recur_settings.webhook_task_mode
        except ImproperlyConfigured as exc:
            logger.error("Webhook refused: %s", exc)
            return json_error("not_configured", "Webhook processing is misconfigured.", 500)
        body = read_body(request, int(recur_settings.WEBHOOK_MAX_BYTES))
        delivery = deliver(body, request.headers, dispatch_now=not task_mode)
        if delivery.error_code:
            return json_error(delivery.error_code, delivery.error_message, delivery.http_status)
        assert delivery.event is not None
        return JsonResponse(
            {"received": True, "id": delivery.event.event_id, "status": delivery.status},
            status=delivery.http_status,
        )
