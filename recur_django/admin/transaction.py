"""Read-only admin for Transaction, linked to its owner, user, customer, subscription and
events."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recur_django.admin.owners import OwnerSearchMixin
from recur_django.admin.read_only import ReadOnlyAdmin, change_link, changelist_link
from recur_django.admin.webhook_event import events_link
from recur_django.models import Customer, Payment, Subscription, Transaction
from recur_django.money import format_twd

__all__ = ["ReadOnlyAdmin", "TransactionAdmin"]  # ReadOnlyAdmin: kept importable from here


@admin.register(Transaction)
class TransactionAdmin(OwnerSearchMixin, ReadOnlyAdmin):
    list_display = ("public_id", "owner", "product", "price", "status", "created_at")
    list_filter = ("status", "mode", "currency", "created_at")
    search_fields = ("=public_id", "=checkout_session_id", "user__email", "=order_id")
    list_select_related = ("owner", "user")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [
        *(f.name for f in Transaction._meta.fields if f.name not in ("owner", "user")),
        "owner_link",
        "user_link",
        "customer_link",
        "subscription_link",
        "payments",
        "webhook_events",
    ]

    @admin.display(description=_("product"), ordering="product_slug")
    def product(self, obj: Transaction) -> str:
        return obj.product_name or obj.product_slug or obj.product_id or "—"

    @admin.display(description=_("amount"), ordering="amount")
    def price(self, obj: Transaction) -> str:
        return format_twd(obj.amount, obj.currency) or "—"

    @admin.display(description=_("owner"))
    def owner_link(self, obj: Transaction) -> str:
        return change_link(obj.owner)

    @admin.display(description=_("user"))
    def user_link(self, obj: Transaction) -> str:
        return change_link(obj.user)

    @admin.display(description=_("customer"))
    def customer_link(self, obj: Transaction) -> str:
        owner_id = obj.owner_id
        customer = Customer.objects.filter(owner_id=owner_id).first() if owner_id else None
        return change_link(customer)

    @admin.display(description=_("subscription"))
    def subscription_link(self, obj: Transaction) -> str:
        if not obj.subscription_id:
            return "—"
        sub = Subscription.objects.filter(recur_id=obj.subscription_id).first()
        return change_link(sub) if sub else obj.subscription_id

    @admin.display(description=_("payments"))
    def payments(self, obj: Transaction) -> str:
        return changelist_link(
            Payment, _("Payments of this purchase"), transaction__id__exact=obj.pk
        )

    @admin.display(description=_("webhook events"))
    def webhook_events(self, obj: Transaction) -> str:
        return events_link(obj.checkout_session_id or obj.public_id)
