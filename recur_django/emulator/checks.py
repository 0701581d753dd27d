"""System checks of the emulator (ids ``recur_emulator.…``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, "recur_emulator")
def check_not_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the emulator is installed on a site running with ``DEBUG=False``."""
    if settings.DEBUG:
        return []
    return [
        Warning(
            "The Recur emulator (recur_django.emulator) is installed while DEBUG is False.",
            hint=(
                "It accepts fake payments and exposes a control endpoint. Remove it from "
                "INSTALLED_APPS and its URLs in production; silence recur_emulator.W001 only "
                "for test settings."
            ),
            id="recur_emulator.W001",
        )
    ]
