"""Helpers for tests that post signed Recur events and build pending transactions."""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse

from recur_django import testing
from recur_django.models import Transaction
from recur_django.testing import body_of as body_of  # re-exported for the suite
from recur_django.webhooks.signature import Encoding

SECRET = "whsec_test_secret"
TIMESTAMP = "2026-01-15T10:30:00.000Z"
TIMESTAMP_MS = "1768473000000"
_counter = itertools.count(1)


def event_id() -> str:
    return f"evt_{next(_counter)}_{secrets.token_hex(4)}"


def envelope(event_type: str, data: dict[str, Any], *, id: str | None = None) -> dict[str, Any]:
    return testing.make_event(event_type, data, id=id or event_id(), timestamp=TIMESTAMP)


def post_event(
    client: Client,
    event: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    encoding: Encoding = "base64",
    signature: str | None = None,
    **extra: Any,
):
    """``recur_django.testing.post_event`` with this suite's secret and fixed timestamp."""
    return testing.post_event(
        client,
        event,
        secret=secret,
        encoding=encoding,
        signature=signature,
        headers={"X-Recur-Timestamp": TIMESTAMP_MS},
        **extra,
    )


def make_transaction(
    user: Any,
    *,
    amount: int | None = 100,
    product_id: str = "prod_credits_100",
    session: str | None = None,
    status: str = Transaction.Status.PENDING,
    mode: str = Transaction.Mode.PAYMENT,
    **fields: Any,
) -> Transaction:
    txn = Transaction(
        owner=user,
        user=user,
        product_id=product_id,
        amount=amount,
        currency="TWD",
        mode=mode,
        status=status,
        checkout_session_id=session or f"cs_{secrets.token_hex(8)}",
        checkout_url="https://checkout.example/cs",
        **fields,
    )
    txn.metadata = {"transaction_id": txn.public_id}
    txn.save()
    return txn


def completed_data(txn: Transaction, **overrides: Any) -> dict[str, Any]:
    """checkout.completed data as the emulator sends it for ``txn``."""
    data: dict[str, Any] = testing.checkout_completed(transaction=txn)["data"]
    data.update(overrides)
    return data


class SignalRecorder:
    """Collects the kwargs of every send of one signal."""

    def __init__(self, signal: Any) -> None:
        self.signal = signal
        self.calls: list[dict[str, Any]] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        self.calls.append(kwargs)

    def __enter__(self) -> SignalRecorder:
        self.signal.connect(self, weak=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.signal.disconnect(self)


def webhook_url() -> str:
    return reverse("recur:webhook")


def run_together(target: Any, n: int) -> list[Any]:
    """Call ``target(i)`` in ``n`` threads released together by a barrier; return results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[Exception] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def assert_kept_unreadable(body: bytes) -> Any:
    """Exactly one failed event holds ``body``: a signed delivery kept for replay."""
    from recur_django.models import WebhookEvent
    from recur_django.webhooks.dispatch import UNREADABLE_PREFIX

    events = list(WebhookEvent.objects.all())
    assert len(events) == 1, events
    kept = events[0]
    assert kept.event_id.startswith(UNREADABLE_PREFIX)
    assert kept.status == WebhookEvent.Status.FAILED and kept.error
    assert bytes(kept.body) == body
    return kept
