"""Payment links in the Django admin, written through the Recur API.

Saving creates or PATCHes the link on Recur first and stores Recur's response;
"delete" deactivates the link on Recur (Recur's ``DELETE`` is a soft delete) and
keeps the local record. Recur errors become form errors or admin messages. What this
shares with the promotion-code admin (no transaction around a Recur call, delete =
deactivate, the sync button) is :class:`~recur_django.admin.write_through_admin.WriteThroughAdmin`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from recur_django import payment_links as service
from recur_django.admin.forms import PaymentLinkAddForm, PaymentLinkChangeForm, repair_unstored
from recur_django.admin.payment_link_actions import PaymentLinkActions
from recur_django.admin.product_choices import ProductsUnavailable, product_choices
from recur_django.admin.write_through import MetadataField, recur_error_message
from recur_django.models import PaymentLink
from recur_django.safe_urls import is_http_url, unsafe_url_html

logger = logging.getLogger(__name__)

__all__ = [
    "MetadataField",
    "PaymentLinkAddForm",
    "PaymentLinkAdmin",
    "PaymentLinkChangeForm",
    "recur_error_message",
]

#: Fields only Recur sets: shown read-only on the change page.
RECUR_SET_FIELDS = (
    "recur_id",
    "url_with_copy",
    "url_id",
    "product_summary",
    "price",
    "environment",
    "view_count",
    "session_count",
    "completions",
    "created_at",
    "synced_at",
    "missing_from_recur",
)


class ProductFilter(admin.SimpleListFilter):
    """Filter by the products links point at (from local data; no API call)."""

    title = _("product")
    parameter_name = "product"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        rows = (
            PaymentLink.objects.order_by("product_name")
            .values_list("product_id", "product_name")
            .distinct()
        )
        return [(pid, name or pid) for pid, name in rows]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> Any:
        if self.value():
            return queryset.filter(product_id=self.value())
        return queryset


@admin.register(PaymentLink)
class PaymentLinkAdmin(PaymentLinkActions):
    """Manage Recur payment links; every write goes through the Recur API."""

    form = PaymentLinkChangeForm
    add_form = PaymentLinkAddForm
    list_display = (
        "product_summary",
        "url_with_copy",
        "active",
        "price",
        "view_count",
        "session_count",
        "completions",
        "created_at",
    )
    list_display_links = ("product_summary",)
    list_filter = (
        "active",
        "missing_from_recur",
        ProductFilter,
        "product_type",
        "collect_payment_method",
        "environment",
    )
    search_fields = (
        "recur_id",
        "url_id",
        "url",
        "product_id",
        "product_name",
        "product_slug",
        "promotion_code",
    )
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ("activate_links", "deactivate_links", "sync_from_recur", "forget_missing_links")
    change_list_template = "admin/recur_django/paymentlink/change_list.html"
    change_form_template = "admin/recur_django/paymentlink/change_form.html"
    delete_confirmation_template = "admin/recur_django/paymentlink/delete_confirmation.html"

    add_fieldsets = (
        (None, {"fields": ("product_id", "collect_payment_method")}),
        (
            _("Options"),
            {"fields": ("promotion_code", "success_url", "max_completions", "metadata")},
        ),
    )
    change_fieldsets = (
        (None, {"fields": ("recur_id", "url_with_copy", "url_id", "active", "missing_from_recur")}),
        (_("Product"), {"fields": ("product_summary", "price")}),
        (
            _("Checkout options"),
            {
                "fields": (
                    "collect_payment_method",
                    "promotion_code",
                    "success_url",
                    "max_completions",
                    "metadata",
                )
            },
        ),
        (
            _("Activity (set by Recur)"),
            {
                "fields": (
                    "view_count",
                    "session_count",
                    "completions",
                    "environment",
                    "created_at",
                    "synced_at",
                )
            },
        ),
    )

    # -- list columns -------------------------------------------------------------

    @admin.display(description=_("URL"), ordering="url_id")
    def url_with_copy(self, obj: PaymentLink) -> str:
        if not obj.url:
            return "—"
        if not is_http_url(obj.url):  # e.g. javascript:…: text with a marker, never a link
            return unsafe_url_html(obj.url)
        shown = obj.url.split("://", 1)[-1]
        return format_html(
            '<span class="recur-url"><a href="{0}" target="_blank" rel="noopener noreferrer">'
            "{3}</a> "
            '<button type="button" class="button recur-copy" data-copy="{0}" '
            'data-copied-label="{2}" title="{1}">{1}</button></span>',
            obj.url,
            _("Copy"),
            _("Copied"),
            shown,
        )

    @admin.display(description=_("product"), ordering="product_name")
    def product_summary(self, obj: PaymentLink) -> str:
        name = obj.product_name or obj.product_id
        if obj.product_slug and obj.product_slug != name:
            return format_html("{} <small>({})</small>", name, obj.product_slug)
        return name

    @admin.display(description=_("price"), ordering="product_price")
    def price(self, obj: PaymentLink) -> str:
        return obj.display_price or "—"

    @admin.display(description=_("completions / max"), ordering="completed_count")
    def completions(self, obj: PaymentLink) -> str:
        return obj.completions_display

    # -- forms --------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        if obj.missing_from_recur:
            return self.change_fieldsets
        # Show the "missing from Recur" flag only when it is set.
        (name, options), *rest = self.change_fieldsets
        fields = tuple(f for f in options["fields"] if f != "missing_from_recur")
        return ((name, {**options, "fields": fields}), *rest)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else RECUR_SET_FIELDS

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            choices: list[tuple[str, str]] = []
            error: str | None = None
            try:
                choices = product_choices()
            except ProductsUnavailable as exc:
                error = exc.message
                if request.method == "GET":
                    messages.error(request, error)
            kwargs["form"] = type(
                "PaymentLinkAddForm",
                (self.add_form,),
                {"product_choice_list": choices, "products_error": error},
            )
        return super().get_form(request, obj, change=change, **kwargs)

    # -- what the write-through base needs ------------------------------------------

    not_stored = service.PaymentLinkNotStored
    repair_unstored = staticmethod(repair_unstored)
    deactivate = staticmethod(service.deactivate_payment_link)
    missing_message = _("That payment link does not exist.")
    deactivated_message = _("The payment link “%(object)s” was deactivated on Recur.")
    deactivate_title = _("Deactivate payment link")
