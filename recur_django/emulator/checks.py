"""System checks of the emulator (ids ``recur_emulator.…``).

- ``recur_emulator.W001`` (warning): installed while ``DEBUG`` is False.
- ``recur_emulator.E001`` (error, ``check --deploy`` only): installed on a deployment.
- ``recur_emulator.E002`` (error): enabled with ``DEBUG`` False but without its own keys
  (the built-in ``sk_test_emulator``/``whsec_emulator`` apply only with ``DEBUG`` on).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from recur_django.emulator.conf import emulator_settings

_REMOVE_HINT = (
    "It accepts fake payments and exposes a control endpoint. Remove "
    "'recur_django.emulator' from INSTALLED_APPS and its URLs in production."
)


@register(Tags.security, "recur_emulator")
def check_not_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the emulator is installed on a site running with ``DEBUG=False``."""
    if settings.DEBUG:
        return []
    state = (
        "serves because RECUR_EMULATOR['ENABLED'] is True"
        if emulator_settings.enabled
        else "answers 404 (it serves only with DEBUG=True or RECUR_EMULATOR['ENABLED']=True)"
    )
    return [
        Warning(
            f"The Recur emulator (recur_django.emulator) is installed while DEBUG is False; "
            f"it {state}.",
            hint=_REMOVE_HINT + " Silence recur_emulator.W001 only for test settings.",
            id="recur_emulator.W001",
        )
    ]


@register(Tags.security, "recur_emulator", deploy=True)
def check_not_deployed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy``: the test double has no place on a deployed site."""
    return [
        Error(
            "The Recur emulator (recur_django.emulator) is installed on a deployment.",
            hint=_REMOVE_HINT,
            id="recur_emulator.E001",
        )
    ]


@register("recur_emulator")
def check_keys_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Enabled with DEBUG off: the built-in keys do not apply, so they must be set."""
    if settings.DEBUG or not emulator_settings.enabled:
        return []
    user = emulator_settings.user_settings
    missing = [name for name in ("SECRET_KEYS", "WEBHOOK_SECRET") if not user.get(name)]
    if not missing:
        return []
    return [
        Error(
            "RECUR_EMULATOR['ENABLED'] is True with DEBUG=False, but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set.",
            hint=(
                "The built-in sk_test_emulator/whsec_emulator keys apply only with DEBUG=True; "
                "set RECUR_EMULATOR['SECRET_KEYS'] and ['WEBHOOK_SECRET'] (the same values "
                "as RECUR['SECRET_KEY'] and RECUR['WEBHOOK_SECRET'])."
            ),
            id="recur_emulator.E002",
        )
    ]
