"""System checks of the billing-owner settings (:mod:`recur_django.owners`): ``recur.E020``
to ``recur.E025`` and ``recur.W020``."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from recur_django.owners import owner_model_label

#: The callable settings, each with its check id and the signature it must have.
CALLABLES = {
    "OWNER_FOR_REQUEST": ("recur.E023", "callable(request) -> owner | None"),
    "CAN_MANAGE_BILLING": ("recur.E024", "callable(user, owner) -> bool"),
    "OWNER_EMAIL": ("recur.E025", "callable(owner) -> str"),
}


def _owner_model(raw: dict[str, Any]) -> tuple[Any, list[CheckMessage]]:
    """The owner model ``RECUR["OWNER_MODEL"]`` names, or the errors saying why not."""
    label = owner_model_label()
    value = raw.get("OWNER_MODEL")
    if value is not None and (not isinstance(value, str) or value.count(".") != 1):
        return None, [
            Error(
                f"RECUR['OWNER_MODEL'] = {value!r} is not a model label.",
                hint="Use 'app_label.ModelName' (e.g. 'teams.Team'), or leave it unset for "
                "the user model.",
                id="recur.E021",
            )
        ]
    app_label, _dot, model_name = label.partition(".")
    if app_label not in apps.app_configs:
        return None, [
            Error(
                f"RECUR['OWNER_MODEL'] refers to {label!r}, whose app {app_label!r} is not "
                "installed.",
                hint="Add the app to INSTALLED_APPS, or correct the label.",
                id="recur.E020",
            )
        ]
    try:
        return apps.get_model(app_label, model_name), []
    except LookupError:
        return None, [
            Error(
                f"RECUR['OWNER_MODEL'] refers to {label!r}, which is not a model of app "
                f"{app_label!r}.",
                hint="Use 'app_label.ModelName' of a concrete model.",
                id="recur.E021",
            )
        ]


def _has_email(model: Any) -> bool:
    field = model.get_email_field_name() if hasattr(model, "get_email_field_name") else "email"
    return hasattr(model, field)


def _callables(raw: dict[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key, (check_id, signature) in CALLABLES.items():
        value = raw.get(key)
        if value is None or callable(value):
            continue
        problem = ""
        if not isinstance(value, str):
            problem = f"is {type(value).__name__}, not a dotted path"
        else:
            try:
                if not callable(import_string(value)):
                    problem = "does not name a callable"
            except ImportError as exc:
                problem = f"cannot be imported: {exc}"
        if problem:
            messages.append(
                Error(
                    f"RECUR[{key!r}] = {value!r} {problem}.",
                    hint=f"Name a {signature}, e.g. 'myapp.billing.{key.lower()}'.",
                    id=check_id,
                )
            )
    return messages


@register("recur")
def check_owner_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """OWNER_MODEL names an installed model with an e-mail; the callables import."""
    raw = getattr(settings, "RECUR", None)
    if not isinstance(raw, dict):
        return []  # recur.E000 (or nothing set) is reported elsewhere
    messages = _callables(raw)
    model, problems = _owner_model(raw)
    messages += problems
    if model is None:
        return messages
    if raw.get("OWNER_EMAIL") is None and not _has_email(model):
        messages.append(
            Error(
                f"The owner model {model._meta.label} has no 'email' and RECUR['OWNER_EMAIL'] "
                "is not set: checkouts and receipts would have no billing e-mail.",
                hint="Add an 'email' field or property, or set RECUR['OWNER_EMAIL'] to a "
                "callable(owner) -> str.",
                id="recur.E022",
            )
        )
    user_label = str(settings.AUTH_USER_MODEL).lower()
    missing = [k for k in ("OWNER_FOR_REQUEST", "CAN_MANAGE_BILLING") if raw.get(k) is None]
    if model._meta.label_lower != user_label and missing:
        messages.append(
            Warning(
                f"RECUR['OWNER_MODEL'] is {model._meta.label}, but {' and '.join(missing)} "
                "keep their defaults, which only understand users: no request acts for an "
                "owner, or nobody may manage its billing.",
                hint="Set RECUR['OWNER_FOR_REQUEST'] and RECUR['CAN_MANAGE_BILLING']; see "
                "the 'Billing teams' documentation.",
                id="recur.W020",
            )
        )
    return messages
