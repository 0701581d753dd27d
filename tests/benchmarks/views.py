"""The benchmark's baseline: the work any webhook design must do, and nothing else.

Size cap, signature over the raw body, parse the signed body (the same envelope check as
the real endpoint), then ONE autocommit INSERT of the full ``WebhookEvent`` row with
ON CONFLICT DO NOTHING. Nothing is applied; the row is left ``received``.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from recur_django.conf import recur_settings
from recur_django.negotiation import json_error
from recur_django.webhooks.processing import EnvelopeError, parse_envelope, recorded_headers
from recur_django.webhooks.signature import SignatureError, verify_signature

INSERT_EVENT = (
    "INSERT INTO recur_django_webhookevent (event_id, type, body, headers, payload, status, "
    "error, traceback, retryable, attempts, received_at, processed_at) "
    "VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, 'received', '', '', false, 0, %s, NULL) "
    "ON CONFLICT (event_id) DO NOTHING"
)


@csrf_exempt
def baseline(request: HttpRequest) -> HttpResponse:
    max_bytes = int(recur_settings.WEBHOOK_MAX_BYTES)
    body = request.read(max_bytes + 1)
    if len(body) > max_bytes:
        return json_error("payload_too_large", "Body over the cap.", 413)
    try:
        verify_signature(body, request.headers, recur_settings.WEBHOOK_SECRETS)
    except SignatureError:
        return json_error("invalid_signature", "The signature is missing or invalid.", 400)
    try:
        envelope = parse_envelope(body)
    except EnvelopeError as exc:
        return json_error("invalid_event", str(exc), 400)
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_EVENT,
            [
                envelope["id"],
                envelope["type"],
                body,
                json.dumps(recorded_headers(request.headers)),
                body.decode("utf-8"),
                timezone.now(),
            ],
        )
    return JsonResponse({"received": True, "id": envelope["id"], "status": "received"})


def ready(request: HttpRequest) -> HttpResponse:
    """Readiness probe for the harness: answers once a worker has loaded Django."""
    return JsonResponse({"ok": True})
