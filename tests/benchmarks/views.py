"""The benchmark's baselines: the work a webhook design must do, and nothing else.

``baseline`` (issue 12's yardstick): size cap, signature over the raw body, parse the signed
body (the same envelope check as the real endpoint), then ONE autocommit INSERT of the full
``WebhookEvent`` row with ON CONFLICT DO NOTHING. Nothing is applied; the row is stored
``ignored`` (the same row and cost as ``received``), so the task variant's workers, which
drain every ``received`` event, leave it alone.

``floor``: the same, but the one statement also writes what applying a first purchase
must write — the transaction completed, the customer linked, the payment recorded — read
straight from the payload, with none of the checks, none of the signals and none of the
fallbacks of the real path. No correct endpoint can apply these events for less, so the
real path's ratio to it is the cost of being correct; the ratio of ``floor`` to
``baseline`` is the cost of the work itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from recur_django.conf import recur_settings
from recur_django.exceptions import EnvelopeError
from recur_django.negotiation import json_error
from recur_django.webhooks.envelope import parse_envelope, recorded_headers
from recur_django.webhooks.signature import SignatureError, verify_signature

INSERT_EVENT = (
    "INSERT INTO recur_django_webhookevent (event_id, type, body, headers, payload, status, "
    "error, traceback, retryable, attempts, received_at, processed_at) "
    "VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, 'ignored', '', '', false, 0, %s, NULL) "
    "ON CONFLICT (event_id) DO NOTHING"
)


# The floor: the event row as PROCESSED, plus the three rows a first purchase writes.
APPLY = """
WITH txn AS (
    UPDATE recur_django_transaction SET status = 'completed', completed_at = %(now)s,
        updated_at = %(now)s, order_id = %(order)s
    WHERE public_id = %(txn)s AND status = 'pending' RETURNING id, owner_id, user_id
),
ev AS (
    INSERT INTO recur_django_webhookevent (event_id, type, body, headers, payload, status,
        error, traceback, retryable, attempts, received_at, processed_at)
    VALUES (%(id)s, %(type)s, %(body)s, %(headers)s::jsonb, %(payload)s::jsonb, 'processed',
        '', '', false, 1, %(now)s, %(now)s)
    ON CONFLICT (event_id) DO NOTHING RETURNING id
),
cust AS (
    INSERT INTO recur_django_customer (owner_id, recur_id, email, name, external_id,
        created_at, updated_at)
    SELECT owner_id, %(customer)s, %(email)s, '', %(external)s, %(now)s, %(now)s FROM txn
    RETURNING id
)
INSERT INTO recur_django_payment (recur_id, order_id, kind, status, amount, currency,
    refunded_amount, reported_refunded_total, customer_id, owner_id, user_id, transaction_id,
    checkout_session_id, product_id, billing_reason, failure_reason, paid_at,
    success_signaled, failure_signaled, refund_signaled_amount, raw, created_at, updated_at)
SELECT %(order)s, %(order)s, 'checkout', 'paid', %(amount)s, %(currency)s, 0, 0, cust.id,
    txn.owner_id, txn.user_id, txn.id, %(session)s, %(product)s, '', '', %(now)s, true, false, 0,
    %(payload)s::jsonb -> 'data', %(now)s, %(now)s
FROM txn, cust
"""


def verified(
    view: Callable[[HttpRequest, bytes, dict[str, Any]], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Size cap, signature and envelope, as the real endpoint checks them; then ``view``
    with the body and the envelope."""

    @csrf_exempt
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
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
        return view(request, body, envelope)

    return checked


@verified
def baseline(request: HttpRequest, body: bytes, envelope: dict[str, Any]) -> HttpResponse:
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


@verified
def floor(request: HttpRequest, body: bytes, envelope: dict[str, Any]) -> HttpResponse:
    data = envelope["data"]
    params = {
        "now": timezone.now(),
        "txn": data["metadata"]["transaction_id"],
        "order": data["order_id"],
        "id": envelope["id"],
        "type": envelope["type"],
        "body": body,
        "headers": json.dumps(recorded_headers(request.headers)),
        "payload": body.decode("utf-8"),
        "customer": data["customer_id"],
        "email": data["customer_email"],
        "external": data["external_customer_id"],
        "amount": data["amount"],
        "currency": data["currency"],
        "session": data["id"],
        "product": data["product_id"],
    }
    with connection.cursor() as cursor:
        cursor.execute(APPLY, params)
    return JsonResponse({"received": True, "id": envelope["id"], "status": "processed"})


def ready(request: HttpRequest) -> HttpResponse:
    """Readiness probe for the harness: answers once a worker has loaded Django."""
    return JsonResponse({"ok": True})


# The renewal floor: each event of a renewal trio stored PROCESSED, and what applying it
# must write — the charge's payment (both order.paid and invoice.paid name it: the first
# inserts it), the subscription's new period — read straight from the payload, unchecked.
EVENT_CTE = """
WITH ev AS (
    INSERT INTO recur_django_webhookevent (event_id, type, body, headers, payload, status,
        error, traceback, retryable, attempts, received_at, processed_at)
    VALUES (%(id)s, %(type)s, %(body)s, %(headers)s::jsonb, %(payload)s::jsonb, 'processed',
        '', '', false, 1, %(now)s, %(now)s)
    ON CONFLICT (event_id) DO NOTHING RETURNING id
)
"""
RENEWAL_PAYMENT = (
    EVENT_CTE
    + """
INSERT INTO recur_django_payment (recur_id, order_id, invoice_id, kind, status, amount,
    currency, refunded_amount, reported_refunded_total, customer_id, owner_id, user_id,
    subscription_id, transaction_id, payment_link_id, checkout_session_id, product_id,
    billing_reason, failure_reason, paid_at, failed_at, success_signaled, failure_signaled,
    refund_signaled_amount, review_reason, raw, created_at, updated_at)
SELECT %(invoice)s, %(order)s, %(invoice)s, 'renewal', 'paid', %(amount)s, %(currency)s, 0, 0,
    c.id, c.owner_id, c.owner_id, s.id, NULL, NULL, '', %(product)s, 'subscription_cycle', '',
    %(now)s, NULL, true, false, 0, '', %(payload)s::jsonb -> 'data', %(now)s, %(now)s
FROM recur_django_subscription s JOIN recur_django_customer c ON c.id = s.customer_id
WHERE s.recur_id = %(sub)s AND EXISTS (SELECT 1 FROM ev)
ON CONFLICT DO NOTHING
"""
)
RENEWED = (
    EVENT_CTE
    + """
UPDATE recur_django_subscription SET status = 'ACTIVE', current_period_start = %(start)s,
    current_period_end = %(end)s, last_event_at = %(now)s, last_event_id = %(id)s,
    raw = %(payload)s::jsonb -> 'data', updated_at = %(now)s
WHERE recur_id = %(sub)s AND EXISTS (SELECT 1 FROM ev)
"""
)


@verified
def renewal_floor(request: HttpRequest, body: bytes, envelope: dict[str, Any]) -> HttpResponse:
    data = envelope["data"]
    params = {
        "now": timezone.now(),
        "id": envelope["id"],
        "type": envelope["type"],
        "body": body,
        "headers": json.dumps(recorded_headers(request.headers)),
        "payload": body.decode("utf-8"),
    }
    if envelope["type"] == "subscription.renewed":
        params.update(
            sub=data["id"], start=data["current_period_start"], end=data["current_period_end"]
        )
        sql = RENEWED
    else:
        is_order = envelope["type"].startswith("order.")
        params.update(
            sub=data["subscription_id"],
            order=data["id"] if is_order else data["order_id"],
            invoice=data["invoice_id"] if is_order else data["id"],
            amount=data["amount"],
            currency=data["currency"],
            product=data["product_id"],
        )
        sql = RENEWAL_PAYMENT
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return JsonResponse({"received": True, "id": envelope["id"], "status": "processed"})
