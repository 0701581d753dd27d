from __future__ import annotations

from django.apps import AppConfig


class RecurEmulatorConfig(AppConfig):
    name = "recur_django.emulator"
    label = "recur_emulator"
    verbose_name = "Recur emulator"
    default_auto_field = "django.db.models.BigAutoField"
