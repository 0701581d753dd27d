"""The e-invoice admins' actions: retry, void and allowance, each behind a confirmation page.

Only users with the change permission of e-invoices (``recur_django.change_einvoice``) see
them; the rows themselves stay read-only. The page lists what will be done and what is
skipped (and why), asks for a void's reason or an allowance's amount, and the action then
calls the e-invoice services row by row, one message per row. The services call the
provider outside any database transaction; these views are exempt from
``ATOMIC_REQUESTS`` so they never run inside one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from recur_django import clock
from recur_django.einvoice import factory
from recur_django.einvoice.allowances import make_allowance
from recur_django.einvoice.errors import EInvoiceError
from recur_django.einvoice.refunds import void_einvoice
from recur_django.einvoice.retry import retry_allowances, retry_einvoices
from recur_django.einvoice.rules import void_deadline
from recur_django.models import EInvoice, EInvoiceAllowance
from recur_django.money import format_twd

CONFIRMATION_TEMPLATE = "admin/recur_django/einvoice/action_confirmation.html"
#: Providers take a void reason of at most 20 characters (ECPay, ezPay).
REASON_MAX_LENGTH = 20
Skipped = list[tuple[Any, Any]]
#: The actions' permission: ``has_invoice_permission`` (the change permission of e-invoices).
ACT = ["invoice"]


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Sent to the provider (at most 20 characters)."),
    )

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())  # one line, as providers take it


class AllowanceForm(forms.Form):
    amount = forms.IntegerField(
        label=_("Amount (TWD, tax included)"), min_value=1, max_value=2**63 - 1
    )

    def __init__(self, *args: Any, remaining: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remaining = remaining
        self.fields["amount"].help_text = _("At most %(remaining)s, what is left of it.") % {
            "remaining": format_twd(remaining)
        }

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount > self.remaining:
            raise forms.ValidationError(
                _("At most %(remaining)s: what this invoice may still allow.")
                % {"remaining": format_twd(self.remaining)}
            )
        return amount


def void_refusal(invoice: EInvoice, now: Any) -> Any:
    """Why ``invoice`` cannot be voided at ``now``, or None when it can."""
    if invoice.status != EInvoice.Status.ISSUED or invoice.issued_at is None:
        return _("not issued (%(status)s)") % {"status": invoice.get_status_display()}
    if now > void_deadline(invoice.issued_at):
        return _("past its void deadline; refund it with an allowance")
    voided = EInvoiceAllowance.Status.VOIDED
    if any(allowance.status != voided for allowance in invoice.allowances.all()):
        return _("it has allowances: void them at the provider first")
    return None


def allowance_refusal(invoice: EInvoice) -> Any:
    """Why no allowance can be made on ``invoice``, or None when one can."""
    if invoice.status != EInvoice.Status.ISSUED:
        return _("not issued (%(status)s)") % {"status": invoice.get_status_display()}
    if not invoice.remaining_amount:
        return _("nothing left to allow")
    return None


def _retry_refusal(row: EInvoice | EInvoiceAllowance) -> Any:
    if row.status in (row.Status.PENDING, row.Status.FAILED):
        return None
    if isinstance(row, EInvoice) and row.status == row.Status.ISSUED and row.void_reason:
        return None  # a void asked for and not confirmed yet: retried too
    return _("neither pending nor failed (%(status)s)") % {"status": row.get_status_display()}


def _outcome(row: EInvoice | EInvoiceAllowance) -> tuple[Any, int]:
    """The message and level saying where ``row`` stands after a service call."""
    row.refresh_from_db()
    label = row.number or str(row)
    if isinstance(row, EInvoice) and row.status == row.Status.ISSUED and row.void_reason:
        text = _("%(row)s: not voided yet (%(error)s); it will be tried again.") % {
            "row": label,
            "error": row.last_error or _("no answer yet"),
        }
        return text, messages.WARNING
    if row.status == row.Status.ISSUED:
        return _("%(row)s: issued.") % {"row": label}, messages.SUCCESS
    if row.status == row.Status.VOIDED:
        return _("%(row)s: voided.") % {"row": label}, messages.SUCCESS
    if row.status == row.Status.FAILED:
        text = _("%(row)s: failed: %(error)s") % {"row": label, "error": row.last_error or "—"}
        return text, messages.ERROR
    text = _("%(row)s: still pending (%(error)s); it will be tried again.") % {
        "row": label,
        "error": row.last_error or _("no answer yet"),
    }
    return text, messages.WARNING


class _InvoiceActionsBase(admin.ModelAdmin):
    """The permission, the confirmation page and the per-row calls the actions share."""

    def has_invoice_permission(self, request: HttpRequest) -> bool:
        """Whether the user may act on e-invoices (their change permission)."""
        return request.user.has_perm("recur_django.change_einvoice")

    def get_urls(self) -> list[URLPattern]:
        # The actions call the provider (through the services): never inside
        # ATOMIC_REQUESTS' transaction.
        patterns = super().get_urls()
        aliases = {DEFAULT_DB_ALIAS, router.db_for_write(self.model)}
        for pattern in patterns:
            for alias in aliases:
                transaction.non_atomic_requests(using=alias)(pattern.callback)
        return patterns

    def _enabled(self, request: HttpRequest) -> bool:
        if factory.is_enabled():
            return True
        self.message_user(
            request,
            _("E-invoicing is off (RECUR['EINVOICE'] is not set): nothing was sent."),
            messages.ERROR,
        )
        return False

    def _split(self, rows: list[Any], refusal: Callable[[Any], Any]) -> tuple[list[Any], Skipped]:
        todo, skipped = [], []
        for row in rows:
            why = refusal(row)
            if why is None:
                todo.append(row)
            else:
                skipped.append((row, why))
        return todo, skipped

    def _nothing_to_do(self, request: HttpRequest, skipped: Skipped) -> None:
        for row, why in skipped:
            self.message_user(request, format_html("{}: {}", row, why), messages.WARNING)
        if not skipped:
            self.message_user(request, _("No row selected."), messages.WARNING)

    def _confirmed(self, request: HttpRequest) -> bool:
        return request.POST.get("post") == "yes"

    def _confirmation(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        *,
        title: Any,
        question: Any,
        todo: list[Any],
        skipped: Skipped,
        form: forms.Form | None = None,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "opts": self.opts,
            "todo": todo,
            "skipped": skipped,
            "form": form,
            "action": request.POST.get("action", ""),
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)

    def _retry(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        run: Callable[[Any], Any],
        title: Any,
        question: Any,
    ) -> HttpResponse | None:
        """The retry action of either list: confirm, then ``run(row)`` for each row that
        needs it (pending or failed)."""
        if not self._enabled(request):
            return None
        todo, skipped = self._split(list(queryset), _retry_refusal)
        if not todo:
            self._nothing_to_do(request, skipped)
            return None
        if not self._confirmed(request):
            return self._confirmation(
                request, queryset, title=title, question=question, todo=todo, skipped=skipped
            )
        self._each(request, todo, run)
        return None

    def _each(self, request: HttpRequest, rows: list[Any], call: Callable[[Any], Any]) -> None:
        """``call(row)`` for each row, outside any transaction, then one message per row
        saying where the row ``call`` returned (the row itself, or a new allowance) stands."""
        for row in rows:
            try:
                done = call(row)
            except (EInvoiceError, ImproperlyConfigured, ValueError) as exc:
                self.message_user(request, format_html("{}: {}", row, exc), messages.ERROR)
                continue
            text, level = _outcome(done if isinstance(done, EInvoiceAllowance) else row)
            self.message_user(request, text, level)


def _retry_invoice(row: EInvoice) -> EInvoice:
    retry_einvoices(EInvoice.objects.filter(pk=row.pk))
    return row


def _retry_allowance(row: EInvoiceAllowance) -> EInvoiceAllowance:
    retry_allowances(EInvoiceAllowance.objects.filter(pk=row.pk))
    return row


class EInvoiceActions(_InvoiceActionsBase):
    """Retry, void and allowance on the e-invoice list."""

    @admin.action(
        description=_("Retry selected pending or failed e-invoices"), permissions=["invoice"]
    )
    def retry_invoices(
        self, request: HttpRequest, queryset: QuerySet[EInvoice]
    ) -> HttpResponse | None:
        return self._retry(
            request,
            queryset,
            _retry_invoice,
            _("Retry e-invoices"),
            _("Ask the provider again for these invoices?"),
        )

    @admin.action(description=_("Void selected e-invoices"), permissions=ACT)
    def void_invoices(
        self, request: HttpRequest, queryset: QuerySet[EInvoice]
    ) -> HttpResponse | None:
        if not self._enabled(request):
            return None
        now = clock.now()
        rows = list(queryset.prefetch_related("allowances"))
        todo, skipped = self._split(rows, lambda row: void_refusal(row, now))
        if not todo:
            self._nothing_to_do(request, skipped)
            return None
        form = VoidForm(request.POST if self._confirmed(request) else None)
        if not form.is_valid():
            return self._confirmation(
                request,
                queryset,
                title=_("Void e-invoices"),
                question=_("Void these invoices at the provider? This cannot be undone."),
                todo=todo,
                skipped=skipped,
                form=form,
            )
        reason = form.cleaned_data["reason"]

        self._each(request, todo, lambda row: void_einvoice(row, reason))
        return None

    @admin.action(
        description=_("Make an allowance on the selected e-invoice"), permissions=["invoice"]
    )
    def allow_invoice(
        self, request: HttpRequest, queryset: QuerySet[EInvoice]
    ) -> HttpResponse | None:
        if not self._enabled(request):
            return None
        rows = list(queryset.prefetch_related("allowances")[:2])
        if len(rows) != 1:
            self.message_user(
                request, _("Select exactly one e-invoice for an allowance."), messages.WARNING
            )
            return None
        todo, skipped = self._split(rows, allowance_refusal)
        if not todo:
            self._nothing_to_do(request, skipped)
            return None
        invoice = todo[0]
        data = request.POST if self._confirmed(request) else None
        form = AllowanceForm(data, remaining=invoice.remaining_amount)
        if not form.is_valid():
            return self._confirmation(
                request,
                queryset,
                title=_("Make an allowance"),
                question=_("Issue an allowance (折讓) on this invoice at the provider?"),
                todo=todo,
                skipped=skipped,
                form=form,
            )
        amount = form.cleaned_data["amount"]

        self._each(request, todo, lambda row: make_allowance(row, amount))
        return None


class AllowanceActions(_InvoiceActionsBase):
    """Retry on the allowance list."""

    @admin.action(
        description=_("Retry selected pending or failed allowances"), permissions=["invoice"]
    )
    def retry_allowances(
        self, request: HttpRequest, queryset: QuerySet[EInvoiceAllowance]
    ) -> HttpResponse | None:
        return self._retry(
            request,
            queryset,
            _retry_allowance,
            _("Retry allowances"),
            _("Ask the provider again for these allowances?"),
        )
