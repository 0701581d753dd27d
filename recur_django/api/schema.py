"""OpenAPI support through drf-spectacular, when installed (``recur-django[openapi]``).

Without it, :func:`extend_schema` is a no-op and the schema URL answers a JSON 501.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

try:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.openapi import AutoSchema
    from drf_spectacular.utils import extend_schema
    from drf_spectacular.views import SpectacularAPIView
except ImportError:  # pragma: no cover - exercised by the no-spectacular test
    HAS_SPECTACULAR = False
else:
    HAS_SPECTACULAR = True

from rest_framework.settings import api_settings

import recur_django


def spectacular_available() -> bool:
    return HAS_SPECTACULAR


def document(**kwargs: Any) -> Callable[[Any], Any]:
    """``drf_spectacular.utils.extend_schema`` when available, else a no-op decorator."""
    if not HAS_SPECTACULAR:
        return lambda func: func

    def decorator(func: Any) -> Any:
        # extend_schema builds on func.schema when set; without it, it would build on
        # the project's DEFAULT_SCHEMA_CLASS, which need not be drf-spectacular's.
        func.schema = AutoSchema
        return extend_schema(**kwargs)(func)

    return decorator


def view_schema() -> Any:
    """The schema inspector for the API views (spectacular's, or DRF's default)."""
    if HAS_SPECTACULAR:
        return AutoSchema()
    schema_class: Any = api_settings.DEFAULT_SCHEMA_CLASS
    return schema_class()


SCHEMA_SETTINGS = {
    "TITLE": "Recur billing API",
    "DESCRIPTION": (
        "Checkout and portal sessions, transactions, subscriptions and entitlements of "
        "the billing owner the request acts for (the signed-in user by default). Errors are "
        '{"error": {"code", "message"}}.'
    ),
    "VERSION": recur_django.__version__,
    "ENUM_NAME_OVERRIDES": {
        "SubscriptionStatusEnum": "recur_django.models.Subscription.Status",
        "TransactionStatusEnum": "recur_django.models.Transaction.Status",
        "TransactionModeEnum": "recur_django.models.Transaction.Mode",
    },
}

if HAS_SPECTACULAR:

    class RecurSchemaGenerator(SchemaGenerator):
        """Only the endpoints whose view subclasses ``view_base``, at their real mounted paths.

        ``view_base`` is handed in by the URLconf (:func:`schema_view`), so this module
        does not import the views that import it.
        """

        view_base: type = object

        def _initialise_endpoints(self) -> None:
            super()._initialise_endpoints()
            self.endpoints = [
                endpoint
                for endpoint in self.endpoints or []
                if issubclass(getattr(cast(Any, endpoint)[3], "cls", object), self.view_base)
            ]

    class SchemaView(SpectacularAPIView):
        """``recur-api:schema``: the OpenAPI 3 document (YAML, or JSON with ?format=json)."""

        generator_class = RecurSchemaGenerator
        custom_settings = SCHEMA_SETTINGS


def schema_view(view_base: type) -> Callable[..., Any]:
    """The ``recur-api:schema`` view documenting the endpoints of ``view_base`` subclasses."""
    if not HAS_SPECTACULAR:
        raise RuntimeError("The OpenAPI schema needs drf-spectacular.")
    generator = type("RecurSchemaGenerator", (RecurSchemaGenerator,), {"view_base": view_base})
    return SchemaView.as_view(generator_class=generator)
