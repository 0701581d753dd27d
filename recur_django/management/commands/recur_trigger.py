"""``manage.py recur_trigger EVENT_TYPE --url URL [--transaction txn_…]``

Builds a realistic Recur event, signs it like Recur does and POSTs it to ``URL`` — the
local-development way to exercise a webhook endpoint without a tunnel::

    python manage.py recur_trigger checkout.completed \\
        --url http://127.0.0.1:8000/billing/webhook/ --transaction txn_…

With ``--transaction`` the payload describes that transaction (its session id, amount,
product and metadata), so the endpoint fulfils it exactly as a real payment would.
Every Recur id the command makes up (customer, order, subscription, …) is a
:func:`recur_django.triggered.new_id`: the rows it writes are test data by construction,
and the billing overview leaves them out.
With ``--local`` instead of ``--url`` the signed event goes straight through the webhook
pipeline in this process (:func:`recur_django.webhooks.pipeline.deliver`), no server needed.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from recur_django.conf import recur_settings
from recur_django.customers import external_id_for
from recur_django.models import Transaction
from recur_django.owners import owner_email
from recur_django.triggered import new_id
from recur_django.webhooks.pipeline import deliver
from recur_django.webhooks.signature import compute_signature


def _token() -> str:
    return secrets.token_hex(8)


#: The id prefix of the object a ``<resource>.<action>`` event carries (``obj`` otherwise).
OBJECT_PREFIXES = {
    "subscription": "sub",
    "invoice": "in",
    "refund": "re",
    "customer": "cus",
    "product": "prod",
}


def build_data(event_type: str, txn: Transaction | None) -> dict[str, Any]:
    """The ``data`` object of a test ``event_type`` event, describing ``txn`` when given."""
    now = timezone.now().isoformat().replace("+00:00", "Z")
    session_id = (txn.checkout_session_id if txn else None) or new_id("cs")
    base: dict[str, Any] = {
        "amount": txn.amount if txn and txn.amount is not None else 299,
        "currency": (txn.currency if txn else "") or "TWD",
        "product_id": (txn.product_id if txn else "") or "prod_test",
        "customer_id": new_id("cus"),
        "customer_email": (owner_email(txn.owner) if txn else "") or "buyer@example.com",
        "metadata": dict(txn.metadata or {}) if txn else {},
    }
    if txn is not None:
        base["metadata"]["transaction_id"] = txn.public_id
        if txn.owner is not None:
            base["external_customer_id"] = external_id_for(txn.owner)
    is_subscription = bool(txn and txn.mode == Transaction.Mode.SUBSCRIPTION)
    if event_type.startswith("checkout."):
        data = {"id": session_id, "status": "COMPLETED", **base, "created_at": now}
        data["completed_at"] = now if event_type == "checkout.completed" else None
        if event_type == "checkout.completed":
            data["order_id"] = new_id("ord")
            if is_subscription:
                data["subscription_id"] = new_id("sub")
        return data
    if event_type.startswith("order."):
        data = {"id": new_id("ord"), "checkout_session_id": session_id, **base}
        data["status"] = "PAID" if event_type == "order.paid" else "FAILED"
        if event_type == "order.payment_failed":
            data["failure_reason"] = "card declined (test event)"
        return data
    prefix = OBJECT_PREFIXES.get(event_type.partition(".")[0], "obj")
    return {"id": new_id(prefix), **base, "created_at": now}


MAX_TIMEOUT = 600.0


class Command(BaseCommand):
    help = "Sign a realistic Recur event and POST it to a webhook URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_type", metavar="EVENT_TYPE", help="e.g. checkout.completed")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--url", help="The webhook endpoint to POST to.")
        target.add_argument(
            "--local",
            action="store_true",
            help="Deliver through the webhook pipeline in this process instead of over HTTP.",
        )
        parser.add_argument("--transaction", metavar="TXN", help="Describe this txn_… id.")
        parser.add_argument(
            "--secret", help="Signing secret (default: the first RECUR['WEBHOOK_SECRET'])."
        )
        parser.add_argument("--encoding", choices=["base64", "hex"], default="base64")
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args: Any, **options: Any) -> None:
        event_type: str = options["event_type"].strip()
        if "." not in event_type or len(event_type) > 128 or " " in event_type:
            raise CommandError(f"{event_type!r} is not an event type like checkout.completed.")
        url: str = options["url"] or ""
        if options["local"]:
            url = "http://local.invalid/"
        try:
            parts = urlsplit(url)
        except ValueError:
            raise CommandError(f"--url must be an http(s) URL, not {url!r}.") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(f"--url must be an http(s) URL, not {url!r}.")
        timeout = options["timeout"]
        if not 0 < timeout <= MAX_TIMEOUT:  # also refuses NaN
            raise CommandError(f"--timeout must be between 0 and {MAX_TIMEOUT} seconds.")
        secret = options["secret"]
        if not secret:
            try:
                secret = recur_settings.WEBHOOK_SECRETS[0]
            except ImproperlyConfigured:
                raise CommandError(
                    "No signing secret: pass --secret or set RECUR['WEBHOOK_SECRET']."
                ) from None
        txn = None
        if options["transaction"]:
            txn = (
                Transaction.objects.select_related("owner")
                .filter(public_id=options["transaction"])
                .first()
            )
            if txn is None:
                raise CommandError(f"Unknown transaction {options['transaction']!r}.")

        event: dict[str, Any] = {
            "id": f"evt_test_{_token()}",
            "type": event_type,
            "timestamp": timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "data": build_data(event_type, txn),
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers: dict[str, str] = {
            "Content-Type": "application/json",
            "User-Agent": "recur-django-trigger",
            "X-Recur-Signature": compute_signature(body, secret, options["encoding"]),
            "X-Recur-Event-Id": event["id"],
            "X-Recur-Event-Type": event_type,
            "X-Recur-Timestamp": str(int(timezone.now().timestamp() * 1000)),
        }
        if options["local"]:
            self._deliver_locally(event_type, event["id"], body, headers)
            return
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout)
        except (requests.RequestException, ValueError) as exc:
            raise CommandError(f"Could not reach {url}: {type(exc).__name__}") from None
        self.stdout.write(f"Sent {event_type} {event['id']} -> HTTP {response.status_code}")
        self.stdout.write(response.text[:2000])
        if response.status_code >= 300:
            raise CommandError(f"The endpoint answered HTTP {response.status_code}.")

    def _deliver_locally(
        self, event_type: str, event_id: str, body: bytes, headers: dict[str, str]
    ) -> None:
        delivery = deliver(body, headers)
        detail = delivery.error_message or (delivery.event.error if delivery.event else "")
        self.stdout.write(
            f"Delivered {event_type} {event_id} locally -> {delivery.status} "
            f"(HTTP {delivery.http_status})" + (f": {detail}" if detail else "")
        )
        if delivery.http_status >= 300:
            raise CommandError(f"The pipeline answered HTTP {delivery.http_status}.")
