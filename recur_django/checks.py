"""System checks for the ``RECUR`` settings (ids ``recur.E…`` / ``recur.W…``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from recur_django.conf import recur_settings

DASHBOARD = "Keys are in the Recur dashboard: Settings → Developers."


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
