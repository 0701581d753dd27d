"""The billing overview admin page (``admin:recur_django_billingoverview_changelist``).

Listed on the admin index as "Billing overview" under Recur billing; visible to staff who
may view payments. Numbers from :mod:`recur_django.billing_overview`; the 12-month
revenue chart is inline SVG drawn here, readable without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.formats import date_format

from recur_django import billing_overview
from recur_django.admin.read_only import ReadOnlyAdmin
from recur_django.models import BillingOverview, Payment
from recur_django.money import format_twd

CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 720, 220, 8


def chart_bars(months: list[tuple[Any, int]]) -> list[dict[str, Any]]:
    """One bar per month, scaled to the largest; negative months drawn from the axis down."""
    top = max([abs(value) for _month, value in months] + [1])
    width = CHART_WIDTH / max(len(months), 1)
    axis = CHART_HEIGHT - 20  # room for the month labels below
    bars = []
    for index, (month, value) in enumerate(months):
        height = round(abs(value) / top * (axis - 20))  # room for the value above
        bars.append(
            {
                "x": round(index * width + BAR_GAP / 2),
                "width": round(width - BAR_GAP),
                "y": axis - height if value >= 0 else axis,
                "value_y": (axis - height - 4) if value >= 0 else axis + height + 12,
                "height": height,
                "label": date_format(month, "Y-m"),
                "text_x": round(index * width + width / 2),
                "value": format_twd(value),
                "negative": value < 0,
            }
        )
    return bars


@admin.register(BillingOverview)
class BillingOverviewAdmin(ReadOnlyAdmin):
    """The page is the changelist: no rows, only the overview."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("recur_django.view_payment")

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name="{}_{}_changelist".format(*info))]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        overview = billing_overview.compute()
        context = {
            **self.admin_site.each_context(request),
            "title": str(self.opts.verbose_name_plural).capitalize(),
            "opts": self.opts,
            "payment_opts": Payment._meta,
            "overview": overview,
            "mrr": format_twd(overview.mrr),
            "refunds_total": format_twd(overview.refunds_total),
            "churn_percent": None if overview.churn is None else round(overview.churn * 100, 1),
            "bars": chart_bars(overview.months),
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/recur_django/billing_overview.html", context)
