"""Serializers of the REST API (input validation and the JSON we answer)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from recur_django.models import Subscription, Transaction

MAX_METADATA_KEYS = 20
MAX_METADATA_VALUE = 500


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """``{"error": {"code", "message"}}`` (documentation only)."""

    error = ErrorDetailSerializer()


class CheckoutSessionRequestSerializer(serializers.Serializer):
    product = serializers.CharField(
        max_length=128, help_text=_("Recur product id (prod_…) or slug.")
    )
    mode = serializers.ChoiceField(
        choices=Transaction.Mode.choices,
        required=False,
        help_text=_("Defaults from the product type: SUBSCRIPTION or PAYMENT."),
    )
    metadata = serializers.DictField(
        child=serializers.CharField(max_length=MAX_METADATA_VALUE, allow_blank=True),
        required=False,
        help_text=_("String values, echoed back by Recur; transaction_id is reserved."),
    )
    success_url = serializers.CharField(max_length=2000, required=False)
    cancel_url = serializers.CharField(max_length=2000, required=False)

    def validate_metadata(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_METADATA_KEYS:
            raise serializers.ValidationError(
                _("At most %(n)d metadata keys.") % {"n": MAX_METADATA_KEYS}
            )
        return value


class CheckoutSessionSerializer(serializers.ModelSerializer):
    """A started checkout: send the browser to ``url``."""

    id = serializers.CharField(source="public_id", read_only=True)
    url = serializers.CharField(source="checkout_url", read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "url",
            "status",
            "mode",
            "product_id",
            "product_slug",
            "amount",
            "currency",
            "checkout_session_id",
            "expires_at",
        ]
        read_only_fields = fields


class PortalSessionRequestSerializer(serializers.Serializer):
    return_url = serializers.CharField(
        max_length=2000, required=False, help_text=_("Same-site URL to come back to.")
    )


class PortalSessionSerializer(serializers.Serializer):
    """A fresh single-use portal session: redirect to ``url`` now; do not store it."""

    url = serializers.URLField()
    expires_at = serializers.DateTimeField(allow_null=True)


class TransactionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "status",
            "mode",
            "product_id",
            "product_slug",
            "product_name",
            "amount",
            "currency",
            "order_id",
            "subscription_id",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class SubscriptionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="recur_id", read_only=True)
    grants_access = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "status",
            "grants_access",
            "product_id",
            "product_slug",
            "product_name",
            "amount",
            "currency",
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
            "canceled_at",
            "ended_at",
            "trial_end",
        ]
        read_only_fields = fields

    def get_grants_access(self, obj: Subscription) -> bool:
        return obj.grants_access()


class EntitlementSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    product_slug = serializers.CharField()
    product_name = serializers.CharField()
    source = serializers.ChoiceField(choices=["subscription", "purchase"])  # type: ignore[assignment]
    source_id = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class EntitlementListSerializer(serializers.Serializer):
    results = EntitlementSerializer(many=True)


class EntitlementCheckSerializer(serializers.Serializer):
    product = serializers.CharField()
    entitled = serializers.BooleanField()
