"""Read-only admin for WebhookEvent: pretty payload, delivery health, replay (the list's
action and the change page's Replay button, one service)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from recur_django.admin.read_only import ReadOnlyAdmin, change_link, changelist_link
from recur_django.conf import recur_settings
from recur_django.exceptions import EnvelopeError, SignatureError
from recur_django.models import Customer, Payment, Subscription, Transaction, WebhookEvent
from recur_django.webhooks.pipeline import replay

REPLAY_PERMISSION = "recur_django.replay_webhookevent"
ID_PREFIXES = ("cus_", "sub_", "txn_", "cs_", "ord_", "in_", "re_")


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class MentionsFilter(admin.SimpleListFilter):
    """``?mentions=cus_…``: events whose payload names that id (links from other pages)."""

    title = _("mentions")
    parameter_name = "mentions"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> Any:
        value = (self.value() or "").strip()
        if not value or "\x00" in value:
            return queryset
        return queryset.filter(payload__icontains=value[:128])


def _ids_in(value: Any, found: set[str], depth: int = 0) -> None:
    """Every string in a payload that looks like a Recur or local id (bounded depth)."""
    if depth > 6:
        return
    if isinstance(value, str):
        if value.startswith(ID_PREFIXES) and len(value) <= 128:
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _ids_in(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value[:50]:
            _ids_in(item, found, depth + 1)


def related_objects(event: WebhookEvent) -> list[Any]:
    """The customers, subscriptions and transactions an event's payload names."""
    found: set[str] = set()
    _ids_in(event.payload, found)
    if not found:
        return []
    return [
        *Customer.objects.filter(recur_id__in=found),
        *Subscription.objects.filter(recur_id__in=found),
        *Transaction.objects.filter(Q(public_id__in=found) | Q(checkout_session_id__in=found)),
        *Payment.objects.filter(
            Q(recur_id__in=found) | Q(order_id__in=found) | Q(invoice_id__in=found)
        ),
    ]


def events_link(recur_id: str | None) -> str:
    """A link to the webhook events that mention ``recur_id`` ("—" without an id)."""
    if not recur_id:
        return "—"
    return changelist_link(WebhookEvent, _("Webhook events mentioning it"), mentions=recur_id)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "status", "attempts", "received_at")
    list_filter = (MentionsFilter, "status", "type", "received_at")
    search_fields = ("=event_id", "type")
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["replay"]
    fields = (
        "event_id",
        "type",
        "status",
        "retryable",
        "attempts",
        "received_at",
        "processed_at",
        "error",
        "traceback",
        "related",
        "pretty_payload",
        "pretty_headers",
        "body_size",
    )
    readonly_fields = fields
    change_list_template = "admin/recur_django/webhookevent/change_list.html"

    @admin.display(description=_("related objects"))
    def related(self, obj: WebhookEvent) -> str:
        links = [
            change_link(item, f"{item._meta.verbose_name}: {item}") for item in related_objects(obj)
        ]
        return format_html_join(", ", "{}", ((link,) for link in links)) or "—"

    @admin.display(description=_("payload"))
    def pretty_payload(self, obj: WebhookEvent) -> str:
        return _pretty(obj.payload)

    @admin.display(description=_("headers"))
    def pretty_headers(self, obj: WebhookEvent) -> str:
        headers = dict(obj.headers or {})
        if "X-Recur-Signature" in headers:
            headers["X-Recur-Signature"] = "…"
        return _pretty(headers)

    @admin.display(description=_("raw body size"))
    def body_size(self, obj: WebhookEvent) -> str:
        size = len(obj.body or b"")
        return ngettext("%(n)d byte", "%(n)d bytes", size) % {"n": size}

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPLAY_PERMISSION)

    @admin.action(description=_("Replay selected events"), permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        self._replay(request, list(queryset.values_list("event_id", flat=True)))

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_replay"
        replay_one = path(
            "<path:object_id>/replay/", self.admin_site.admin_view(self.replay_view), name=name
        )
        return [replay_one, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_replay": self.has_replay_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST (CSRF-checked by ``admin_view``): the change page's Replay button."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_replay_permission(request):
            raise PermissionDenied
        event = self.get_object(request, unquote(object_id))
        if event is None:
            raise Http404
        self._replay(request, [event.event_id])
        info = self.opts.app_label, self.opts.model_name
        return redirect(reverse(f"admin:{info[0]}_{info[1]}_change", args=[quote(event.pk)]))

    def _replay(self, request: HttpRequest, event_ids: list[str]) -> None:
        """Replay each event (:func:`~recur_django.webhooks.pipeline.replay`); say how it went."""
        done, problems = 0, []
        for event_id in event_ids:
            try:
                outcome = replay(event_id)
            except (SignatureError, EnvelopeError) as exc:
                problems.append(f"{event_id}: {exc}")
                continue
            if outcome.status == WebhookEvent.Status.FAILED:
                problems.append(f"{event_id}: {outcome.event.error}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("Replayed %(n)d event.", "Replayed %(n)d events.", done) % {"n": done},
                messages.SUCCESS,
            )
        for problem in problems:
            self.message_user(request, problem, messages.WARNING)

    def delivery_health(self) -> dict[str, Any]:
        """Last received, failed count and total, stale RECEIVED events (older than
        ``RECUR['WEBHOOK_STALE_AFTER']``) and failed retryable ones, in one query."""
        stale_before = timezone.now() - timedelta(seconds=float(recur_settings.WEBHOOK_STALE_AFTER))
        Status = WebhookEvent.Status
        return WebhookEvent.objects.aggregate(
            last_received=Max("received_at"),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            total=Count("pk"),
            stale=Count("pk", filter=Q(status=Status.RECEIVED, received_at__lte=stale_before)),
            failed_retryable=Count("pk", filter=Q(status=Status.FAILED, retryable=True)),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "delivery_health": self.delivery_health()}
        return super().changelist_view(request, extra_context=extra)
