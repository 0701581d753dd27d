"""Helpers for testing your Recur webhook handlers: build events, sign them, post them.

Works with Django's test client under pytest or ``unittest`` (nothing here imports pytest)::

    from recur_django.testing import checkout_completed, post_event

    response = post_event(self.client, checkout_completed(transaction=txn))
    assert response.json()["status"] == "processed"

The event is signed the way Recur signs it (HMAC-SHA256 of the raw body, keyed with your
``RECUR["WEBHOOK_SECRET"]``) and posted to ``reverse("recur:webhook")``.

In task mode (``RECUR["WEBHOOK_PROCESSING"] = "task"``) the endpoint only stores the event;
:func:`run_webhook_tasks` then applies what waits for the worker, with the worker's code.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http.request import HttpHeaders
from django.urls import reverse
from django.utils import timezone

from recur_django.conf import recur_settings
from recur_django.webhooks.signature import Encoding, compute_signature

__all__ = [
    "body_of",
    "checkout_completed",
    "event_id",
    "iso",
    "make_event",
    "post_event",
    "run_einvoice_tasks",
    "run_webhook_tasks",
    "sign",
    "subscription_event",
]

Event = dict[str, Any]


def iso(moment: datetime) -> str:
    """``moment`` as Recur writes times: ``2026-01-15T10:30:00.000Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_id() -> str:
    """A fresh, unique event id (``evt_…``)."""
    return f"evt_test_{secrets.token_hex(8)}"


def make_event(
    type: str,
    data: Mapping[str, Any],
    *,
    id: str | None = None,
    timestamp: datetime | str | None = None,
) -> Event:
    """The envelope Recur posts: ``{"id", "type", "timestamp", "data"}``."""
    if timestamp is None:
        timestamp = timezone.now()
    if isinstance(timestamp, datetime):
        timestamp = iso(timestamp)
    body = data if isinstance(data, dict) else dict(data)  # a dict is kept, not copied
    return {"id": id or event_id(), "type": type, "timestamp": timestamp, "data": body}


def checkout_completed(
    *,
    transaction: Any = None,
    session_id: str | None = None,
    amount: int | None = None,
    currency: str = "TWD",
    product_id: str | None = None,
    customer_id: str | None = None,
    customer_email: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    timestamp: datetime | str | None = None,
    **fields: Any,
) -> Event:
    """A ``checkout.completed`` event; with ``transaction`` (a ``Transaction`` your site
    started), everything not given is taken from it, as Recur would send it back — the
    external customer id the checkout sent included (pass ``external_customer_id=None`` to
    leave it out)."""
    data: dict[str, Any] = {"status": "COMPLETED", "currency": currency}
    if transaction is not None:
        data.update(
            id=transaction.checkout_session_id,
            metadata={"transaction_id": transaction.public_id},
            amount=transaction.amount,
            currency=transaction.currency or currency,
            product_id=transaction.product_id,
            customer_id=f"cus_{transaction.owner_id}",
            customer_email="",
            order_id=f"ord_{secrets.token_hex(4)}",
        )
        if transaction.owner_id is not None:
            # Lazy: the customer link reads the database; only for a transaction's owner.
            from recur_django.customers import external_id_to_send
            from recur_django.owners import owner_email

            # Recur echoes the external customer id and e-mail the checkout sent.
            data["external_customer_id"] = external_id_to_send(transaction.owner)
            data["customer_email"] = owner_email(transaction.owner)
        if str(transaction.mode).upper() == "SUBSCRIPTION":
            data["subscription_id"] = f"sub_{secrets.token_hex(4)}"
    given = {
        "id": session_id,
        "amount": amount,
        "product_id": product_id,
        "customer_id": customer_id,
        "customer_email": customer_email,
        "metadata": dict(metadata) if metadata is not None else None,
    }
    data.update({key: value for key, value in given.items() if value is not None})
    data.setdefault("id", f"cs_test_{secrets.token_hex(6)}")
    data.update(fields)
    return make_event("checkout.completed", data, id=event_id, timestamp=timestamp)


def subscription_event(
    type: str = "subscription.activated",
    *,
    subscription_id: str = "sub_test_1",
    status: str = "ACTIVE",
    customer_id: str = "cus_test_1",
    product_id: str = "prod_pro_monthly",
    amount: int = 299,
    interval: str = "month",
    period_start: datetime | None = None,
    period_days: int = 30,
    event_id: str | None = None,
    timestamp: datetime | str | None = None,
    **fields: Any,
) -> Event:
    """A ``subscription.*`` event (``created``, ``activated``, ``renewed``, ``canceled``, …)
    carrying a subscription object; extra keyword arguments become fields of ``data``
    (``external_customer_id=…``, ``cancel_at_period_end=True``, …)."""
    start = period_start or timezone.now()
    data: dict[str, Any] = {
        "id": subscription_id,
        "object": "subscription",
        "status": status,
        "customer_id": customer_id,
        "product_id": product_id,
        "amount": amount,
        "currency": "TWD",
        "interval": interval,
        "interval_count": 1,
        "current_period_start": iso(start),
        "current_period_end": iso(start + timedelta(days=period_days)),
        "cancel_at_period_end": False,
        "canceled_at": None,
    }
    data.update(fields)
    return make_event(type, data, id=event_id, timestamp=timestamp)


def body_of(event_or_body: Mapping[str, Any] | bytes) -> bytes:
    """The raw body posted for an event (compact JSON), or ``bytes`` unchanged."""
    if isinstance(event_or_body, bytes):
        return event_or_body
    return json.dumps(event_or_body, separators=(",", ":")).encode()


def sign(body: bytes, secret: str | None = None, encoding: Encoding = "base64") -> str:
    """The ``X-Recur-Signature`` value for ``body``: Base64 (Recur's docs) or ``"hex"``
    (Recur's tooling). ``secret`` defaults to the first ``RECUR["WEBHOOK_SECRET"]``."""
    if secret is None:
        secret = recur_settings.WEBHOOK_SECRETS[0]
    return compute_signature(body, secret, encoding)


def _timestamp_ms(event: Mapping[str, Any]) -> str:
    try:
        moment = datetime.fromisoformat(str(event.get("timestamp")).replace("Z", "+00:00"))
    except ValueError:
        moment = timezone.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp() * 1000))


def post_event(
    client: Any,
    event_or_body: Mapping[str, Any] | bytes,
    *,
    secret: str | None = None,
    headers: Mapping[str, str | None] | None = None,
    encoding: Encoding = "base64",
    signature: str | None = None,
    **extra: Any,
) -> Any:
    """Sign ``event_or_body`` and POST it to ``recur:webhook`` with ``client`` (Django's test
    client); returns the response.

    The ``X-Recur-*`` headers Recur sends are set; ``headers`` override them (``None`` drops
    one). ``signature`` replaces the computed signature (``""`` sends none), for testing
    rejections; ``extra`` goes to ``client.post`` as WSGI environ (``REMOTE_ADDR=…``).
    """
    body = body_of(event_or_body)
    sent: dict[str, str | None] = {
        "X-Recur-Signature": sign(body, secret, encoding) if signature is None else signature,
    }
    if not isinstance(event_or_body, bytes):
        sent["X-Recur-Event-Id"] = str(event_or_body.get("id", ""))
        sent["X-Recur-Event-Type"] = str(event_or_body.get("type", ""))
        sent["X-Recur-Timestamp"] = _timestamp_ms(event_or_body)
    else:
        sent["X-Recur-Timestamp"] = str(int(timezone.now().timestamp() * 1000))
    for name, value in (headers or {}).items():
        for known in [key for key in sent if key.lower() == name.lower()]:
            del sent[known]
        sent[name] = value
    environ = HttpHeaders.to_wsgi_names({k: v for k, v in sent.items() if v})
    environ.update(extra)
    return client.post(
        reverse("recur:webhook"), data=body, content_type="application/json", **environ
    )


def run_webhook_tasks() -> dict[str, str]:
    """Task mode in tests: apply every stored event a worker would apply now, oldest
    first; returns ``{event_id: status}`` (``"processed"``, ``"ignored"``, ``"failed"``…).

    Whatever the task backend of your test settings (django-tasks-db's, which needs a
    worker process; ``DummyBackend``, which never runs a task; or none at all), this runs
    the worker's own drain (:func:`recur_django.webhooks.drain.drain`) in this process, so
    a task-mode test needs no worker. An event already applied (by an
    ``ImmediateBackend``, a redelivery) is not waiting and is left alone. A failing handler
    leaves its event ``failed``; its retry is due only after the backoff.
    """
    # Lazy: the webhook pipeline loads models; only task-mode tests need it.
    from recur_django.webhooks import drain

    return drain.drain().outcomes


def run_einvoice_tasks() -> dict[str, int]:
    """E-invoices in tests whose task backend does not run tasks: issue every pending
    invoice and allowance that is due, as the worker would; returns the counts by status
    (``{"issued": 2}``). Failed rows are left alone (``recur_einvoice retry`` re-drives
    those). Nothing happens when e-invoicing is off.
    """
    # Lazy: the e-invoice services load models; only e-invoicing tests need them.
    from recur_django.einvoice import factory, retry
    from recur_django.models import EInvoice, EInvoiceAllowance

    if not factory.is_enabled():
        return {}
    counts = retry.retry_einvoices(EInvoice.objects.filter(status=EInvoice.Status.PENDING))
    counts.update(
        retry.retry_allowances(
            EInvoiceAllowance.objects.filter(status=EInvoiceAllowance.Status.PENDING)
        )
    )
    return dict(counts)
