"""The payment-link admin's bulk actions: each writes through the Recur API.

A link Recur changed but we failed to store is read back from Recur at once; messages
count links with plurals, and an action that had nothing to do says why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from recur_django import payment_links as service
from recur_django.admin.write_through_admin import WriteThroughAdmin
from recur_django.models import PaymentLink


class PaymentLinkActions(WriteThroughAdmin):
    """Activate, deactivate, sync and forget; the base of ``PaymentLinkAdmin``."""

    unknown_message = _("%(object)s: Recur does not know this link (%(message)s).")

    @admin.action(description=_("Activate selected payment links"), permissions=["change"])
    def activate_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        self._set_active(
            request,
            queryset,
            True,
            service.activate_payment_link,
            ngettext_lazy(
                "Activated %(count)d payment link on Recur.",
                "Activated %(count)d payment links on Recur.",
                "count",
            ),
            ngettext_lazy(
                "Nothing to activate: the %(count)d selected payment link is already active.",
                "Nothing to activate: the %(count)d selected payment links are already active.",
                "count",
            ),
        )

    @admin.action(description=_("Deactivate selected payment links"), permissions=["change"])
    def deactivate_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        self._set_active(
            request,
            queryset,
            False,
            service.deactivate_payment_link,
            ngettext_lazy(
                "Deactivated %(count)d payment link on Recur.",
                "Deactivated %(count)d payment links on Recur.",
                "count",
            ),
            ngettext_lazy(
                "Nothing to deactivate: the %(count)d selected payment link is already inactive.",
                "Nothing to deactivate: the %(count)d selected payment links are already inactive.",
                "count",
            ),
        )

    @admin.action(description=_("Sync all payment links from Recur"), permissions=["change"])
    def sync_from_recur(self, request: HttpRequest, queryset: Any = None) -> None:
        self._sync(
            request,
            service.sync_payment_links,
            ngettext_lazy(
                "Synced %(seen)d payment link from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                "Synced %(seen)d payment links from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                "seen",
            ),
        )

    @admin.action(
        description=_("Forget selected links that Recur no longer returns (local only)"),
        permissions=["delete"],
    )
    def forget_missing_links(self, request: HttpRequest, queryset: QuerySet[PaymentLink]) -> None:
        self._forget_missing(
            request,
            queryset,
            _(
                "Nothing removed: Recur still returns every selected link. Only links "
                "marked “missing from Recur” by a sync can be forgotten."
            ),
            ngettext_lazy(
                "Removed the local record of %(count)d link missing from Recur.",
                "Removed the local records of %(count)d links missing from Recur.",
                "count",
            ),
        )
