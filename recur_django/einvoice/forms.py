"""The invoice-choice form: the six ``invoice_*`` fields, for the checkout page, the
preference page and any template of yours.

Its fields carry the validators of :mod:`recur_django.einvoice.validators` (the love code
and the UBN; the carrier's format depends on the kind), and :meth:`InvoiceChoiceForm.clean`
runs :func:`~recur_django.einvoice.preferences.validate`, THE validation (combinations,
provider rules, existence checks): the form refuses what the JSON checkout and the REST
API refuse, under the same field names (a field's own format error is shown first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from recur_django.einvoice import preferences, validators
from recur_django.einvoice.choice import (
    ADDRESS_MAX_LENGTH,
    FIELDS,
    TITLE_MAX_LENGTH,
    InvoiceChoice,
    InvoiceKind,
)
from recur_django.models.einvoice import CARRIER_MAX_LENGTH


class InvoiceChoiceForm(forms.Form):
    """The buyer's invoice choice for ``owner`` (whose e-mail keys a member carrier).

    ``verify``: ask the provider whether a mobile barcode or love code exists (a network
    call, bounded; never inside a database transaction). After ``is_valid()`` the choice
    is :attr:`choice`.
    """

    invoice_kind = forms.ChoiceField(
        label=_("Invoice"),
        choices=InvoiceKind.choices,
        initial=InvoiceKind.MEMBER,
        required=False,
    )
    invoice_carrier = forms.CharField(
        label=_("Mobile barcode or certificate number"),
        max_length=CARRIER_MAX_LENGTH,
        required=False,
        help_text=_("A mobile barcode (“/ABC+123”) or a citizen certificate (“AB12345678901234”)."),
    )
    invoice_love_code = forms.CharField(
        label=_("Love code"),
        max_length=7,
        required=False,
        validators=[validators.validate_love_code],
        help_text=_("The charity's love code (愛心碼), 3 to 7 digits."),
    )
    invoice_ubn = forms.CharField(
        label=_("Unified business number"),
        max_length=8,
        required=False,
        validators=[validators.validate_ubn],
        help_text=_("The company's 統一編號, 8 digits."),
    )
    invoice_title = forms.CharField(
        label=_("Company name"), max_length=TITLE_MAX_LENGTH, required=False
    )
    invoice_address = forms.CharField(
        label=_("Address"), max_length=ADDRESS_MAX_LENGTH, required=False
    )

    def __init__(self, *args: Any, owner: Any, verify: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.verify = verify
        self.choice: InvoiceChoice | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = {field: self.data.get(self.add_prefix(field)) for field in FIELDS}
        try:
            self.choice = preferences.validate(self.owner, raw, verify=self.verify)
        except ValidationError as exc:
            self.choice = None
            for field, messages in preferences.error_fields(exc).items():
                if field in self.errors:
                    continue  # the field's own validator said it already
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned

    @classmethod
    def with_errors(
        cls, data: Mapping[str, Any], *, owner: Any, errors: Mapping[str, list[str]]
    ) -> InvoiceChoiceForm:
        """A bound form showing ``errors`` (from :func:`~recur_django.einvoice.preferences.
        error_fields`) without validating again (no second call to the provider)."""
        values = {field: data.get(field) for field in FIELDS}
        bound = {field: value for field, value in values.items() if isinstance(value, str)}
        form = cls(bound, owner=owner, verify=False)
        form.cleaned_data = {}
        form._errors = ErrorDict()  # type: ignore[attr-defined]
        for field, messages in errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return form
