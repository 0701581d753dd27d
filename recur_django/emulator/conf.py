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
    # The ECPay-compatible e-invoice endpoint (<mount>/einvoice/B2CInvoice/<Operation>):
    # merchants it accepts, MerchantID -> {"HASH_KEY", "HASH_IV"} (ECPay's public sandbox
    # merchant by default, DEBUG or not: those credentials are published).
    "EINVOICE_MERCHANTS": {
        "2000132": {"HASH_KEY": "ejCk326UnaZWKisg", "HASH_IV": "q9jcZX8Ib9LM8wYk"}
    },
    # Well-formed codes CheckBarcode / CheckLoveCode answer as unknown (IsExist "N").
    "EINVOICE_UNKNOWN_BARCODES": ["/NOTREAL"],
    "EINVOICE_UNKNOWN_LOVE_CODES": ["000"],
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
            # Keys and secrets pasted with a trailing newline are used without it, as
            # recur_django.conf reads RECUR's.
            self._cache = {
                key: _stripped(item) if key in DEBUG_DEFAULTS else item
                for key, item in value.items()
            }
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

    def einvoice_credentials(self, merchant_id: str) -> tuple[str, str] | None:
        """(HashKey, HashIV) of an e-invoice merchant the emulator accepts, or None."""
        merchants = self.EINVOICE_MERCHANTS
        entry = merchants.get(str(merchant_id)) if isinstance(merchants, dict) else None
        if not isinstance(entry, dict):
            return None
        key, iv = entry.get("HASH_KEY"), entry.get("HASH_IV")
        if not (isinstance(key, str) and isinstance(iv, str) and len(key) == len(iv) == 16):
            return None
        return key, iv

    def reload(self) -> None:
        self._cache = None


def _stripped(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list | tuple):
        return type(value)(item.strip() if isinstance(item, str) else item for item in value)
    return value


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value or [] if isinstance(v, str) and v]


emulator_settings = EmulatorSettings()


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECUR_EMULATOR":
        emulator_settings.reload()
