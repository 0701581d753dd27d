from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecurDjangoConfig(AppConfig):
    name = "recur_django"
    label = "recur_django"
    verbose_name = _("Recur billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: system checks, client and e-invoice backend
        # reset on setting changes, and the built-in webhook handlers. Lazy: they import
        # models, which need the app registry this method runs after.
        from recur_django import checks, client_factory, emails, owner_checks, wiring_checks  # noqa: F401
        from recur_django.einvoice import checks as einvoice_checks  # noqa: F401
        from recur_django.einvoice import factory, receivers  # noqa: F401
        from recur_django.webhooks import handlers  # noqa: F401

        emails.connect()  # opt-in receipts and notices (RECUR["EMAILS"])
        receivers.connect()  # e-invoices for paid and refunded payments (RECUR["EINVOICE"])
