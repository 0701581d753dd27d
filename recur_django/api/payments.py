"""``GET payments/`` (``recur-api:payments``): the owner's payment ledger.

Every charge (first purchase, renewal, trial verification, payment-link sale) with what
was refunded of it, newest first, paginated like the other lists. A payment is the
owner's (:mod:`recur_django.owners`) when its transaction (the checkout that paid it) is
theirs, or when it carries no transaction and is attached to them or to the Recur customer
mapped to them; only users who may manage the owner's billing see it. A purchase Recur
charged to another owner's customer (the other person's e-mail typed on the hosted page)
stays its buyer's and is never listed for the customer's owner.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from recur_django.api.pagination import RecurPagination
from recur_django.api.schema import document
from recur_django.api.views import RecurAPIView
from recur_django.models import Payment


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="recur_id", read_only=True)
    subscription_id = serializers.SerializerMethodField()
    transaction_id = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "status",
            "amount",
            "currency",
            "refunded_amount",
            "paid_at",
            "subscription_id",
            "transaction_id",
        ]
        read_only_fields = fields

    def get_subscription_id(self, obj: Payment) -> str | None:
        """Recur's subscription id (``sub_…``) for renewals and subscription checkouts."""
        return obj.subscription.recur_id if obj.subscription else None

    def get_transaction_id(self, obj: Payment) -> str | None:
        """The local transaction's public id (``txn_…``) of a first purchase."""
        return obj.transaction.public_id if obj.transaction else None


class PaymentListView(RecurAPIView, generics.ListAPIView):
    """The owner's payments (charges and refunds), newest first."""

    serializer_class = PaymentSerializer
    pagination_class = RecurPagination

    def get_queryset(self) -> QuerySet[Payment]:
        owner_id = self.owner.pk
        unattached = Q(transaction__isnull=True) & (
            Q(owner_id=owner_id) | Q(customer__owner_id=owner_id)
        )
        return (
            Payment.objects.filter(Q(transaction__owner_id=owner_id) | unattached)
            .select_related("subscription", "transaction")
            .order_by("-created_at", "-pk")
        )

    @document(summary="List my payments", operation_id="list_payments")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
