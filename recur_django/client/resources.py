"""Resource namespaces of :class:`~recur_django.client.RecurClient`.

Requests go out camelCase (as Recur's own SDK and guides send them); query
parameters of list endpoints are snake_case as documented. Responses are read in
either casing (:mod:`recur_django.client.casing`) into :mod:`recur_django.client.types`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from recur_django.client.casing import camel
from recur_django.client.envelopes import Deleted, Page, parse_deleted, parse_list
from recur_django.client.errors import InvalidRequestError
from recur_django.client.transport import Transport, path
from recur_django.client.types import (
    CheckoutSession,
    Customer,
    CustomerEntitlements,
    Entitlement,
    EntitlementCheck,
    PaymentLink,
    PortalSession,
    Product,
    Subscription,
    parse_checkout_session,
    parse_customer,
    parse_customer_entitlements,
    parse_payment_link,
    parse_portal_session,
    parse_product,
    parse_subscription,
)

__all__ = [
    "CheckoutSessions",
    "Customers",
    "Entitlements",
    "PaymentLinks",
    "PortalSessions",
    "Products",
    "Subscriptions",
]

CustomerRef = Mapping[str, Any] | str


def _body(**fields: Any) -> dict[str, Any]:
    """A camelCase JSON body from snake_case keyword arguments, dropping None values."""
    return {camel(key): value for key, value in fields.items() if value is not None}


def _missing(code: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code=code, error_type="invalid_request_error")


def _require_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _missing("invalid_id", f"{what} id must be a non-empty string.")
    return value


class _Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class CheckoutSessions(_Resource):
    """Hosted checkout sessions: ``/v1/checkout/sessions``."""

    def create(
        self,
        *,
        product_id: str | None = None,
        product_slug: str | None = None,
        success_url: str,
        cancel_url: str,
        mode: str | None = None,
        customer_email: str | None = None,
        customer_name: str | None = None,
        external_customer_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> CheckoutSession:
        """Create a session; send the buyer to ``session.url``.

        One of ``product_id``/``product_slug`` is required (checked before sending).
        ``success_url`` may contain ``{CHECKOUT_SESSION_ID}``, which Recur replaces.
        """
        if not product_id and not product_slug:
            raise _missing("missing_product", "Give product_id or product_slug.")
        body = _body(
            product_id=product_id,
            product_slug=product_slug,
            success_url=success_url,
            cancel_url=cancel_url,
            mode=mode,
            customer_email=customer_email,
            customer_name=customer_name,
            external_customer_id=external_customer_id,
            metadata=dict(metadata) if metadata is not None else None,
        )
        data = self._transport.request(
            "POST", "/v1/checkout/sessions", body=body, idempotency_key=idempotency_key
        )
        return parse_checkout_session(data)

    def retrieve(self, id: str) -> CheckoutSession:
        """Fetch a session, e.g. on the success page to read ``status``."""
        data = self._transport.request(
            "GET", path("checkout", "sessions", _require_id(id, "Checkout session"))
        )
        return parse_checkout_session(data)


class PortalSessions(_Resource):
    """Customer portal sessions: ``POST /v1/portal/sessions``."""

    def create(
        self,
        *,
        customer: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        return_url: str | None = None,
        configuration: str | None = None,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> PortalSession:
        """Create a one-hour, single-use portal session for one customer.

        Identify the customer by ``customer`` (Recur customer id), ``external_id`` or
        ``email`` (Recur's priority order); at least one is required before sending.
        """
        if not (customer or email or external_id):
            raise _missing(
                "missing_customer_identifier",
                "Give customer, external_id or email to identify the portal customer.",
            )
        body = _body(
            customer_id=customer,
            email=email,
            external_id=external_id,
            return_url=return_url,
            configuration_id=configuration,
            locale=locale,
        )
        data = self._transport.request(
            "POST", "/v1/portal/sessions", body=body, idempotency_key=idempotency_key
        )
        return parse_portal_session(data)


#: What Recur accepts when a payment link is updated (PATCH), by keyword, in form order.
LINK_UPDATE_FIELDS: tuple[str, ...] = (
    "active",
    "promotion_code",
    "collect_payment_method",
    "success_url",
    "max_completions",
    "metadata",
)


class PaymentLinks(_Resource):
    """Payment links: ``/v1/payment-links``."""

    def create(
        self,
        *,
        product_id: str | None = None,
        product_slug: str | None = None,
        promotion_code: str | None = None,
        collect_payment_method: str | None = None,
        success_url: str | None = None,
        max_completions: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentLink:
        """Create a permanent shareable link for one product."""
        if not product_id and not product_slug:
            raise _missing("missing_product", "Give product_id or product_slug.")
        body = _body(
            product_id=product_id,
            product_slug=product_slug,
            promotion_code=promotion_code,
            collect_payment_method=collect_payment_method,
            success_url=success_url,
            max_completions=max_completions,
            metadata=dict(metadata) if metadata is not None else None,
        )
        data = self._transport.request(
            "POST", "/v1/payment-links", body=body, idempotency_key=idempotency_key
        )
        return parse_payment_link(data)

    def retrieve(self, id: str) -> PaymentLink:
        data = self._transport.request("GET", path("payment-links", _require_id(id, "Link")))
        return parse_payment_link(data)

    def update(self, id: str, **fields: Any) -> PaymentLink:
        """Change only the given fields; an explicit None sends null (removes the value).

        Fields: ``active``, ``promotion_code``, ``collect_payment_method``,
        ``success_url``, ``max_completions``, ``metadata``.
        """
        unknown = set(fields) - set(LINK_UPDATE_FIELDS)
        if unknown:
            raise TypeError(f"Unknown payment link field(s): {', '.join(sorted(unknown))}")
        body = {camel(key): value for key, value in fields.items()}
        data = self._transport.request(
            "PATCH", path("payment-links", _require_id(id, "Link")), body=body
        )
        return parse_payment_link(data)

    def delete(self, id: str) -> Deleted:
        """Deactivate the link (Recur soft-deletes: ``active`` becomes false)."""
        link_id = _require_id(id, "Link")
        data = self._transport.request("DELETE", path("payment-links", link_id))
        return parse_deleted(data, link_id)

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        active: bool | None = None,
    ) -> Page[PaymentLink]:
        data = self._transport.request(
            "GET",
            "/v1/payment-links",
            params={"limit": limit, "starting_after": starting_after, "active": active},
        )
        return parse_list(data, parse_payment_link, "data")

    def iter(self, *, limit: int = 100, active: bool | None = None) -> Iterator[PaymentLink]:
        """Every link, fetching pages of ``limit`` as needed."""
        return _paginate(
            lambda cursor: self.list(limit=limit, starting_after=cursor, active=active)
        )


class Products(_Resource):
    """Products: ``GET /v1/products``."""

    def list(self, *, type: str | None = None) -> list[Product]:
        """All products, optionally of one ``type`` (SUBSCRIPTION, ONE_TIME, CREDITS…)."""
        data = self._transport.request("GET", "/v1/products", params={"type": type})
        return parse_list(data, parse_product, "products", "data").data


class Customers(_Resource):
    """Customers: ``GET /v1/customers``."""

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        email: str | None = None,
        status: str | None = None,
    ) -> Page[Customer]:
        data = self._transport.request(
            "GET",
            "/v1/customers",
            params={
                "limit": limit,
                "starting_after": starting_after,
                "email": email,
                "status": status,
            },
        )
        return parse_list(data, parse_customer, "data", "customers")

    def iter(
        self, *, limit: int = 100, email: str | None = None, status: str | None = None
    ) -> Iterator[Customer]:
        return _paginate(
            lambda cursor: self.list(limit=limit, starting_after=cursor, email=email, status=status)
        )


class Subscriptions(_Resource):
    """Subscriptions: ``GET /v1/subscriptions``."""

    def list(
        self,
        *,
        email: str | None = None,
        external_id: str | None = None,
        customer_id: str | None = None,
        product_id: str | None = None,
        product_slug: str | None = None,
        active: bool | None = None,
        status: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
    ) -> Page[Subscription]:
        """One page; ``active=True`` means ACTIVE, TRIAL and PAST_DUE."""
        data = self._transport.request(
            "GET",
            "/v1/subscriptions",
            params={
                "email": email,
                "external_id": external_id,
                "customer_id": customer_id,
                "product_id": product_id,
                "product_slug": product_slug,
                "active": active,
                "status": status,
                "limit": limit,
                "starting_after": starting_after,
            },
        )
        return parse_list(data, parse_subscription, "subscriptions", "data")

    def iter(self, *, limit: int = 100, **filters: Any) -> Iterator[Subscription]:
        """Every subscription matching the :meth:`list` filters."""
        filters.pop("starting_after", None)
        return _paginate(lambda cursor: self.list(limit=limit, starting_after=cursor, **filters))


class Entitlements(_Resource):
    """What a customer may use: ``GET /v1/customers/entitlements``.

    ``customer`` is a dict with any of ``id``, ``email``, ``external_id``
    (``externalId`` also accepted) or a bare Recur customer id string.
    """

    def retrieve(self, customer: CustomerRef) -> CustomerEntitlements:
        """The whole answer: customer, most recent subscription, entitlements."""
        data = self._transport.request(
            "GET", "/v1/customers/entitlements", params=_customer_params(customer)
        )
        return parse_customer_entitlements(data)

    def list(self, customer: CustomerRef) -> list[Entitlement]:
        return self.retrieve(customer).entitlements

    def check(self, product: str, customer: CustomerRef) -> EntitlementCheck:
        """Whether ``customer`` may use ``product`` (a product slug or id).

        Fetches :meth:`retrieve` and filters client-side, like Recur's SDK (see
        :meth:`CustomerEntitlements.check <recur_django.client.CustomerEntitlements.check>`).
        """
        if not product:
            raise _missing("missing_product", "Give the product slug or id to check.")
        return self.retrieve(customer).check(product)


def _customer_params(customer: CustomerRef) -> dict[str, str]:
    if isinstance(customer, str):
        ref: Mapping[str, Any] = {"id": customer}
    elif isinstance(customer, Mapping):
        ref = customer
    else:
        ref = {}
    candidates = {
        "email": ref.get("email"),
        "external_id": ref.get("external_id") or ref.get("externalId"),
        "customer_id": ref.get("id") or ref.get("customer_id") or ref.get("customerId"),
    }
    params = {k: v for k, v in candidates.items() if isinstance(v, str) and v}
    if not params:
        raise _missing(
            "missing_customer_identifier",
            "Give the customer as a dict with id, email or external_id.",
        )
    return params


def _paginate(fetch: Any) -> Iterator[Any]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.data
        if not page.has_more or not page.data:
            return
        next_cursor = page.next_cursor or getattr(page.data[-1], "id", None)
        if not next_cursor or next_cursor == cursor:
            return
        cursor = next_cursor
