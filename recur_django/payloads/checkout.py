"""Tolerant readers for checkout and order data from webhooks and the API.

Recur's payloads are documented in snake_case, while its own tooling sends camelCase
(``customerEmail``, ``subscriptionId``, and the session id under ``checkoutId``). Every
reader here accepts both spellings (through :mod:`recur_django.client.casing`) and ignores
fields it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from recur_django.client.casing import Reader, pick

if TYPE_CHECKING:
    from recur_django.client.types import CheckoutSession


def pick_amount(data: Mapping[str, Any]) -> Any:
    """The amount as sent: the first of ``amount``, ``amount_total``, ``total`` present and
    not ``null``. Unlike :func:`pick`, an empty string is returned (it is malformed, not
    absent); ``None`` means no amount was sent."""
    return Reader(data).get("amount", "amount_total", "total")


def _text(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list):
        return ""
    return str(value).strip()


class Outcome(Enum):
    """What a checkout status means for the transaction."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


_SUCCESS = {"", "complete", "completed", "paid", "succeeded", "success"}
_FAILURES = {
    "failed": Outcome.FAILED,
    "payment_failed": Outcome.FAILED,
    "canceled": Outcome.CANCELED,
    "cancelled": Outcome.CANCELED,
    "expired": Outcome.EXPIRED,
}


def classify_status(status: str) -> Outcome:
    """Map a checkout status (any casing; missing means success) to an :class:`Outcome`."""
    value = status.strip().lower()
    if value in _SUCCESS:
        return Outcome.SUCCEEDED
    return _FAILURES.get(value, Outcome.UNKNOWN)


@dataclass(frozen=True)
class CheckoutData:
    """The facts about one paid (or failed) checkout that fulfilment relies on."""

    session_id: str = ""
    status: str = ""
    amount: Any = None
    currency: str = ""
    product_id: str = ""
    customer_id: str = ""
    customer_email: str = ""
    customer_name: str = ""
    external_customer_id: str = ""
    order_id: str = ""
    subscription_id: str = ""
    failure_reason: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: What a promotion code took off (``amount`` is what was paid), as sent.
    discount_amount: Any = None

    @property
    def transaction_id(self) -> str:
        return _text(pick(self.metadata, "transaction_id"))

    @property
    def outcome(self) -> Outcome:
        return classify_status(self.status)

    @classmethod
    def _common(cls, data: Mapping[str, Any], **ids: str) -> CheckoutData:
        customer = data.get("customer")
        customer = customer if isinstance(customer, Mapping) else {}
        metadata = data.get("metadata")
        return cls(
            status=_text(pick(data, "status")),
            amount=pick_amount(data),
            currency=_text(pick(data, "currency")).upper(),
            product_id=_text(pick(data, "product_id")),
            customer_id=_text(pick(data, "customer_id") or pick(customer, "id")),
            customer_email=_text(pick(data, "customer_email") or pick(customer, "email")),
            customer_name=_text(pick(data, "customer_name") or pick(customer, "name")),
            external_customer_id=_text(
                pick(data, "external_customer_id") or pick(customer, "external_id")
            ),
            failure_reason=_text(pick(data, "failure_reason", "failure_message", "reason")),
            metadata=metadata if isinstance(metadata, Mapping) else {},
            discount_amount=Reader(data).get("discount_amount", "amount_discount"),
            **ids,
        )

    @classmethod
    def from_checkout(cls, data: Mapping[str, Any]) -> CheckoutData:
        """From ``checkout.completed`` data or a retrieved session: ``id`` is the session id."""
        return cls._common(
            data,
            session_id=_text(pick(data, "id", "checkout_id", "checkout_session_id")),
            order_id=_text(pick(data, "order_id")),
            subscription_id=_text(pick(data, "subscription_id")),
        )

    @classmethod
    def from_order(cls, data: Mapping[str, Any]) -> CheckoutData:
        """From ``order.*`` data: ``id`` is the order id; the session id may be referenced."""
        return cls._common(
            data,
            session_id=_text(
                pick(data, "checkout_session_id", "checkout_id", "session_id", "checkout")
            ),
            order_id=_text(pick(data, "id", "order_id")),
            subscription_id=_text(pick(data, "subscription_id")),
        )

    @classmethod
    def from_session(cls, session: CheckoutSession) -> CheckoutData:
        """From the client's typed ``CheckoutSession``: its typed attributes first.

        What the type does not carry (customer name, external customer id, failure
        reason) or could not read (an amount that is not a whole number, which fulfilment
        must refuse rather than overlook) comes from the session's ``raw`` object.
        """
        base = cls.from_checkout(getattr(session, "raw", None) or {})

        def typed(name: str, fallback: Any) -> Any:
            value = getattr(session, name, None)
            return fallback if value in (None, "") else value

        metadata = typed("metadata", base.metadata)
        return replace(
            base,
            session_id=_text(typed("id", base.session_id)),
            status=_text(typed("status", base.status)),
            amount=typed("amount", base.amount),
            currency=_text(typed("currency", base.currency)).upper(),
            product_id=_text(typed("product_id", base.product_id)),
            customer_id=_text(typed("customer_id", base.customer_id)),
            customer_email=_text(typed("customer_email", base.customer_email)),
            order_id=_text(typed("order_id", base.order_id)),
            subscription_id=_text(typed("subscription_id", base.subscription_id)),
            metadata=metadata if isinstance(metadata, Mapping) else base.metadata,
        )
