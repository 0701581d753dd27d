"""System checks of ``RECUR["EINVOICE"]`` (ids ``recur.E030``… / ``recur.W030``…).

- ``recur.E030``: ``RECUR["EINVOICE"]`` is malformed (not a dict, unknown keys…).
- ``recur.E031``: ``BACKEND`` cannot be imported or is not an ``EInvoiceBackend``.
- ``recur.E032``: the backend refuses its ``OPTIONS`` (missing credentials, a key of the
  wrong length, an ``API_BASE`` that is not a URL).
- ``recur.W030``: the provider's public test credentials with ``DEBUG=False``.
- ``recur.W031``: a test host (ECPay's stage host, plain HTTP) with ``DEBUG=False``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from recur_django.conf import recur_settings
from recur_django.einvoice import factory

_SETTINGS_HINT = (
    "RECUR['EINVOICE'] = {'BACKEND': 'recur_django.einvoice.backends.ecpay.ECPayBackend', "
    "'OPTIONS': {'MERCHANT_ID': …, 'HASH_KEY': …, 'HASH_IV': …}}; see docs/einvoice.md."
)


@register(Tags.security, "recur")
def check_einvoice(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The e-invoice backend can be built from its settings, and is not a test one in
    production."""
    raw = getattr(settings, "RECUR", None)
    if not isinstance(raw, dict) or raw.get("EINVOICE") is None:
        return []  # off (recur.E000 reports a RECUR that is not a dict)
    try:
        config = recur_settings.einvoice
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=_SETTINGS_HINT, id="recur.E030")]
    if config is None:
        return []
    try:
        factory.backend_class(config)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Name a backend class: 'recur_django.einvoice.backends.ecpay.ECPayBackend' "
                "or 'recur_django.einvoice.backends.ezpay.EzPayBackend'.",
                id="recur.E031",
            )
        ]
    try:
        backend = factory.build_backend(config)
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="The provider's dashboard shows the merchant id, HashKey and HashIV.",
                id="recur.E032",
            )
        ]
    messages: list[CheckMessage] = []
    try:
        if settings.DEBUG:
            return []
        if backend.uses_test_credentials:
            messages.append(
                Warning(
                    f"RECUR['EINVOICE'] uses the provider's public test credentials "
                    f"(merchant {backend.merchant_id}) with DEBUG=False: invoices are not "
                    "filed with the tax authority.",
                    hint="Set your own MERCHANT_ID, HASH_KEY and HASH_IV; silence recur.W030 "
                    "on a staging deployment.",
                    id="recur.W030",
                )
            )
        if backend.uses_test_host:
            messages.append(
                Warning(
                    "RECUR['EINVOICE'] points at a test host (OPTIONS API_BASE) with "
                    "DEBUG=False: invoices are not filed with the tax authority.",
                    hint="Use the provider's production host (ECPay: "
                    "https://einvoice.ecpay.com.tw; ezPay: https://inv.ezpay.com.tw).",
                    id="recur.W031",
                )
            )
    finally:
        backend.close()
    return messages
