"""The payment-link admin's bulk actions: each writes through the Recur API.

A link Recur changed but we failed to store is read back from Recur at once; messages
count links with plurals, and an action that had nothing to do says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from recur_django import payment_links as service
from recur_django.admin.forms import repair_unstored
from recur_django.admin.write_through import recur_error_message
from recur_django.admin.write_through_admin import WriteThroughAdmin
from recur_django.client.errors import NotFoundError, RecurError
from recur_django.models import PaymentLink


class PaymentLinkActions(WriteThroughAdmin):
    """Activate, deactivate, sync and forget; the base of ``PaymentLinkAdmin``."""

    def _apply(self, request: HttpRequest, queryset: Iterable[PaymentLink], func: Any) -> int:
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
            except service.PaymentLinkNotStored as exc:
                repaired, note = repair_unstored(exc)
                level = messages.WARNING if repaired else messages.ERROR
                self.message_user(request, format_html("{}: {}", link, note), level)
                done += repaired is not None
            except RecurError as exc:
                self.message_user(
                    request,
                    format_html("{}: {}", link, recur_error_message(exc)),
                    messages.ERROR,
                )
            else:
                done += 1
        return done

    def _set_active(
        self,
        request: HttpRequest,
        queryset: QuerySet[PaymentLink],
        active: bool,
        func: Any,
        done_message: Any,
        nothing_message: Any,
    ) -> None:
        """Apply ``func`` to the selected links not yet ``active``; say how many changed, or,
        when every selected link already was, that there was nothing to do."""
        todo = list(queryset.filter(active=not active))
        done = self._apply(request, todo, func)
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        elif not todo:
            count = queryset.count()
            self.message_user(request, nothing_message % {"count": count}, messages.WARNING)

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
        try:
            result = service.sync_payment_links()
        except RecurError as exc:
            self.message_user(request, recur_error_message(exc), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "Synced %(seen)d payment link from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                "Synced %(seen)d payment links from Recur: %(created)d new, %(updated)d "
                "updated, %(missing)d no longer on Recur.",
                result.seen,
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
        if not count:
            self.message_user(
                request,
                _(
                    "Nothing removed: Recur still returns every selected link. Only links "
                    "marked “missing from Recur” by a sync can be forgotten."
                ),
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            ngettext(
                "Removed the local record of %(count)d link missing from Recur.",
                "Removed the local records of %(count)d links missing from Recur.",
                count,
            )
            % {"count": count},
        )
