"""The ``recur_emulator`` fixture's e-invoice part: its methods (a mixin of
:class:`~recur_django.emulator.pytest_plugin.RecurEmulator`) and how the fixture points an
ECPay backend at the emulator's endpoint.

Imported when pytest loads the plugin, before Django is set up: no model or setting is read
at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

ECPAY_BACKEND = "recur_django.einvoice.backends.ecpay.ECPayBackend"
ECPAY_HOSTS = frozenset({"einvoice-stage.ecpay.com.tw", "einvoice.ecpay.com.tw"})
SANDBOX_MERCHANT_ID = "2000132"


class EInvoiceFixture:
    """E-invoice helpers of the fixture (it provides ``base_url`` and ``fault``)."""

    base_url: str

    if TYPE_CHECKING:

        def fault(self, kind: str, count: int = 1, **opts: Any) -> None: ...

    @property
    def einvoice_url(self) -> str:
        """The e-invoice endpoint's base: ``OPTIONS["API_BASE"]`` of an ECPay backend."""
        return self.base_url + "/einvoice"

    def einvoice_options(self, merchant_id: str = SANDBOX_MERCHANT_ID) -> dict[str, Any]:
        """``RECUR["EINVOICE"]["OPTIONS"]`` for an ECPay backend on this emulator."""
        # Lazy: settings are read after pytest-django configures Django.
        from recur_django.emulator.conf import emulator_settings

        credentials = emulator_settings.einvoice_credentials(merchant_id)
        if credentials is None:
            raise LookupError(f"RECUR_EMULATOR['EINVOICE_MERCHANTS'] has no {merchant_id!r}.")
        key, iv = credentials
        return {
            "MERCHANT_ID": merchant_id,
            "HASH_KEY": key,
            "HASH_IV": iv,
            "API_BASE": self.einvoice_url,
        }

    def einvoice_lose_answer(
        self, operation: str = "Issue", count: int = 1, *, status: int = 504, seconds: float = 0
    ) -> None:
        """The next ``count`` calls of ``operation`` are carried out, but answer ``status``
        (after ``seconds``): the invoice (or void, allowance…) exists, its answer is lost."""
        self.fault(
            "einvoice_lost_answer", count, operation=operation, status=status, seconds=seconds
        )

    def einvoice_down(
        self, operation: str | None = None, count: int = 1, *, status: int = 503
    ) -> None:
        """The next ``count`` e-invoice calls (of ``operation``, or any) answer ``status``;
        nothing is done."""
        options: dict[str, Any] = {"status": status}
        if operation:
            options["operation"] = operation
        self.fault("einvoice_down", count, **options)

    def einvoice_check_unavailable(self, operation: str | None = None, count: int = 1) -> None:
        """The next ``count`` CheckBarcode / CheckLoveCode calls answer "MOF maintenance"."""
        options = {"operation": operation} if operation else {}
        self.fault("einvoice_check_unavailable", count, **options)

    def einvoice_refuse(
        self,
        code: int = 1500001,
        message: str = "Emulated refusal.",
        operation: str = "Issue",
        count: int = 1,
    ) -> None:
        """The next ``count`` calls of ``operation`` are refused with ``RtnCode`` ``code``."""
        self.fault("einvoice_refusal", count, code=code, message=message, operation=operation)

    def einvoices(self, relate_number: str | None = None) -> list[Any]:
        """The uniform invoices the endpoint issued (newest first)."""
        # Lazy: models cannot load before pytest-django calls django.setup() (after plugins load).
        from recur_django.emulator.models import UniformInvoice

        found = UniformInvoice.objects.prefetch_related("allowances")
        if relate_number is not None:
            found = found.filter(relate_number=relate_number)
        return list(found)


def point_einvoice_at(recur: dict[str, Any], emulator: dict[str, Any], url: str) -> None:
    """An ECPay backend in RECUR["EINVOICE"] without an API_BASE, or with one of ECPay's own
    hosts, talks to the emulator, which accepts its merchant (its default merchants are
    kept). Another API_BASE (a server of your own) is left alone."""
    einvoice = recur.get("EINVOICE")
    if (
        not isinstance(einvoice, dict)
        or (einvoice.get("BACKEND") or ECPAY_BACKEND) != ECPAY_BACKEND
    ):
        return
    api_base = str((einvoice.get("OPTIONS") or {}).get("API_BASE") or "")
    if api_base and urlsplit(api_base).hostname not in ECPAY_HOSTS:
        return
    # Lazy: the emulator's defaults are read after pytest-django configures Django.
    from recur_django.emulator.conf import DEFAULTS

    options = dict(einvoice.get("OPTIONS") or {})
    options["API_BASE"] = url
    merchants = dict(emulator.get("EINVOICE_MERCHANTS") or DEFAULTS["EINVOICE_MERCHANTS"])
    merchant_id, key, iv = (options.get(name) for name in ("MERCHANT_ID", "HASH_KEY", "HASH_IV"))
    if merchant_id and key and iv:
        merchants[str(merchant_id)] = {"HASH_KEY": key, "HASH_IV": iv}
    emulator["EINVOICE_MERCHANTS"] = merchants
    recur["EINVOICE"] = {**einvoice, "OPTIONS": options}
