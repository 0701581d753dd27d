"""pytest plugin: the ``recur_emulator`` fixture (load with ``pytest_plugins``).

    pytest_plugins = ["recur_django.emulator.pytest_plugin"]

    def test_buy(recur_emulator):
        session = recur_emulator.client.checkout_sessions.create(...)
        recur_emulator.pay(session.id)
        recur_emulator.deliver()

Prerequisites (the fixture fails with a message naming what is missing):

- ``"recur_django"`` and ``"recur_django.emulator"`` in ``INSTALLED_APPS``;
- the emulator's URLs in ``ROOT_URLCONF``, at any path:
  ``path("_recur/", include("recur_django.emulator.urls"))``;
- pytest-django (``live_server``, ``transactional_db``).

The fixture reads the mount path from the URLconf, points ``RECUR["API_BASE"]`` at the
emulator and webhook delivery at ``recur:webhook`` on the live server, enables the
emulator (``RECUR_EMULATOR["ENABLED"] = True``: pytest-django runs with ``DEBUG=False``),
and makes delivery manual: webhooks are sent by ``.deliver()`` from the test thread,
one after the other — in task mode (``RECUR["WEBHOOK_PROCESSING"] = "task"``) followed by
the stored events' tasks, run as the worker would. Unless the test settings name another
``RECUR["CLOCK"]``, the site's billing "now" follows the emulator's clock. When
``RECUR["EINVOICE"]`` uses the ECPay backend with no ``API_BASE`` (or one of ECPay's
hosts), it points at the emulator's e-invoice endpoint, which accepts the configured
merchant's credentials.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
from django.apps import apps
from django.urls import NoReverseMatch, reverse

from recur_django.emulator.einvoice.fixture import EInvoiceFixture, point_einvoice_at

if TYPE_CHECKING:
    from recur_django.emulator.models import WebhookDelivery
    from recur_django.emulator.services import clock

DEFAULT_CARD = "4147631000000001"
DECLINED_CARD = "4000000000000002"


class RecurEmulator(EInvoiceFixture):
    """Handle on the emulator served by ``live_server``."""

    def __init__(
        self, live_server_url: str, secret_key: str, webhook_url: str, mount: str = "/_recur"
    ) -> None:
        self.live_server_url = live_server_url
        self.base_url = live_server_url + mount
        self.secret_key = secret_key
        self.webhook_url = webhook_url
        self.http = requests.Session()
        self._client: Any = None

    @property
    def client(self) -> Any:
        """A :class:`~recur_django.client.RecurClient` talking to the emulator."""
        if self._client is None:
            # Lazy: the emulator imports the app (settings, client factory) only on demand.
            from recur_django.client_factory import get_client

            self._client = get_client()
        return self._client

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def pay(
        self,
        session_id: str,
        card: str = DEFAULT_CARD,
        *,
        email: str | None = None,
        amount: int | None = None,
    ) -> requests.Response:
        """POST the hosted checkout form; success is a 303 to the success URL. ``amount`` is
        what a donor chooses (``DONATION`` products)."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.models import CheckoutSession

        data = {"card_number": card}
        if email is None and not (
            CheckoutSession.objects.filter(id=session_id)
            .values_list("customer_email", flat=True)
            .first()
        ):
            email = "customer@example.com"
        if email:
            data["email"] = email
        if amount is not None:
            data["amount"] = str(amount)
        return self.http.post(
            self.url(f"checkout/{session_id}/pay"), data=data, allow_redirects=False, timeout=30
        )

    def deliver(self, *, run_tasks: bool = True) -> list[WebhookDelivery]:
        """Send every pending webhook delivery now, in order; returns them.

        In task mode (``RECUR["WEBHOOK_PROCESSING"] = "task"``) the site only stores what
        arrives; unless ``run_tasks=False`` the stored events are then applied as the task
        worker would (:func:`recur_django.testing.run_webhook_tasks`), so a test reads the
        same state in both modes, and the e-invoices those events asked for are issued
        (:func:`recur_django.testing.run_einvoice_tasks`).
        """
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import sender

        sent = sender.deliver_pending()
        if run_tasks and self.task_mode():
            self.run_tasks()
        return sent

    def task_mode(self) -> bool:
        """Whether the site stores webhooks for a task worker (``WEBHOOK_PROCESSING``)."""
        # Lazy: the site's settings object is read on demand, after django.setup().
        from django.conf import settings

        return (getattr(settings, "RECUR", None) or {}).get("WEBHOOK_PROCESSING") == "task"

    def run_tasks(self) -> dict[str, str]:
        """Apply the stored events that wait for the task worker, then issue the e-invoices
        they asked for; ``{event_id: status}`` of the events."""
        # Lazy: the site's webhook pipeline loads models, after django.setup().
        from recur_django.testing import run_einvoice_tasks, run_webhook_tasks

        outcomes = run_webhook_tasks()
        run_einvoice_tasks()
        return outcomes

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        """Emitted event envelopes ``{id, type, timestamp, data}``, oldest first."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.models import Event

        query = Event.objects.order_by("id")
        if type:
            query = query.filter(type=type)
        return [event.envelope() for event in query]

    def advance(self, days: float = 0, *, seconds: float = 0) -> clock.AdvanceResult:
        """Move the emulator clock; renewals, dunning and expiry happen."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.services import clock

        return clock.advance(days=days, seconds=seconds)

    def fault(self, kind: str, count: int = 1, **opts: Any) -> None:
        """Inject a fault: ``"500"``, ``"429"``, ``"hang"``, ``"duplicate"``, ``"out_of_order"``,
        ``"delay"`` or ``"bad_signature"``."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import faults

        faults.add(kind, count, **opts)

    def fail_card(self, customer: str, fails: bool = True) -> None:
        """Make renewal charges of ``customer`` (id, email or external id) fail."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.api.control import set_card

        set_card(customer, fails)

    def refund(self, id: str, amount: int | None = None, reason: str = "") -> dict[str, Any]:
        """Refund ``amount`` (default: all that is left) of an order (``ord_…``) or invoice
        (``in_…``); returns the refund as sent in ``refund.succeeded``. Raises
        :class:`~recur_django.emulator.services.refunds.RefundError` when refused."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import representations
        from recur_django.emulator.services import refunds

        return representations.refund(refunds.refund(id, amount, reason))

    def cancel(self, subscription_id: str, at_period_end: bool = False) -> dict[str, Any]:
        """Cancel a subscription now (access ends at once) or at the end of its paid
        period, as the portal does; returns it as ``subscription.cancelled`` carries it.
        Raises :class:`~recur_django.emulator.services.lifecycle.SubscriptionChangeError`."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import representations
        from recur_django.emulator.services import lifecycle

        return representations.subscription(lifecycle.cancel(subscription_id, at_period_end))

    def resume(self, subscription_id: str) -> dict[str, Any]:
        """Keep a subscription that was set to cancel at period end (``subscription.updated``)."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import representations
        from recur_django.emulator.services import lifecycle

        return representations.subscription(lifecycle.resume(subscription_id))

    def switch(self, subscription_id: str, product: str) -> dict[str, Any]:
        """Switch to ``product`` (id or slug) of the same family, as the portal does: an
        upgrade applies now (``subscription.upgraded``, prorated), a downgrade is scheduled
        to the period end (``subscription.schedule_created``, then
        ``subscription.downgraded``). Returns the subscription."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import representations
        from recur_django.emulator.services import lifecycle

        sub, _outcome = lifecycle.switch(subscription_id, product)
        return representations.subscription(sub)

    def create_coupon(self, discount_type: str, **fields: Any) -> dict[str, Any]:
        """A coupon promotion codes can use (Recur has no coupon API): ``discount_type``
        ``FIXED_AMOUNT`` (``amount_off``), ``PERCENTAGE`` (``percent_off``) or
        ``FIRST_PERIOD_PRICE`` (``first_period_price``); ``duration`` ``ONCE``,
        ``REPEATING`` (``duration_periods``) or ``FOREVER``; optional ``id`` and ``name``."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator import representations
        from recur_django.emulator.services import promotions

        return representations.coupon(
            promotions.create_coupon(discount_type=discount_type, **fields)
        )

    def update_product(self, product_id: str, **fields: Any) -> list[str]:
        """Change a product as Recur's dashboard would (``product.updated`` when something
        changed); returns the names of the fields that changed."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.models import Product
        from recur_django.emulator.services import catalog

        catalog.ensure_products()
        return catalog.change_product(Product.objects.get(id=product_id), **fields)

    def credit_balance(self, customer_id: str) -> int:
        """The credits the emulator holds for ``customer_id`` (no API call)."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.models import Customer

        return Customer.objects.get(id=customer_id).credit_balance

    def control(self, **body: Any) -> requests.Response:
        """POST ``body`` to the control endpoint over HTTP."""
        return self.http.post(
            self.url("_control/"),
            json=body,
            headers={"Authorization": f"Bearer {self.secret_key}"},
            timeout=30,
        )

    def close(self) -> None:
        self.http.close()


def emulator_mount() -> str:
    """The emulator's URL prefix in ``ROOT_URLCONF`` (``"/_recur"``); fails the test with
    what to add when the app or its URLs are missing."""
    missing = [
        name for name in ("recur_django", "recur_django.emulator") if not apps.is_installed(name)
    ]
    if missing:
        pytest.fail(
            "The recur_emulator fixture needs "
            + " and ".join(repr(name) for name in missing)
            + " in INSTALLED_APPS (test settings only).",
            pytrace=False,
        )
    try:
        control = reverse("recur_emulator:control")
    except NoReverseMatch:
        pytest.fail(
            "The recur_emulator fixture needs the emulator's URLs in ROOT_URLCONF: add "
            'path("_recur/", include("recur_django.emulator.urls")) to your test urls.py.',
            pytrace=False,
        )
    return control.removesuffix("/_control/")


@pytest.fixture
def recur_emulator(
    live_server: Any, transactional_db: None, settings: Any
) -> Iterator[RecurEmulator]:
    """The emulator on ``live_server``, wired to this project's webhook endpoint."""
    mount = emulator_mount()
    recur = dict(getattr(settings, "RECUR", {}) or {})
    emulator = dict(getattr(settings, "RECUR_EMULATOR", {}) or {})
    secret_key = recur.get("SECRET_KEY") or "sk_test_emulator"
    webhook_secret = recur.get("WEBHOOK_SECRET") or emulator.get("WEBHOOK_SECRET") or "whsec_test"
    if isinstance(webhook_secret, list | tuple):
        webhook_secret = webhook_secret[0]
    webhook_url = live_server.url + reverse("recur:webhook")
    secret_keys = list(emulator.get("SECRET_KEYS") or [])
    if secret_key not in secret_keys:
        secret_keys.append(secret_key)
    publishable_keys = list(emulator.get("PUBLISHABLE_KEYS") or [])
    if recur.get("PUBLISHABLE_KEY") and recur["PUBLISHABLE_KEY"] not in publishable_keys:
        publishable_keys.append(recur["PUBLISHABLE_KEY"])
    emulator.update(
        SECRET_KEYS=secret_keys,
        PUBLISHABLE_KEYS=publishable_keys,
        WEBHOOK_URL=webhook_url,
        WEBHOOK_SECRET=webhook_secret,
        WEBHOOK_DELIVERY="manual",
        WEBHOOK_RETRY_SCHEDULE=emulator.get("WEBHOOK_RETRY_SCHEDULE", [0, 0, 0]),
        ENABLED=True,
    )
    recur.update(
        SECRET_KEY=secret_key, WEBHOOK_SECRET=recur.get("WEBHOOK_SECRET") or webhook_secret
    )
    recur["API_BASE"] = live_server.url + mount
    point_einvoice_at(recur, emulator, live_server.url + mount + "/einvoice")
    # The site follows the emulator's clock: advance() moves billing "now" too.
    recur.setdefault("CLOCK", "recur_django.emulator.clock.now")
    settings.RECUR_EMULATOR = emulator
    settings.RECUR = recur
    handle = RecurEmulator(live_server.url, secret_key, webhook_url, mount)
    try:
        yield handle
    finally:
        handle.close()
