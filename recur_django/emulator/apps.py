"""A stateful local Recur for tests and the demo. Mount at ``_recur/``."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecurEmulatorConfig(AppConfig):
    name = "recur_django.emulator"
    label = "recur_emulator"
    verbose_name = _("Recur emulator")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lazy: the checks import models, which need the app registry ready() runs after.
        from recur_django.emulator import (
            checks,  # noqa: F401  registers system checks
            conf,  # noqa: F401  reloads on setting changes
        )
