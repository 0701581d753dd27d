"""Payment links in the Django admin, written through the Recur API.

Saving creates or PATCHes the link on Recur first and stores Recur's response;
"delete" deactivates the link on Recur (Recur's ``DELETE`` is a soft delete) and
keeps the local record. Recur errors become form errors or admin messages.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from recur_django import payment_links as service
from recur_django.admin.product_choices import ProductsUnavailable, product_choices
from recur_django.client.errors import NotFoundError, RecurError
from recur_django.models import PaymentLink
from recur_django.safe_urls import is_http_url, unsafe_url_html

logger = logging.getLogger(__name__)

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

#: Words in a Recur error message that point at one form field.
_ERROR_FIELDS = (
    ("success", "success_url"),
    ("promotion", "promotion_code"),
    ("max", "max_completions"),
    ("metadata", "metadata"),
    ("collect", "collect_payment_method"),
    ("product", "product_id"),
)


def recur_error_message(exc: RecurError) -> str:
    """A one-line message for people, carrying Recur's own words."""
    detail = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    status = getattr(exc, "status", None)
    if status:
        return str(_("Recur refused the request (HTTP %(status)s): %(message)s")) % {
            "status": status,
            "message": detail,
        }
    return str(_("Could not reach Recur: %(message)s")) % {"message": detail}


class MetadataField(forms.JSONField):
    """A JSON object (``{"key": "value"}``); empty means no metadata."""

    default_error_messages = {
        "not_object": _('Metadata must be a JSON object, like {"campaign": "spring"}.'),
    }

    def prepare_value(self, value: Any) -> Any:
        if value is None or value == {}:
            return ""
        return super().prepare_value(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # redisplay what was typed, as Django does for bad JSON
            return forms.fields.InvalidJSONInput(data)

    def to_python(self, value: Any) -> Any:
        try:
            value = super().to_python(value)
        except RecursionError:  # json.loads on very deeply nested input
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(self.error_messages["not_object"], code="not_object")
        return value


class _PaymentLinkForm(forms.ModelForm):
    """Shared fields and the write-through to Recur after local validation."""

    success_url = forms.URLField(
        label=_("Success URL"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
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

    #: The row stored from Recur's response once the write succeeded.
    saved_link: PaymentLink | None = None

    def clean_promotion_code(self) -> str:
        return (self.cleaned_data.get("promotion_code") or "").strip()

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            self.saved_link = self.write_to_recur()
        except RecurError as exc:
            logger.warning("Recur refused a payment link write: %s", exc.__class__.__name__)
            self._add_recur_error(exc)

    def _add_recur_error(self, exc: RecurError) -> None:
        message = recur_error_message(exc)
        text = (getattr(exc, "message", None) or "").lower()
        if getattr(exc, "status", None) in (400, 404, 422):
            for word, field in _ERROR_FIELDS:
                if word in text and field in self.fields:
                    self.add_error(field, message)
                    return
        self.add_error(None, message)

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
        fields = (
            "active",
            "promotion_code",
            "collect_payment_method",
            "success_url",
            "max_completions",
            "metadata",
        )

    def write_to_recur(self) -> PaymentLink:
        changes = {
            name: self.cleaned_data.get(name)
            for name in self.changed_data
            if name in service.UPDATABLE_FIELDS
        }
        if not changes:
            return self.instance
        return service.update_payment_link(self.instance.recur_id, **changes)


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
class PaymentLinkAdmin(admin.ModelAdmin):
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

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        # The form already wrote to Recur and stored the response during validation.
        if form.saved_link is None:  # pragma: no cover - guarded by form validation
            raise PermissionDenied("Payment link was not saved on Recur.")
        return form.saved_link

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: the row was stored from Recur's response."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Payment links have no related objects to save."""

    # -- delete = deactivate ------------------------------------------------------

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # "Delete" deactivates; an inactive link has nothing left to deactivate.
        if obj is not None and not obj.active:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # ``action_location`` exists from Django 6.1; pass it on only when given.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location)  # type: ignore[call-arg]
        actions.pop("delete_selected", None)  # replaced by "deactivate"
        return actions

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Confirm, then deactivate on Recur; the local record stays (inactive)."""
        if request.method == "POST":
            obj = self.get_object(request, object_id)
            if obj is None:
                self.message_user(request, _("That payment link does not exist."), messages.WARNING)
                return HttpResponseRedirect(reverse("admin:recur_django_paymentlink_changelist"))
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied
            change_url = reverse("admin:recur_django_paymentlink_change", args=[obj.pk])
            try:
                self.delete_model(request, obj)
            except RecurError as exc:
                self.message_user(request, recur_error_message(exc), messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.log_change(request, obj, [{"changed": {"fields": ["active"]}}])
            self.message_user(
                request,
                _("The payment link “%(link)s” was deactivated on Recur.") % {"link": obj},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:recur_django_paymentlink_changelist"))
        context = {"title": _("Deactivate payment link"), **(extra_context or {})}
        return super().delete_view(request, object_id, context)

    def delete_model(self, request: HttpRequest, obj: PaymentLink) -> None:
        """Deactivate on Recur instead of deleting; raises ``RecurError`` on failure."""
        service.deactivate_payment_link(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        """Deactivate each link on Recur instead of deleting rows."""
        self._apply(request, queryset.filter(active=True), service.deactivate_payment_link)

    # -- actions ------------------------------------------------------------------

    def _apply(self, request: HttpRequest, queryset: QuerySet[PaymentLink], func: Any) -> int:
        done = 0
        for link in queryset:
            try:
                func(link)
            except NotFoundError as exc:
                self.message_user(
                    request,
                    _("%(link)s: Recur does not know this link (%(message)s).")
                    % {"link": link, "message": exc.message or exc},
                    messages.ERROR,
                )
            except RecurError as exc:
                self.message_user(
                    request,
                    format_html("{}: {}", link, recur_error_message(exc)),
                    messages.ERROR,
                )
            else:
                done += 1
        return done

    @admin.action(description=_("Activate selected payment links"), permissions=["change"])
    def activate_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        count = self._apply(request, queryset.filter(active=False), service.activate_payment_link)
        self.message_user(
            request, _("Activated %(count)d payment link(s) on Recur.") % {"count": count}
        )

    @admin.action(description=_("Deactivate selected payment links"), permissions=["change"])
    def deactivate_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        count = self._apply(request, queryset.filter(active=True), service.deactivate_payment_link)
        self.message_user(
            request, _("Deactivated %(count)d payment link(s) on Recur.") % {"count": count}
        )

    @admin.action(description=_("Sync all payment links from Recur"), permissions=["change"])
    def sync_from_recur(self, request: HttpRequest, queryset: Any = None) -> None:
        try:
            result = service.sync_payment_links()
        except RecurError as exc:
            self.message_user(request, recur_error_message(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _(
                "Synced %(seen)d payment links from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur."
            )
            % {
                "seen": result.seen,
                "created": result.created,
                "updated": result.updated,
                "missing": result.missing,
            },
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Forget selected links that Recur no longer returns (local only)"),
        permissions=["delete"],
    )
    def forget_missing_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        count, _details = queryset.filter(missing_from_recur=True).delete()
        self.message_user(
            request,
            _("Removed %(count)d local record(s) of links missing from Recur.") % {"count": count},
        )

    # -- "Sync from Recur" button (works with an empty list) ----------------------

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "sync/",
                self.admin_site.admin_view(require_POST(self.sync_view)),
                name="recur_django_paymentlink_sync",
            )
        ]
        return urls + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_sync": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        self.sync_from_recur(request)
        return HttpResponseRedirect(reverse("admin:recur_django_paymentlink_changelist"))
