"""The payment-link admin's forms: validate locally, then write through the Recur API.

Recur is called during validation (``_post_clean``), outside any database transaction
(the admin opens none around it, see :class:`~recur_django.admin.payment_link.PaymentLinkAdmin`).
Only Recur's answer is stored. A refused write re-renders the form with Recur's own words
and leaves the stored link untouched; a write Recur accepted but we failed to store is
repaired by reading the link back from Recur at once, and the admin says so.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import DatabaseError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recur_django import payment_links as service
from recur_django import promotion_codes
from recur_django.admin.write_through import (
    MetadataField,
    WriteThroughForm,
    db_error_text,
)
from recur_django.client.errors import RecurError
from recur_django.client.resources import LINK_UPDATE_FIELDS
from recur_django.models import PaymentLink

logger = logging.getLogger("recur_django.admin.payment_link")

#: Words in a Recur error message that point at one form field.
_ERROR_FIELDS = (
    ("success", "success_url"),
    ("promotion", "promotion_code"),
    ("max", "max_completions"),
    ("metadata", "metadata"),
    ("collect", "collect_payment_method"),
    ("product", "product_id"),
)


def repair_unstored(exc: service.PaymentLinkNotStored) -> tuple[PaymentLink | None, str]:
    """Read back from Recur a link it accepted but we failed to store.

    Returns the stored link (or None when that failed too) and a message saying what
    happened, for the admin to show.
    """
    values = {"link": exc.recur_id, "error": db_error_text(exc.error)}
    try:
        link = service.refresh_payment_link(exc.recur_id)
    except (RecurError, DatabaseError) as again:
        logger.error("Payment link %s could not be read back and stored: %s", exc.recur_id, again)
        values["again"] = db_error_text(again)
        return None, gettext(
            "Recur accepted the change to payment link %(link)s, but storing it here failed "
            "(%(error)s) and so did reading it back (%(again)s). Do not repeat the change: "
            "“Sync from Recur” stores the link as Recur has it."
        ) % values
    logger.warning("Payment link %s stored after reading it back from Recur.", exc.recur_id)
    return link, gettext(
        "Recur accepted the change to payment link %(link)s. Storing it here failed at first "
        "(%(error)s), so the link was read back from Recur and stored."
    ) % values


class PromotionCodeInput(forms.TextInput):
    """A text input offering the mirrored active promotion codes (a ``<datalist>``); any
    other code can still be typed (Recur checks it)."""

    def __init__(self, options: list[tuple[str, str]], attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.options = options

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = {**(attrs or {}), "list": f"{(attrs or {}).get('id') or name}_options"}
        return super().get_context(name, value, attrs)

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or name}_options"
        options = format_html_join("", '<option value="{}">{}</option>', self.options)
        return html + format_html('<datalist id="{}">{}</datalist>', list_id, options)


class _PaymentLinkForm(WriteThroughForm):
    """Shared fields and the write-through to Recur after local validation."""

    not_stored = service.PaymentLinkNotStored
    error_fields = _ERROR_FIELDS
    nothing_saved_message = _("Nothing was saved: Recur keeps the link as it was.")

    success_url = forms.URLField(
        label=_("Success URL"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        # Wide enough to read a whole address (the admin's default is 20em).
        widget=forms.URLInput(attrs={"class": "recur-wide-url", "size": 80}),
        help_text=_("Where Recur sends the buyer after paying. Leave empty for Recur's page."),
    )
    max_completions = forms.IntegerField(
        label=_("Max completions"),
        required=False,
        validators=[MinValueValidator(1)],
        help_text=_("Stop accepting payments after this many. Empty means unlimited."),
    )
    metadata = MetadataField(
        label=_("Metadata"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_('A JSON object of your own keys, e.g. {"campaign": "spring"}.'),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["promotion_code"]
        field.widget = PromotionCodeInput(promotion_codes.choices(), field.widget.attrs)
        field.help_text = _(
            "Applied to every checkout opened from the link. The list offers the active "
            "promotion codes (Recur billing → Promotion codes)."
        )

    def clean_promotion_code(self) -> str:
        return (self.cleaned_data.get("promotion_code") or "").strip()

    def repair(self, exc: service.PaymentLinkNotStored) -> tuple[PaymentLink | None, str]:
        return repair_unstored(exc)

    def write_to_recur(self) -> PaymentLink:
        raise NotImplementedError


class PaymentLinkAddForm(_PaymentLinkForm):
    """Create a link: the product comes from Recur's live product list."""

    product_id = forms.ChoiceField(
        label=_("Product"), help_text=_("Products as listed by Recur right now.")
    )

    #: Set per request by :meth:`PaymentLinkAdmin.get_form`.
    product_choice_list: list[tuple[str, str]] = []
    products_error: str | None = None

    class Meta:
        model = PaymentLink
        fields = (
            "product_id",
            "promotion_code",
            "collect_payment_method",
            "success_url",
            "max_completions",
            "metadata",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product_id"]
        assert isinstance(field, forms.ChoiceField)
        if self.products_error:
            field.choices = [("", _("— product list unavailable —"))]
            field.help_text = self.products_error
            # Whatever was submitted, say why no product can be picked right now.
            field.error_messages["invalid_choice"] = self.products_error
            field.error_messages["required"] = self.products_error
        else:
            field.choices = [("", "---------"), *self.product_choice_list]

    def clean_product_id(self) -> str:
        if self.products_error:  # pragma: no cover - the choice field refuses first
            raise ValidationError(self.products_error, code="products_unavailable")
        return str(self.cleaned_data["product_id"])

    def write_to_recur(self) -> PaymentLink:
        data = self.cleaned_data
        return service.create_payment_link(
            product_id=data["product_id"],
            promotion_code=data.get("promotion_code") or None,
            collect_payment_method=data.get("collect_payment_method") or None,
            success_url=data.get("success_url") or None,
            max_completions=data.get("max_completions"),
            metadata=data.get("metadata") or None,
        )


class PaymentLinkChangeForm(_PaymentLinkForm):
    """Edit a link: only the changed fields are sent (PATCH); cleared ones as null."""

    class Meta:
        model = PaymentLink
        fields = LINK_UPDATE_FIELDS  # only what Recur lets an update change

    def write_to_recur(self) -> PaymentLink:
        changes = {
            name: self.cleaned_data.get(name)
            for name in self.changed_data
            if name in service.UPDATABLE_FIELDS
        }
        if not changes:
            return self.instance
        return service.update_payment_link(self.instance.recur_id, **changes)
