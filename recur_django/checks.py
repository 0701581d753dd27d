"""System checks for the ``RECUR`` settings (ids ``recur.E…`` / ``recur.W…``)."""

from __future__ import annotations

import difflib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from recur_django import clock as billing_clock
from recur_django import tasks
from recur_django.conf import DEFAULTS, WEBHOOK_PROCESSING_MODES, recur_settings
from recur_django.emulator.conf import DEFAULTS as EMULATOR_DEFAULTS
from recur_django.emulator.conf import emulator_settings

DASHBOARD = "Keys are in the Recur dashboard: Settings → Developers."

# Names other SDKs use, mapped to ours (difflib alone would suggest PRICING_URL for API_URL).
KNOWN_MISNAMES = {
    "API_URL": "API_BASE",
    "BASE_URL": "API_BASE",
    "API_BASE_URL": "API_BASE",
    "API_ENDPOINT": "API_BASE",
    "API_KEY": "SECRET_KEY",
    "SECRET": "SECRET_KEY",
    "WEBHOOK_SIGNING_SECRET": "WEBHOOK_SECRET",
}


@register(Tags.security, "recur")
def check_recur_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Validate keys, webhook secret and API base of ``settings.RECUR``."""
    messages: list[CheckMessage] = []
    raw = getattr(settings, "RECUR", None)
    if raw is not None and not isinstance(raw, dict):
        return [Error("settings.RECUR must be a dict.", id="recur.E000")]

    secret = recur_settings.get("SECRET_KEY")
    if not secret:
        messages.append(
            Error(
                "RECUR['SECRET_KEY'] is not set.",
                hint=f"Set it to your sk_test_… or sk_live_… key. {DASHBOARD}",
                id="recur.E001",
            )
        )
    elif not str(secret).startswith("sk_"):
        hint = "It must start with 'sk_'."
        if str(secret).startswith("pk_"):
            hint = "That is a publishable key: put it in RECUR['PUBLISHABLE_KEY'] instead."
        messages.append(
            Error("RECUR['SECRET_KEY'] is not a secret key.", hint=hint, id="recur.E002")
        )
    elif str(secret).startswith("sk_live_") and settings.DEBUG:
        messages.append(
            Warning(
                "A live secret key (sk_live_…) is used with DEBUG=True.",
                hint="Use an sk_test_… key in development; live keys charge real cards.",
                id="recur.W001",
            )
        )

    publishable = recur_settings.get("PUBLISHABLE_KEY")
    if publishable and not str(publishable).startswith("pk_"):
        hint = "It must start with 'pk_'."
        if str(publishable).startswith("sk_"):
            hint = "That is a secret key: never expose it; put it in RECUR['SECRET_KEY']."
        messages.append(
            Error("RECUR['PUBLISHABLE_KEY'] is not a publishable key.", hint=hint, id="recur.E003")
        )

    webhook_secret = recur_settings.get("WEBHOOK_SECRET")
    if not webhook_secret:
        messages.append(
            Warning(
                "RECUR['WEBHOOK_SECRET'] is not set; the webhook endpoint refuses every delivery.",
                hint="Copy the endpoint's whsec_… secret from Recur: Settings → Webhooks.",
                id="recur.W002",
            )
        )
    elif not _is_secret_list(webhook_secret):
        messages.append(
            Error(
                "RECUR['WEBHOOK_SECRET'] must be a string or a list of strings.",
                hint="Use a list only while rotating: [new_secret, old_secret].",
                id="recur.E004",
            )
        )

    api_base = str(recur_settings.get("API_BASE", ""))
    if not api_base.startswith(("http://", "https://")):
        messages.append(
            Error(
                "RECUR['API_BASE'] is not an http(s) URL.",
                hint="Leave it unset for https://api.recur.tw.",
                id="recur.E005",
            )
        )
    elif not api_base.startswith("https://") and not settings.DEBUG:
        messages.append(
            Warning(
                "RECUR['API_BASE'] is not HTTPS while DEBUG=False.",
                hint="Use https://api.recur.tw in production; HTTP is for the local emulator.",
                id="recur.W003",
            )
        )
    return messages


def _is_secret_list(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list | tuple) and all(isinstance(s, str) and s for s in value)


# ----------------------------------------------------------------- mistakes a newcomer makes


@register(Tags.security, "recur")
def check_recur_setting_values(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Unknown keys (with the closest valid one), odd secrets, timeouts, clock and test keys."""
    raw = getattr(settings, "RECUR", None)
    if not isinstance(raw, dict):
        return []  # recur.E000 (or nothing set) is reported by check_recur_settings
    messages = _unknown_keys("RECUR", raw, DEFAULTS, "recur.W004")
    emulator_raw = getattr(settings, "RECUR_EMULATOR", None)
    if isinstance(emulator_raw, dict):
        messages += _unknown_keys("RECUR_EMULATOR", emulator_raw, EMULATOR_DEFAULTS, "recur.W005")

    # The values as recur-django uses them: credentials without surrounding whitespace.
    values = recur_settings.user_settings
    webhook_secret = values.get("WEBHOOK_SECRET")
    if webhook_secret and _is_secret_list(webhook_secret):
        secrets = [webhook_secret] if isinstance(webhook_secret, str) else list(webhook_secret)
        for value in secrets:
            if not value.startswith("whsec_"):
                messages.append(
                    Warning(
                        f"RECUR['WEBHOOK_SECRET'] {_shown(value)} does not start with 'whsec_'.",
                        hint=(
                            "Copy the endpoint's signing secret (whsec_…) from Recur: Settings → "
                            "Webhooks. It is not an API key; signatures will not verify."
                        ),
                        id="recur.W006",
                    )
                )
    if "TIMEOUT" in raw and not _is_timeout(raw["TIMEOUT"]):
        messages.append(
            Warning(
                f"RECUR['TIMEOUT'] is {raw['TIMEOUT']!r}, not a number of seconds.",
                hint="Use a positive number (10) or a (connect, read) pair (5.0, 30.0).",
                id="recur.W007",
            )
        )
    secret = values.get("SECRET_KEY")
    if isinstance(secret, str) and secret.startswith("sk_test_") and not settings.DEBUG:
        messages.append(
            Warning(
                "A test secret key (sk_test_…) is used with DEBUG=False.",
                hint=(
                    "Production charges need your sk_live_… key; silence recur.W008 on a "
                    "staging or test deployment."
                ),
                id="recur.W008",
            )
        )
    clock = raw.get("CLOCK")
    if clock is not None and not callable(clock):
        messages += _clock_messages(str(clock))
    return messages


def _clock_messages(path: str) -> list[CheckMessage]:
    """recur.E006 when ``RECUR["CLOCK"]`` cannot be used (never importing the emulator's
    clock without the emulator: that import fails with Django's "Conflicting models")."""
    if billing_clock.emulator_missing_for(path):
        return [
            Error(
                f"RECUR['CLOCK'] = {path!r} is the emulator's clock, but "
                f"{billing_clock.EMULATOR_APP!r} is not in INSTALLED_APPS.",
                hint="Add 'recur_django.emulator' to INSTALLED_APPS where you use the emulator "
                "(development, tests); elsewhere remove RECUR['CLOCK'] (real time).",
                id="recur.E006",
            )
        ]
    try:
        import_string(path)
    except Exception as exc:  # ImportError, or whatever importing that module raises
        return [
            Error(
                f"RECUR['CLOCK'] = {path!r} cannot be imported: {exc}",
                hint="Name a zero-argument callable, e.g. 'django.utils.timezone.now'.",
                id="recur.E006",
            )
        ]
    return []


@register("recur")
def check_emulator_agreement(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With the emulator installed, RECUR and RECUR_EMULATOR must share key and secret."""
    if not apps.is_installed("recur_django.emulator"):
        return []
    raw = getattr(settings, "RECUR", None)
    if not isinstance(raw, dict) or "recur.tw" in str(raw.get("API_BASE") or "recur.tw"):
        return []  # talking to the real Recur: the emulator's keys do not matter
    messages: list[CheckMessage] = []
    values = recur_settings.user_settings  # credentials without surrounding whitespace
    secret = values.get("SECRET_KEY")
    accepted = emulator_settings.secret_keys
    # A key that is not an sk_… key at all is recur.E002's error; advising to add a
    # publishable key to the emulator's secret keys would contradict it.
    if isinstance(secret, str) and secret.startswith("sk_") and secret not in accepted:
        messages.append(
            Error(
                "RECUR['SECRET_KEY'] is not one of RECUR_EMULATOR['SECRET_KEYS']: the emulator "
                "refuses every API call with 401.",
                hint=f"Add {_shown(secret)} to RECUR_EMULATOR['SECRET_KEYS'] (now "
                f"{', '.join(_shown(k) for k in accepted) or 'empty'}).",
                id="recur.E007",
            )
        )
    ours = values.get("WEBHOOK_SECRET")
    site_secrets = [ours] if isinstance(ours, str) else list(ours or [])
    signing = str(emulator_settings.WEBHOOK_SECRET or "")
    if site_secrets and signing and signing not in site_secrets:
        messages.append(
            Error(
                "RECUR_EMULATOR['WEBHOOK_SECRET'] differs from RECUR['WEBHOOK_SECRET']: the "
                "webhook endpoint refuses every delivery, so payments never unlock anything.",
                hint="Set both to the same whsec_… value.",
                id="recur.E008",
            )
        )
    return messages


@register("recur")
def check_webhook_processing(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``RECUR['WEBHOOK_PROCESSING']`` is "sync" or "task"; task mode needs a task worker."""
    raw = getattr(settings, "RECUR", None)
    if not isinstance(raw, dict):
        return []
    mode = raw.get("WEBHOOK_PROCESSING", "sync")
    if mode not in WEBHOOK_PROCESSING_MODES:
        return [
            Error(
                f"RECUR['WEBHOOK_PROCESSING'] is {mode!r}; it must be 'sync' or 'task'.",
                hint="'sync' applies each event in the request; 'task' applies it in a task.",
                id="recur.E009",
            )
        ]
    if mode != "task":
        return []
    if not tasks.available():
        return [
            Error(
                "RECUR['WEBHOOK_PROCESSING'] is 'task' but no tasks framework is installed: "
                "every event would stay received.",
                hint="On Django 5.2: pip install 'recur-django[tasks]' and add 'django_tasks' "
                "and 'django_tasks_db' to INSTALLED_APPS; see docs/deploying.md.",
                id="recur.E010",
            )
        ]
    backend = tasks.default_backend_name()
    if tasks.is_django_tasks_db(tasks.default_backend()) and not apps.is_installed(
        "django_tasks_db"
    ):
        return [
            Error(
                "RECUR['WEBHOOK_PROCESSING'] is 'task' with django-tasks-db's DatabaseBackend, "
                "but 'django_tasks_db' is not in INSTALLED_APPS: no task can be stored.",
                hint="Add 'django_tasks_db' to INSTALLED_APPS and run migrate.",
                id="recur.E011",
            )
        ]
    if backend in tasks.NOT_DEFERRING_BACKENDS or not backend:
        return [
            Warning(
                f"RECUR['WEBHOOK_PROCESSING'] is 'task' but the default task backend is "
                f"{backend or 'not usable'}: events are not processed by a worker.",
                hint="Configure a durable backend: TASKS = {'default': {'BACKEND': "
                "'django_tasks_db.DatabaseBackend'}} and run manage.py db_worker.",
                id="recur.W009",
            )
        ]
    return []


def _unknown_keys(
    name: str, raw: dict[str, Any], valid: dict[str, Any], check_id: str
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key in raw:
        if key in valid:
            continue
        close = [KNOWN_MISNAMES[str(key).upper()]] if str(key).upper() in KNOWN_MISNAMES else []
        close = [c for c in close if c in valid] or difflib.get_close_matches(
            str(key).upper(), list(valid), n=1, cutoff=0.5
        )
        hint = (
            f"Did you mean {close[0]!r}?" if close else f"Valid keys: {', '.join(sorted(valid))}."
        )
        messages.append(
            Warning(
                f"{name}[{key!r}] is not a known setting; it is ignored.", hint=hint, id=check_id
            )
        )
    return messages


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _is_timeout(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return len(value) == 2 and all(_is_number(v) for v in value)
    return _is_number(value)


def _shown(secret: str) -> str:
    """A secret shortened for a message: its prefix only, never the whole value."""
    return repr(secret[:8] + "…") if len(secret) > 8 else repr(secret[:3] + "…")
