"""REST API views: everything is about the owner the request acts for; nothing is addressed
by id.

The owner is :func:`~recur_django.owners.owner_for_request` (by default the signed-in
user): ``None`` is answered as an anonymous request (401). Views that spend or show the
owner's money (``manages_billing``: checkout and portal sessions, transactions,
subscriptions, payments) also need :func:`~recur_django.owners.can_manage_billing`, else
403 ``billing_forbidden``; the entitlement views serve every member acting for the owner.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, permissions, status
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

import recur_django.checkout as checkout
from recur_django.api import serializers as s
from recur_django.api.exceptions import exception_handler
from recur_django.api.pagination import RecurPagination
from recur_django.api.parsers import safe_parsers
from recur_django.api.schema import document, view_schema
from recur_django.api.throttling import (
    RecurAnonRateThrottle,
    RecurSessionRateThrottle,
    RecurUserRateThrottle,
)
from recur_django.client.errors import RecurError
from recur_django.conf import recur_settings
from recur_django.einvoice import preferences
from recur_django.entitlements import entitlements_for, has_entitlement
from recur_django.exceptions import BillingForbidden
from recur_django.http_errors import API, recur_error_answer
from recur_django.models import Subscription, Transaction
from recur_django.owners import can_manage_billing, owner_for_request
from recur_django.plans import AlreadySubscribed, CheckoutInProgress
from recur_django.portal import PortalError, start_portal_session
from recur_django.safe_urls import absolute_same_site_url

logger = logging.getLogger("recur_django.api")

ERRORS = {code: s.ErrorSerializer for code in (400, 401, 403, 404, 429, 502, 503)}


def _default_authentication() -> list[type[BaseAuthentication]]:
    classes: list[type[BaseAuthentication]] = [SessionAuthentication]
    if apps.is_installed("rest_framework.authtoken"):
        # First, so a 401 names the Token scheme in WWW-Authenticate.
        classes.insert(0, TokenAuthentication)
    return classes


def _classes(setting: str, default: list[Any]) -> list[Any]:
    value = getattr(recur_settings, setting)  # [] is meaningful here: none at all
    if value is None:
        return default
    return [import_string(item) if isinstance(item, str) else item for item in value]


class RecurAPIView(APIView):
    """Base of the recur API views: RECUR-configured auth and throttles, one error shape."""

    permission_classes = [permissions.IsAuthenticated]
    schema = view_schema()
    creates_sessions = False
    #: Whether the view spends or shows the owner's money (CAN_MANAGE_BILLING must hold).
    manages_billing = True
    #: The owner this request acts for (set by :meth:`check_permissions`).
    owner: Any = None

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [cls() for cls in _classes("API_AUTHENTICATION_CLASSES", _default_authentication())]

    def get_parsers(self) -> list[BaseParser]:
        return safe_parsers(super().get_parsers())

    def get_throttles(self) -> list[BaseThrottle]:
        default = [RecurUserRateThrottle, RecurAnonRateThrottle]
        classes = _classes("API_THROTTLE_CLASSES", default)
        if self.creates_sessions:
            classes = [*classes, RecurSessionRateThrottle]
        return [cls() for cls in classes]

    def check_permissions(self, request: Request) -> None:
        # Throttle before the permission check, so refused (anonymous) requests count too.
        self.check_throttles(request)
        super().check_permissions(request)
        self.owner = owner_for_request(request)
        if self.owner is None:
            raise NotAuthenticated()
        if self.manages_billing and not can_manage_billing(request.user, self.owner):
            raise BillingForbidden()

    def check_throttles(self, request: Request) -> None:
        if getattr(request, "_recur_throttled_checked", False):
            return
        request._recur_throttled_checked = True  # type: ignore[attr-defined]
        super().check_throttles(request)

    def get_exception_handler(self) -> Any:
        return exception_handler

    def safe_url(self, value: str | None, field: str) -> str | None:
        """``value`` made absolute when it is a same-site URL; a 400 otherwise."""
        if not value:
            return None
        url = absolute_same_site_url(self.request, value)
        if url is None:
            raise ValidationError({field: [_("Must be a URL on this site.")]})
        return url


def recur_error_response(exc: RecurError) -> Response:
    """A Recur API failure as our error shape (502/503), logged without secrets."""
    answer = recur_error_answer(exc, API)
    logger.warning("Recur API error in REST API: %s", exc)
    error = {"code": answer.code, "message": answer.message_for(exc)}
    return Response({"error": error}, status=answer.status)


def invalid_invoice_response(exc: DjangoValidationError) -> Response:
    """400 ``invalid_invoice`` with ``fields`` (the six ``invoice_*`` request fields)."""
    error = preferences.invalid_invoice_error(exc)
    return Response({"error": error}, status=status.HTTP_400_BAD_REQUEST)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class CheckoutSessionCreateView(RecurAPIView):
    """Start a checkout for the owner; redirect the browser to ``url``.

    Not wrapped in ``ATOMIC_REQUESTS``: the pending transaction is committed before
    Recur is called.
    """

    creates_sessions = True

    @document(
        request=s.CheckoutSessionRequestSerializer,
        responses={201: s.CheckoutSessionSerializer, 409: s.ErrorSerializer, **ERRORS},
        summary="Create a checkout session",
        operation_id="create_checkout_session",
    )
    def post(self, request: Request) -> Response:
        payload = s.CheckoutSessionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:  # the invoice choice, before anything is written or asked of Recur
            invoice = preferences.checkout_choice(self.owner, payload.initial_data)
        except DjangoValidationError as exc:
            return invalid_invoice_response(exc)
        try:
            txn = checkout.start_checkout(
                self.owner,
                data["product"],
                user=request.user,
                mode=data.get("mode"),
                metadata=data.get("metadata"),
                success_url=self.safe_url(data.get("success_url"), "success_url"),
                cancel_url=self.safe_url(data.get("cancel_url"), "cancel_url"),
                request=request._request,
                invoice=invoice,
            )
        except AlreadySubscribed as exc:  # one plan per product family
            body: dict[str, Any] = {"code": exc.code, "message": str(exc.message)}
            body["subscription_id"] = exc.subscription_id
            return Response({"error": body}, status=status.HTTP_409_CONFLICT)
        except CheckoutInProgress as exc:  # one open checkout per product family
            body = {"code": exc.code, "message": str(exc.message), "url": exc.url}
            body["transaction_id"] = exc.transaction.public_id
            return Response({"error": body}, status=status.HTTP_409_CONFLICT)
        except ValueError as exc:
            raise ValidationError({"product": [str(exc)]}) from exc
        except RecurError as exc:
            return recur_error_response(exc)
        return Response(s.CheckoutSessionSerializer(txn).data, status=status.HTTP_201_CREATED)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PortalSessionCreateView(RecurAPIView):
    """Open the owner's customer portal; redirect to ``url`` right away.

    Not wrapped in ``ATOMIC_REQUESTS``: Recur is never called inside a transaction.
    """

    creates_sessions = True

    @document(
        request=s.PortalSessionRequestSerializer,
        responses={201: s.PortalSessionSerializer, **ERRORS},
        summary="Create a customer portal session",
        operation_id="create_portal_session",
    )
    def post(self, request: Request) -> Response:
        payload = s.PortalSessionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return_url = self.safe_url(payload.validated_data.get("return_url"), "return_url")
        try:
            session = start_portal_session(
                self.owner, user=request.user, return_url=return_url, request=request._request
            )
        except PortalError as exc:
            return Response(
                {"error": {"code": exc.code, "message": str(exc.message)}}, status=exc.status
            )
        body = s.PortalSessionSerializer(
            {"url": session.url, "expires_at": session.expires_at}
        ).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class TransactionListView(RecurAPIView, generics.ListAPIView):
    """The owner's checkouts and purchases, newest first."""

    serializer_class = s.TransactionSerializer
    pagination_class = RecurPagination

    def get_queryset(self) -> QuerySet[Transaction]:
        return Transaction.objects.filter(owner_id=self.owner.pk).order_by("-created_at")

    @document(summary="List my transactions", operation_id="list_transactions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SubscriptionListView(RecurAPIView, generics.ListAPIView):
    """The owner's mirrored subscriptions, newest first."""

    serializer_class = s.SubscriptionSerializer
    pagination_class = RecurPagination

    def get_queryset(self) -> QuerySet[Subscription]:
        return Subscription.objects.filter(customer__owner_id=self.owner.pk).order_by(
            "-created_at", "-pk"
        )

    @document(summary="List my subscriptions", operation_id="list_subscriptions")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class EntitlementListView(RecurAPIView):
    """Every product the owner may use now, and why (for every member acting for it)."""

    manages_billing = False

    @document(
        responses={200: s.EntitlementListSerializer, **ERRORS},
        summary="List my entitlements",
        operation_id="list_entitlements",
    )
    def get(self, request: Request) -> Response:
        items = s.EntitlementSerializer(entitlements_for(self.owner), many=True).data
        return Response({"results": items})


class EntitlementCheckView(RecurAPIView):
    """Whether the owner may use one product (slug or id), for every member acting for it."""

    manages_billing = False

    @document(
        responses={200: s.EntitlementCheckSerializer, **ERRORS},
        summary="Check one product",
        operation_id="check_entitlement",
    )
    def get(self, request: Request, product: str) -> Response:
        return Response({"product": product, "entitled": has_entitlement(self.owner, product)})
