"""Webhook sender: signs and POSTs deliveries, records every attempt, retries failures.

Each attempt goes to ``RECUR_EMULATOR["WEBHOOK_URL"]`` as it is when the attempt is made
(:func:`target_url`), so a delivery queued while the site ran on another port reaches the
site where it runs now; the delivery's ``url`` records where it was last sent.
``deliver_pending()`` sends synchronously (the ``deliver`` command, the pytest fixture).
In ``"background"`` mode a daemon thread, started on the first :func:`wake`, sends due
deliveries and retries non-2xx answers and timeouts on ``WEBHOOK_RETRY_SCHEDULE``.
No database transaction or lock is held while a request is in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import requests
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from recur_django.emulator import clock
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.models import DeliveryAttempt, WebhookDelivery
from recur_django.webhooks.signature import Encoding, compute_signature

logger = logging.getLogger("recur_django.emulator")

SNIPPET_CHARS = 500

_wake = threading.Event()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()
_held = 0  # >0 while a caller delivers synchronously (see held())


def headers_for(delivery: WebhookDelivery) -> dict[str, str]:
    """The signed request headers of ``delivery``."""
    event = delivery.event
    secret = emulator_settings.webhook_secret
    if delivery.bad_signature:
        secret += "-wrong"
    encoding: Encoding = (
        "hex" if emulator_settings.WEBHOOK_SIGNATURE_ENCODING == "hex" else "base64"
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": "recur-django-emulator",
        "X-Recur-Signature": compute_signature(event.body.encode("utf-8"), secret, encoding),
        "X-Recur-Event-Id": event.event_id,
        "X-Recur-Event-Type": event.type,
        "X-Recur-Timestamp": str(int(event.timestamp.timestamp() * 1000)),
    }


def target_url(delivery: WebhookDelivery) -> str:
    """Where ``delivery`` goes now: the current ``WEBHOOK_URL``, else the one it was queued for."""
    return str(emulator_settings.WEBHOOK_URL or delivery.url)


def refusal_hint(attempt: DeliveryAttempt | None) -> str:
    """What to check when a delivery was not accepted, read from its last attempt."""
    if attempt is None or attempt.status_code is None:
        return "Is your site running there?"
    if attempt.status_code == 400 and "invalid_signature" in attempt.response_snippet:
        return (
            "The site refused the signature: check that RECUR_EMULATOR['WEBHOOK_SECRET'] "
            "matches the site's RECUR['WEBHOOK_SECRET']."
        )
    return f"The site answered HTTP {attempt.status_code}: see its log and its webhook events."


def send(delivery: WebhookDelivery) -> DeliveryAttempt:
    """POST ``delivery`` once, record the attempt and schedule a retry if it failed."""
    url = target_url(delivery)
    if url != delivery.url:
        delivery.url = url
        delivery.save(update_fields=["url"])
    number = delivery.attempt_count + 1
    started = timezone.now()
    clock_start = time.monotonic()
    status_code: int | None = None
    snippet = error = ""
    try:
        # A fresh connection per attempt: no keep-alive socket outlives the delivery.
        response = requests.post(
            url,
            data=delivery.event.body.encode("utf-8"),
            headers=headers_for(delivery),
            timeout=float(emulator_settings.WEBHOOK_TIMEOUT),
            allow_redirects=False,
        )
        status_code = response.status_code
        snippet = response.text[:SNIPPET_CHARS]
    except requests.Timeout:
        error = "timeout"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    except ImproperlyConfigured as exc:  # no signing secret with DEBUG off
        logger.error("Emulator webhook not sent: %s", exc)
        error = str(exc)[:500]
    duration_ms = int((time.monotonic() - clock_start) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=started,
        status_code=status_code,
        succeeded=succeeded,
        response_snippet=snippet,
        error=error,
        duration_ms=duration_ms,
    )
    delivery.attempt_count = number
    if succeeded:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    else:
        schedule = list(emulator_settings.WEBHOOK_RETRY_SCHEDULE or [])
        if number <= len(schedule):
            delivery.next_attempt_at = timezone.now() + timedelta(
                seconds=float(schedule[number - 1])
            )
        else:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        logger.info(
            "Webhook %s attempt %s failed: %s",
            delivery.event.event_id,
            number,
            status_code or error,
        )
    delivery.save(update_fields=["attempt_count", "status", "delivered_at", "next_attempt_at"])
    return attempt


def _pending(due_only: bool) -> list[WebhookDelivery]:
    now = timezone.now()
    query = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=clock.now())  # delays: emulator clock
    )
    if due_only:
        query = query.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return list(query.select_related("event").order_by("sort_key", "id"))


def deliver_pending(due_only: bool = False) -> list[WebhookDelivery]:
    """Send every pending delivery once, in order; returns the deliveries sent.

    With ``due_only=False`` (the default) deliveries waiting for a retry are sent now
    instead of at their scheduled time; delayed deliveries (the ``delay`` fault) still wait.
    """
    sent = []
    for delivery in _pending(due_only):
        send(delivery)
        sent.append(delivery)
    return sent


@contextmanager
def held() -> Iterator[None]:
    """Keep the background sender asleep: the caller drains the outbox itself afterwards.

    Used by the ``recur_emulator`` command, whose process would exit (and kill the daemon
    thread) before a background delivery finished.
    """
    global _held
    with _thread_lock:
        _held += 1
    try:
        yield
    finally:
        with _thread_lock:
            _held -= 1


def last_attempt(delivery: WebhookDelivery) -> DeliveryAttempt | None:
    """The latest recorded attempt of ``delivery``."""
    return delivery.attempts.order_by("-number").first()


def wake() -> None:
    """Ask the background sender to look for due deliveries (starts it on first use)."""
    global _thread
    with _thread_lock:
        if _held:
            return
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="recur-emulator-sender", daemon=True)
            _thread.start()
    _wake.set()


def _next_wait() -> float | None:
    """Seconds until the next scheduled retry or delayed delivery; None if none is pending."""
    now, emulator_now = timezone.now(), clock.now()
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    waits = [
        (moment - start).total_seconds()
        for retry_at, not_before in pending.values_list("next_attempt_at", "not_before")
        for moment, start in ((retry_at, now), (not_before, emulator_now))
        if moment is not None
    ]
    if not waits and not pending.exists():
        return None
    return max(0.05, min(waits, default=0.05))


def _run() -> None:
    wait: float | None = None
    while True:
        _wake.wait(timeout=wait)
        _wake.clear()
        try:
            close_old_connections()
            deliver_pending(due_only=True)
            wait = _next_wait()
        except Exception:  # the thread must survive a bad row or a dropped connection
            logger.exception("Emulator webhook sender failed")
            wait = 1.0
        finally:
            close_old_connections()
