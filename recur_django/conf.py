"""The ``RECUR`` settings dict, read through one lazy, cached object.

Nothing else in the package reads ``django.conf.settings`` for Recur. The object
refreshes itself when ``RECUR`` changes (``override_settings`` in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Credentials
    "SECRET_KEY": None,
    "PUBLISHABLE_KEY": None,
    "WEBHOOK_SECRET": None,  # a string, or a list of strings during rotation
    # HTTP client
    "API_BASE": "https://api.recur.tw",
    "TIMEOUT": (5.0, 30.0),  # (connect, read) seconds
    "MAX_RETRIES": 2,
    "MAX_RETRY_WAIT": 10.0,  # seconds; caps backoff and Retry-After
    # Webhooks
    "WEBHOOK_MAX_BYTES": 256 * 1024,
    "WEBHOOK_MAX_EVENT_AGE": None,  # seconds; None disables the age check
    # PostgreSQL: apply a paid first-purchase checkout.completed in one SQL statement.
    "WEBHOOK_FAST_PATH": True,
    # "sync": apply each event in the request; "task": store it, answer 200 and apply it in a
    # task on Django's tasks framework (recur_django.webhooks.deferred).
    "WEBHOOK_PROCESSING": "sync",
    "WEBHOOK_TASK_RETRIES": 5,  # task mode: re-runs of a failing handler, with backoff
    "WEBHOOK_STALE_AFTER": 600,  # seconds an event may stay RECEIVED before it is stale
    # Checkout
    "CHECKOUT_SUCCESS_URL": None,  # absolute URL or path; default: recur:checkout-return
    "CHECKOUT_CANCEL_URL": None,  # absolute URL or path; default: "/"
    "CHECKOUT_SESSION_TTL": 24 * 60 * 60,  # seconds, when Recur gives no expires_at
    "PRODUCT_CACHE_SECONDS": 300,
    # Portal and entitlements
    "PORTAL_RETURN_URL": None,
    "PRICING_URL": "/",
    "PAST_DUE_GRACE_DAYS": 3,  # days PAST_DUE still grants access after the period end
    # A fully refunded one-time purchase stops granting its product: True, False, or the
    # product slugs/ids it applies to.
    "REFUND_REVOKES_ACCESS": True,
    # One plan per product family: False refuses a checkout for a plan the user holds.
    "ALLOW_MULTIPLE_SUBSCRIPTIONS": False,
    # Opt-in e-mails: {"receipt", "payment_failed", "trial_ending", "refund"} -> bool.
    "EMAILS": {},
    # "Now" for billing decisions: dotted path to (or a) zero-argument callable returning an
    # aware datetime. "recur_django.emulator.clock.now" follows the emulator's clock.
    "CLOCK": "django.utils.timezone.now",
    # REST API (recur_django.api)
    "API_AUTHENTICATION_CLASSES": None,  # dotted paths; None: session (+ token if installed)
    "API_THROTTLE_CLASSES": None,  # dotted paths; None: the recur user/anon throttles
    # Rates per throttle scope ("120/min"…); None disables a scope. "sessions" limits
    # creating checkout and portal sessions.
    "API_THROTTLE_RATES": {"user": "120/min", "anon": "30/min", "sessions": "20/min"},
    "API_PAGE_SIZE": 20,  # list endpoints; clients may ask for up to 100 with ?page_size=
    # Taiwan e-invoices (recur_django.einvoice): {"BACKEND": dotted path, "OPTIONS": {...}};
    # None: e-invoicing is off.
    "EINVOICE": None,
    # Whose billing (recur_django.owners). The model that owns a Recur customer
    # ("app_label.Model"; None: AUTH_USER_MODEL); choose it before the first migrate.
    "OWNER_MODEL": None,
    # Dotted paths to (or) callables: callable(request) -> owner | None (None: the logged-in
    # user), callable(user, owner) -> bool (None: user == owner), callable(owner) -> str
    # (None: the owner's ``email`` attribute).
    "OWNER_FOR_REQUEST": None,
    "CAN_MANAGE_BILLING": None,
    "OWNER_EMAIL": None,
}

#: The backend used when ``RECUR["EINVOICE"]`` names none.
DEFAULT_EINVOICE_BACKEND = "recur_django.einvoice.backends.ecpay.ECPayBackend"
EINVOICE_KEYS = frozenset({"BACKEND", "OPTIONS"})

REQUIRED: frozenset[str] = frozenset({"SECRET_KEY", "WEBHOOK_SECRET"})

#: Keys whose values are pasted from Recur's dashboard: surrounding whitespace (a trailing
#: newline from a secrets file or an environment variable) is stripped when they are read.
CREDENTIALS: frozenset[str] = frozenset({"SECRET_KEY", "PUBLISHABLE_KEY", "WEBHOOK_SECRET"})

#: The values of ``RECUR["WEBHOOK_PROCESSING"]``.
WEBHOOK_PROCESSING_MODES: tuple[str, ...] = ("sync", "task")


@dataclass(frozen=True)
class EInvoiceConfig:
    """``RECUR["EINVOICE"]``, coerced: the backend's dotted path and its options."""

    backend: str
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


class RecurSettings:
    """Attribute access to ``settings.RECUR`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None
        self._imported: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._cache is None:
            value = getattr(settings, "RECUR", None) or {}
            if not isinstance(value, dict):
                raise ImproperlyConfigured("settings.RECUR must be a dict.")
            self._cache = {
                key: strip_credential(item) if key in CREDENTIALS else item
                for key, item in value.items()
            }
        return self._cache

    def is_set(self, name: str) -> bool:
        """Whether ``name`` has a non-empty value (no exception for required keys)."""
        return bool(self.user_settings.get(name, DEFAULTS.get(name)))

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` or ``default``; never raises for a missing required key."""
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown RECUR setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        return default if value in (None, "", []) else value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Unknown RECUR setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in REQUIRED and value in (None, "", []):
            raise ImproperlyConfigured(f"RECUR[{name!r}] is required but is not set.")
        return value

    @property
    def WEBHOOK_SECRETS(self) -> list[str]:
        """Every accepted webhook secret (rotation); raises when none is set."""
        value = self.WEBHOOK_SECRET
        secrets = [value] if isinstance(value, str) else list(value)
        secrets = [s for s in secrets if isinstance(s, str) and s]
        if not secrets:
            raise ImproperlyConfigured("RECUR['WEBHOOK_SECRET'] is required but is not set.")
        return secrets

    @property
    def webhook_task_mode(self) -> bool:
        """True when ``RECUR['WEBHOOK_PROCESSING']`` is ``"task"``; raises on a bad value."""
        mode = self.WEBHOOK_PROCESSING
        if mode not in WEBHOOK_PROCESSING_MODES:
            raise ImproperlyConfigured(
                f"RECUR['WEBHOOK_PROCESSING'] must be 'sync' or 'task', not {mode!r}."
            )
        return bool(mode == "task")

    @property
    def einvoice(self) -> EInvoiceConfig | None:
        """``RECUR["EINVOICE"]`` coerced, or None when e-invoicing is off (absent, None or
        ``{}``); ImproperlyConfigured when it is malformed. ``BACKEND`` defaults to ECPay."""
        value = self.user_settings.get("EINVOICE")
        if value is None or value == {}:
            return None
        if not isinstance(value, dict):
            raise ImproperlyConfigured(
                "RECUR['EINVOICE'] must be a dict: {'BACKEND': …, 'OPTIONS': {…}}."
            )
        unknown = sorted(str(key) for key in value if key not in EINVOICE_KEYS)
        if unknown:
            raise ImproperlyConfigured(
                f"RECUR['EINVOICE'] has unknown keys {', '.join(unknown)}: it takes BACKEND "
                "and OPTIONS (credentials go inside OPTIONS)."
            )
        backend = value.get("BACKEND") or DEFAULT_EINVOICE_BACKEND
        if not isinstance(backend, str):
            raise ImproperlyConfigured("RECUR['EINVOICE']['BACKEND'] must be a dotted path.")
        options = value.get("OPTIONS") or {}
        if not isinstance(options, dict):
            raise ImproperlyConfigured("RECUR['EINVOICE']['OPTIONS'] must be a dict.")
        return EInvoiceConfig(backend.strip(), dict(options))

    def imported(self, name: str) -> Any:
        """The object a dotted-path setting names (a callable value is returned as it is);
        ``None`` when unset. Imported once and cached until ``RECUR`` changes; a path that
        does not import raises ``ImproperlyConfigured``.
        """
        if name not in self._imported:
            value = self.get(name)
            if isinstance(value, str):
                try:
                    value = import_string(value)
                except ImportError as exc:
                    raise ImproperlyConfigured(
                        f"RECUR[{name!r}] = {value!r} cannot be imported: {exc}"
                    ) from exc
            self._imported[name] = value
        return self._imported[name]

    def reload(self) -> None:
        self._cache = None
        self._imported = {}


def strip_credential(value: Any) -> Any:
    """``value`` (a string, or a list/tuple of strings) without surrounding whitespace."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple):
        return type(value)(item.strip() if isinstance(item, str) else item for item in value)
    return value


recur_settings = RecurSettings()


@receiver(setting_changed)
def _reload_recur_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECUR":
        recur_settings.reload()
