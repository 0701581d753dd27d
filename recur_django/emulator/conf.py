"""The ``RECUR_EMULATOR`` settings dict, read through one cached object.

Nothing else in the emulator reads ``django.conf.settings`` for its configuration.
The cache is dropped when ``RECUR_EMULATOR`` changes (``override_settings`` in tests).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

# Built-in keys, used only while ``settings.DEBUG`` is True: with DEBUG off the emulator
# accepts no key and signs with no secret until RECUR_EMULATOR names them.
DEBUG_DEFAULTS: dict[str, Any] = {
    "SECRET_KEYS": ["sk_test_emulator"],
    "PUBLISHABLE_KEYS": ["pk_test_emulator"],
    "WEBHOOK_SECRET": "whsec_emulator",
}

DEFAULTS: dict[str, Any] = {
    # None: serve only while settings.DEBUG is True; True: serve with DEBUG off too (tests).
    "ENABLED": None,
    # Hosts (besides the emulator's own) that success/cancel/return URLs may point at;
    # entries as in ALLOWED_HOSTS (".example.com" covers subdomains). "*" is refused.
    "ALLOWED_REDIRECT_HOSTS": [],
    # API keys the emulator accepts (None: the DEBUG_DEFAULTS, with DEBUG on only).
    "SECRET_KEYS": None,
    "PUBLISHABLE_KEYS": None,
    # Webhooks: where to POST events and how to sign them.
    "WEBHOOK_SECRET": None,
    "WEBHOOK_URL": None,  # None: events are recorded but never delivered
    "WEBHOOK_SIGNATURE_ENCODING": "base64",  # "base64" (Recur's docs) or "hex"
    "WEBHOOK_DELIVERY": "background",  # "background" thread, "manual" (deliver()), "off"
    "WEBHOOK_RETRY_SCHEDULE": [1, 5, 30],  # seconds before each retry (compressed)
    "WEBHOOK_TIMEOUT": 20,  # seconds Recur waits for the endpoint
    # Sessions
    "CHECKOUT_SESSION_TTL": 24 * 60 * 60,  # seconds
    "PORTAL_SESSION_TTL": 60 * 60,  # seconds
    "PAST_DUE_GRACE_DAYS": 3,
    # Catalogue: list of product dicts (id, slug, name, type, billing_period, price, currency)
    "PRODUCTS": [],
    # Coupons promotion codes can use: [{"id": "cpn_spring", "discount_type": "PERCENTAGE",
    # "percent_off": 20, "duration": "ONCE"}, ...] (Recur has no public coupon API)
    "COUPONS": [],
    # Standing faults, same shape as the control endpoint: [{"fault": "duplicate"}, ...]
    "FAULTS": [],
}


class EmulatorSettings:
    """Attribute access to ``settings.RECUR_EMULATOR`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._cache is None:
            value = getattr(settings, "RECUR_EMULATOR", None) or {}
            if not isinstance(value, dict):
                raise ImproperlyConfigured("settings.RECUR_EMULATOR must be a dict.")
            self._cache = dict(value)
        return self._cache

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Unknown RECUR_EMULATOR setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if value is None and name in DEBUG_DEFAULTS:
            return DEBUG_DEFAULTS[name] if settings.DEBUG else None
        return DEFAULTS[name] if value is None and DEFAULTS[name] is not None else value

    @property
    def enabled(self) -> bool:
        """Whether the emulator answers at all: DEBUG on, or ``ENABLED`` set to True."""
        return bool(settings.DEBUG) or self.user_settings.get("ENABLED") is True

    @property
    def secret_keys(self) -> list[str]:
        return _as_list(self.SECRET_KEYS)

    @property
    def publishable_keys(self) -> list[str]:
        return _as_list(self.PUBLISHABLE_KEYS)

    @property
    def webhook_secret(self) -> str:
        """The signing secret; ImproperlyConfigured when none is set (DEBUG off)."""
        secret = self.WEBHOOK_SECRET
        if not isinstance(secret, str) or not secret:
            raise ImproperlyConfigured(
                "RECUR_EMULATOR['WEBHOOK_SECRET'] is not set: the built-in secret is used "
                "only with DEBUG=True."
            )
        return secret

    def reload(self) -> None:
        self._cache = None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value or [] if isinstance(v, str) and v]


emulator_settings = EmulatorSettings()


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECUR_EMULATOR":
        emulator_settings.reload()
