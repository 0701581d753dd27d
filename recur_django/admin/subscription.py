"""Read-only admin of the Subscription mirror (Recur is the source of truth)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recur_django.admin.owners import OwnerSearchMixin
from recur_django.admin.payment import PaymentInline
from recur_django.admin.read_only import ReadOnlyAdmin, change_link, changelist_link
from recur_django.admin.webhook_event import events_link
from recur_django.models import Subscription, Transaction

# Internal bookkeeping of the event-ordering rule, meaningless to a person.
HIDDEN_FIELDS = ("field_versions",)


@admin.register(Subscription)
class SubscriptionAdmin(OwnerSearchMixin, ReadOnlyAdmin):
    owner_search_path = "customer__owner"
    list_display = ["recur_id", "owner", "product_slug", "status", "current_period_end"]
    list_filter = ["status", "cancel_at_period_end", "product_slug"]
    search_fields = [
        "recur_id",
        "customer__recur_id",
        "customer__email",
        "product_id",
        "product_slug",
    ]
    list_select_related = ["customer__owner"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    exclude = HIDDEN_FIELDS
    inlines = [PaymentInline]
    readonly_fields = [
        *(f.name for f in Subscription._meta.fields if f.name not in HIDDEN_FIELDS),
        "customer_link",
        "owner_link",
        "transactions",
        "webhook_events",
    ]

    @admin.display(description=_("customer page"))
    def customer_link(self, obj: Subscription) -> str:
        return change_link(obj.customer)

    @admin.display(description=_("owner"), ordering="customer__owner")
    def owner(self, obj: Subscription) -> str:
        owner = obj.customer.owner if obj.customer else None
        return str(owner) if owner is not None else "—"

    @admin.display(description=_("owner"))
    def owner_link(self, obj: Subscription) -> str:
        return change_link(obj.customer.owner if obj.customer else None)

    @admin.display(description=_("transactions"))
    def transactions(self, obj: Subscription) -> str:
        return changelist_link(
            Transaction, _("Transactions of this subscription"), subscription_id=obj.recur_id
        )

    @admin.display(description=_("webhook events"))
    def webhook_events(self, obj: Subscription) -> str:
        return events_link(obj.recur_id)
