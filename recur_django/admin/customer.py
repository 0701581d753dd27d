"""Read-only admin for Customer: its owner, subscriptions inline, transactions and links."""

from __future__ import annotations

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from recur_django.admin.owners import OwnerSearchMixin
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
class CustomerAdmin(OwnerSearchMixin, ReadOnlyAdmin):
    list_display = ("recur_id", "owner", "email", "created_at")
    search_fields = ("=recur_id", "email", "=external_id")
    list_select_related = ("owner",)
    fields = (
        "recur_id",
        "owner_link",
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

    @admin.display(description=_("owner"))
    def owner_link(self, obj: Customer) -> str:
        return change_link(obj.owner)

    @admin.display(description=_("transactions"))
    def transactions(self, obj: Customer) -> str:
        """The owner's latest transactions (they belong to the owner, not the customer row)."""
        if obj.owner_id is None:
            return "—"
        rows = Transaction.objects.filter(owner_id=obj.owner_id)[:RECENT_TRANSACTIONS]
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
        every = changelist_link(Transaction, _("All transactions"), owner__exact=obj.owner_id)
        if not table:
            return every
        return format_html("<table>{}</table>{}", table, every)

    @admin.display(description=_("webhook events"))
    def webhook_events(self, obj: Customer) -> str:
        return events_link(obj.recur_id)
