"""``GET/PUT invoice-preference/``: the owner's remembered e-invoice choice.

The same six ``invoice_*`` fields as ``recur:checkout``, the same validation
(:func:`~recur_django.einvoice.preferences.validate`) and the same 400
``invalid_invoice`` with ``fields``. 404 ``einvoice_disabled`` when e-invoicing is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from recur_django.api.schema import document
from recur_django.api.serializers import ErrorSerializer
from recur_django.api.views import ERRORS, RecurAPIView, invalid_invoice_response
from recur_django.einvoice import factory, preferences
from recur_django.einvoice.choice import FIELDS, InvoiceChoice, InvoiceKind
from recur_django.models import InvoicePreference

DISABLED = "einvoice_disabled"


class InvoicePreferenceSerializer(serializers.Serializer):
    """The owner's invoice choice (the defaults until one is saved)."""

    invoice_kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    invoice_carrier = serializers.CharField(allow_blank=True)
    invoice_love_code = serializers.CharField(allow_blank=True)
    invoice_ubn = serializers.CharField(allow_blank=True)
    invoice_title = serializers.CharField(allow_blank=True)
    invoice_address = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When it was last saved; null: never (the defaults).")
    )


def _body(preference: InvoicePreference | None) -> dict[str, Any]:
    fields = preference.as_fields() if preference is not None else InvoiceChoice().as_fields()
    updated_at = preference.updated_at if preference is not None else None
    return dict(InvoicePreferenceSerializer({**fields, "updated_at": updated_at}).data)


def _disabled() -> Response:
    message = str(_("This shop does not issue e-invoices."))
    return Response({"error": {"code": DISABLED, "message": message}}, status=404)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class InvoicePreferenceView(RecurAPIView):
    """Read or replace the owner's e-invoice choice (used for renewals and later sales).

    Not wrapped in ``ATOMIC_REQUESTS``: PUT may ask the provider whether a mobile barcode
    or love code exists, never inside a database transaction.
    """

    @document(
        responses={200: InvoicePreferenceSerializer, **ERRORS},
        summary="Get my e-invoice preference",
        operation_id="get_invoice_preference",
    )
    def get(self, request: Request) -> Response:
        if not factory.is_enabled():
            return _disabled()
        return Response(_body(InvoicePreference.for_owner(self.owner)))

    @document(
        request=InvoicePreferenceSerializer,
        responses={200: InvoicePreferenceSerializer, 400: ErrorSerializer, **ERRORS},
        summary="Replace my e-invoice preference",
        operation_id="put_invoice_preference",
    )
    def put(self, request: Request) -> Response:
        if not factory.is_enabled():
            return _disabled()
        data = request.data
        if not isinstance(data, Mapping):
            raise ParseError(_("The body is not a JSON object."))
        try:
            choice = preferences.validate(self.owner, {f: data.get(f) for f in FIELDS})
        except ValidationError as exc:
            return invalid_invoice_response(exc)
        return Response(_body(preferences.remember(self.owner, choice)))
