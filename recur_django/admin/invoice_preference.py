"""Admin for InvoicePreference: the owners' remembered e-invoice choices (list, search by
owner, edit with the checkout's validation)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from recur_django.admin.owners import OwnerSearchMixin
from recur_django.einvoice import preferences
from recur_django.einvoice.choice import ATTRIBUTES
from recur_django.models import InvoicePreference

#: Model field -> request field name (the names validate_invoice_choice reports).
REQUEST_FIELDS = {model: request for request, model in ATTRIBUTES.items()}
MODEL_FIELDS = ATTRIBUTES


class InvoicePreferenceForm(forms.ModelForm):
    """The six fields checked by :func:`recur_django.einvoice.preferences.validate` (the
    same rules as the checkout, the provider's included; no existence check: the admin
    does not wait on the provider) and stored normalised."""

    class Meta:
        model = InvoicePreference
        fields = ("owner", *REQUEST_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        owner = cleaned.get("owner") or getattr(self.instance, "owner", None)
        if owner is None:
            return cleaned
        data = {REQUEST_FIELDS[name]: cleaned.get(name) or "" for name in REQUEST_FIELDS}
        try:
            choice = preferences.validate(owner, data, verify=False)
        except ValidationError as exc:
            for field, messages in preferences.error_fields(exc).items():
                name = MODEL_FIELDS.get(field)
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return cleaned
        for name, value in choice.as_fields().items():
            cleaned[MODEL_FIELDS[name]] = value
        return cleaned


@admin.register(InvoicePreference)
class InvoicePreferenceAdmin(OwnerSearchMixin, admin.ModelAdmin):
    form = InvoicePreferenceForm
    list_display = ("owner", "kind", "carrier", "love_code", "ubn", "title", "updated_at")
    list_filter = ("kind",)
    search_fields = ("=carrier", "=love_code", "=ubn", "title")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("owner", "kind")}),
        (_("Carrier or donation"), {"fields": ("carrier", "love_code")}),
        (_("Company"), {"fields": ("ubn", "title", "address")}),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # An owner's preference stays the owner's: the owner is chosen when it is added.
        fixed = ("owner",) if obj is not None else ()
        return (*fixed, *self.readonly_fields)
