"""System checks of the emulator (ids ``recur_emulator.…``).

- ``recur_emulator.W001`` (warning): installed while ``DEBUG`` is False (not reported by
  ``check --deploy``, where E001 says the same, louder).
- ``recur_emulator.E001`` (error, ``check --deploy`` only): installed on a deployment.
- ``recur_emulator.E002`` (error): enabled with ``DEBUG`` False but without its own keys
  (the built-in ``sk_test_emulator``/``whsec_emulator`` apply only with ``DEBUG`` on).
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.checks.registry import CheckRegistry

from recur_django.emulator.conf import emulator_settings

_REMOVE_HINT = (
    "It accepts fake payments and exposes a control endpoint. Remove "
    "'recur_django.emulator' from INSTALLED_APPS and its URLs in production."
)


@register(Tags.security, "recur_emulator")
def check_not_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the emulator is installed on a site running with ``DEBUG=False``.

    Silent in a ``check --deploy`` run: there :func:`check_not_deployed` reports the same
    cause as an error, and one cause is reported once.
    """
    if settings.DEBUG or _deployment_run():
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


def _deployment_run() -> bool:
    """Whether the checks running now include the deployment checks (``check --deploy``).

    Django does not tell a check function; it is the ``include_deployment_checks`` argument
    of the registry's ``run_checks``, which calls the check, so it is read from that frame.
    Anywhere else (a check called directly) the answer is False.
    """
    code = CheckRegistry.run_checks.__code__
    frame: FrameType | None = sys._getframe(1)
    for _ in range(8):  # run_checks calls the check directly; a few wrappers at most
        if frame is None:
            break
        if frame.f_code is code:
            return bool(frame.f_locals.get("include_deployment_checks"))
        frame = frame.f_back
    return False


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
