"""Read-only admin for Customer: its subscriptions inline, its transactions and links."""

from __future__ import annotations

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from recur_django.admin.payment import PaymentInline
from recur_django.admin.read_only import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    change_link,
    changelist_link,
)
from recur_django.admin.webhook_event import events_link
from recur_django.models import Customer, Subscription, Transaction
from recur_django.money import format_twd

RECENT_TRANSACTIONS = 20


class SubscriptionInline(ReadOnlyTabularInline):
    model = Subscription
    fields = ("recur_id", "product_slug", "status", "current_period_end", "cancel_at_period_end")
    readonly_fields = fields
    ordering = ("-created_at",)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("recur_id", "user", "email", "created_at")
    search_fields = ("=recur_id", "email", "=external_id", "user__email")
    list_select_related = ("user",)
    fields = (
        "recur_id",
        "user_link",
        "email",
        "name",
        "external_id",
        "created_at",
        "updated_at",
        "transactions",
        "webhook_events",
    )
    readonly_fields = fields
    inlines = [SubscriptionInline, PaymentInline]

    @admin.display(description=_("user"))
    def user_link(self, obj: Customer) -> str:
        return change_link(obj.user)

    @admin.display(description=_("transactions"))
    def transactions(self, obj: Customer) -> str:
        """The user's latest transactions (they belong to the user, not the customer row)."""
        if obj.user_id is None:
            return "—"
        rows = Transaction.objects.filter(user_id=obj.user_id)[:RECENT_TRANSACTIONS]
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    change_link(txn, txn.public_id),
                    txn.product_name or txn.product_slug or txn.product_id,
                    format_twd(txn.amount, txn.currency) or "—",
                    txn.get_status_display(),
                    date_format(localtime(txn.created_at), "SHORT_DATETIME_FORMAT"),
                )
                for txn in rows
            ),
        )
        every = changelist_link(Transaction, _("All transactions"), user__id__exact=obj.user_id)
        if not table:
            return every
        return format_html("<table>{}</table>{}", table, every)

    @admin.display(description=_("webhook events"))
    def webhook_events(self, obj: Customer) -> str:
        return events_link(obj.recur_id)
