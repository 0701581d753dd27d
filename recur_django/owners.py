"""Whose billing: the one place that answers the owner questions.

A Recur customer belongs to one *owner*: the user by default, or a team, a workspace, an
organization when ``RECUR["OWNER_MODEL"]`` names that model. This module answers, and
nothing else in the package decides:

- which model owns billing (:func:`owner_model_label`, :func:`owner_model`);
- whose billing a request is about (:func:`owner_for_request`, through
  ``RECUR["OWNER_FOR_REQUEST"]``; default: the logged-in user, ``None`` when anonymous);
- whether a user may spend that owner's money (:func:`can_manage_billing`, through
  ``RECUR["CAN_MANAGE_BILLING"]``; default: ``user == owner``);
- the owner's billing e-mail (:func:`owner_email`: ``RECUR["OWNER_EMAIL"]``, else its
  ``email``) and name (:func:`owner_name`: a user's full name, else ``str(owner)``).

The callables are dotted paths read through :mod:`recur_django.conf` (imported once,
cached, reloaded when ``RECUR`` changes). It imports no model at module level: the models
read :func:`owner_model_label` when they are declared.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.http import HttpRequest

from recur_django.conf import recur_settings

logger = logging.getLogger("recur_django.owners")

__all__ = [
    "can_manage_billing",
    "is_owner",
    "owner_email",
    "owner_for_request",
    "owner_is_user_model",
    "owner_model",
    "owner_model_label",
    "owner_name",
    "payment_owner",
    "resolve_owner",
]


def owner_model_label() -> str:
    """``RECUR["OWNER_MODEL"]`` (``"app_label.Model"``), default ``settings.AUTH_USER_MODEL``.

    Read when the models are declared and by the migration that adds the owner fields, the
    way ``AUTH_USER_MODEL`` is: choose it before the first ``migrate``.
    """
    value = recur_settings.get("OWNER_MODEL")
    return value if isinstance(value, str) and value else str(settings.AUTH_USER_MODEL)


def owner_model() -> type[Model]:
    """The model ``Customer.owner``, ``Transaction.owner`` and ``Payment.owner`` point at."""
    # Lazy: the models import this module to declare their owner fields.
    from recur_django.models import Customer

    model = Customer._meta.get_field("owner").related_model
    if not isinstance(model, type):
        raise ImproperlyConfigured(
            f"RECUR['OWNER_MODEL'] refers to {owner_model_label()!r}, which is not an "
            "installed model."
        )
    return model


def owner_is_user_model() -> bool:
    """Whether the owner model is the user model (the default)."""
    # Lazy: get_user_model needs the app registry, ready by the time this is called.
    from django.contrib.auth import get_user_model

    return owner_model()._meta.label_lower == get_user_model()._meta.label_lower


def is_owner(obj: Any) -> bool:
    """Whether ``obj`` is a saved instance of the owner model (never for anonymous users)."""
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    return isinstance(obj, owner_model())


def _default_owner_for_request(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def owner_for_request(request: Any) -> Any:
    """The owner whose billing ``request`` is about, or ``None`` (treated as anonymous).

    ``RECUR["OWNER_FOR_REQUEST"]`` (``callable(request) -> owner | None``) decides; by
    default it is the logged-in user. In the REST API ``request`` is DRF's ``Request`` (its
    ``user`` is the one DRF authenticated). Anything that is not a saved instance of the
    owner model counts as ``None`` (and is logged: the callable has a bug).
    """
    if request is None:
        return None
    decide = recur_settings.imported("OWNER_FOR_REQUEST") or _default_owner_for_request
    owner = decide(request)
    if owner is None:
        return None
    if not is_owner(owner):
        logger.error(
            "RECUR['OWNER_FOR_REQUEST'] returned %s, not a saved %s: the request acts for nobody.",
            type(owner).__name__,
            owner_model_label(),
        )
        return None
    return owner


def can_manage_billing(user: Any, owner: Any) -> bool:
    """Whether ``user`` may spend ``owner``'s money: start a checkout, open the portal, see
    its payments.

    ``RECUR["CAN_MANAGE_BILLING"]`` (``callable(user, owner) -> bool``) decides for a
    logged-in user and a saved owner; by default only the owner itself (``user ==
    owner``). Never for an anonymous user or a missing owner.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not is_owner(owner):
        return False
    decide = recur_settings.imported("CAN_MANAGE_BILLING")
    if decide is not None:
        return bool(decide(user, owner))
    return bool(owner_is_user_model() and user.pk == owner.pk)


def _clean_email(value: Any) -> str:
    if isinstance(value, str) and "@" in value and "\n" not in value and "\r" not in value:
        return value.strip()
    return ""


def owner_email(owner: Any) -> str:
    """The owner's billing e-mail, or ``""``: ``RECUR["OWNER_EMAIL"]`` (``callable(owner) ->
    str``) when set, else the owner's e-mail field (``email``; a user model's
    ``EMAIL_FIELD``)."""
    if owner is None:
        return ""
    decide = recur_settings.imported("OWNER_EMAIL")
    if decide is not None:
        return _clean_email(decide(owner))
    field = "email"
    if hasattr(owner, "get_email_field_name"):
        field = owner.get_email_field_name()
    return _clean_email(getattr(owner, field, ""))


def owner_name(owner: Any) -> str:
    """The owner's name as Recur shows it: a user's full name (``""`` when they have none),
    anything else ``str(owner)``."""
    if owner is None:
        return ""
    if hasattr(owner, "get_full_name"):
        return str(owner.get_full_name() or "").strip()
    return str(owner).strip()


def _is_request(obj: Any) -> bool:
    # A Django request, or DRF's Request (which wraps one).
    return isinstance(obj, HttpRequest) or isinstance(getattr(obj, "_request", None), HttpRequest)


def resolve_owner(obj: Any, request: Any = None) -> Any:
    """The owner a template or caller means by ``obj``: a request → its
    :func:`owner_for_request`; the ``request``'s own user → that request's owner; an owner
    → itself; anything else (an anonymous user, a user when owners are teams) → ``None``."""
    if _is_request(obj):
        return owner_for_request(obj)
    if request is not None and obj is not None and obj is getattr(request, "user", None):
        return owner_for_request(request)
    return obj if is_owner(obj) else None


def payment_owner(payment: Any) -> Any:
    """Whose billing a :class:`~recur_django.models.Payment` is: its owner, else its
    customer's owner (``None`` when nobody is linked): the ``owner`` of the e-mails and of
    the e-invoice signals."""
    if payment.owner_id is not None:
        return payment.owner
    return payment.customer.owner if payment.customer is not None else None
