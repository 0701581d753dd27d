from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecurDjangoConfig(AppConfig):
    name = "recur_django"
    label = "recur_django"
    verbose_name = _("Recur billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from recur_django import checks  # noqa: F401  registers system checks
        from recur_django import client_factory  # noqa: F401  resets client on setting changes
        from recur_django.webhooks import handlers  # noqa: F401  registers event handlers
