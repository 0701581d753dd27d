"""Promotion codes: ``/v1/promotion-codes`` (secret key).

Recur's promotion-code page documents its fields in snake_case, so these requests go out
snake_case (the other resources send camelCase, as Recur's SDK does); answers are read in
either casing, wrapped in ``{"success": true, "data": …}`` or not.

Recur's page lists update and deactivate without their details. Where it is silent this
client follows Stripe: an update changes only ``active`` and ``metadata`` (a code's terms
are fixed once customers may have seen it: create a new code instead), and deactivating is
an update to ``active = false`` (codes are never deleted, so redemptions keep their code).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from recur_django.client.envelopes import Page, parse_list, unwrap
from recur_django.client.errors import InvalidRequestError
from recur_django.client.resources import _paginate, _require_id, _Resource
from recur_django.client.transport import path
from recur_django.client.types import PromotionCode, parse_promotion_code

__all__ = [
    "CODE_PATTERN",
    "CUSTOMER_ELIGIBILITY",
    "PROMOTION_CODE_UPDATE_FIELDS",
    "PromotionCodes",
    "check_code",
]

#: What Recur accepts as a code: 3 to 20 uppercase letters and digits.
CODE_PATTERN = re.compile(r"\A[A-Z0-9]{3,20}\Z")

#: Who may redeem a code (``customer_eligibility``).
CUSTOMER_ELIGIBILITY: tuple[str, ...] = ("ALL", "NEW_CUSTOMERS", "EXISTING_CUSTOMERS")

#: What an update may change, by keyword (Stripe's rule; Recur does not document it).
PROMOTION_CODE_UPDATE_FIELDS: tuple[str, ...] = ("active", "metadata")


def _invalid(code: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code=code, error_type="invalid_request_error")


def check_code(code: Any) -> str:
    """``code`` when Recur would accept it, else :class:`InvalidRequestError` (not sent)."""
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise _invalid(
            "invalid_code", "code must be 3 to 20 characters: uppercase letters and digits only."
        )
    return code


def _wire(value: Any) -> Any:
    """A JSON value: datetimes as ISO 8601 (aware ones keep their offset)."""
    return value.isoformat() if isinstance(value, datetime) else value


class PromotionCodes(_Resource):
    """Promotion codes: create, retrieve, list, update, deactivate."""

    def create(
        self,
        *,
        coupon_id: str,
        code: str,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        max_redemptions: int | None = None,
        max_redemptions_per_customer: int | None = None,
        minimum_amount: int | None = None,
        customer_eligibility: str | None = None,
        restricted_to_customer_id: str | None = None,
        active: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PromotionCode:
        """Create a code for ``coupon_id`` (``cpn_…``); ``code`` is checked before sending.

        ``max_redemptions_per_customer`` defaults to 1 on Recur's side; ``minimum_amount``
        is whole TWD; ``customer_eligibility`` is ``ALL``, ``NEW_CUSTOMERS`` or
        ``EXISTING_CUSTOMERS``.
        """
        if not isinstance(coupon_id, str) or not coupon_id:
            raise _invalid("missing_coupon", "coupon_id is required.")
        check_code(code)
        if customer_eligibility is not None and customer_eligibility not in CUSTOMER_ELIGIBILITY:
            raise _invalid(
                "invalid_customer_eligibility",
                f"customer_eligibility must be one of {', '.join(CUSTOMER_ELIGIBILITY)}.",
            )
        fields = {
            "coupon_id": coupon_id,
            "code": code,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "max_redemptions": max_redemptions,
            "max_redemptions_per_customer": max_redemptions_per_customer,
            "minimum_amount": minimum_amount,
            "customer_eligibility": customer_eligibility,
            "restricted_to_customer_id": restricted_to_customer_id,
            "active": active,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        body = {key: _wire(value) for key, value in fields.items() if value is not None}
        data = self._transport.request(
            "POST", "/v1/promotion-codes", body=body, idempotency_key=idempotency_key
        )
        return parse_promotion_code(data)

    def retrieve(self, id: str) -> PromotionCode:
        data = self._transport.request(
            "GET", path("promotion-codes", _require_id(id, "Promotion code"))
        )
        return parse_promotion_code(data)

    def update(self, id: str, **fields: Any) -> PromotionCode:
        """Change ``active`` and/or ``metadata`` (an explicit None clears the metadata)."""
        unknown = set(fields) - set(PROMOTION_CODE_UPDATE_FIELDS)
        if unknown:
            raise TypeError(f"Unknown promotion code field(s): {', '.join(sorted(unknown))}")
        data = self._transport.request(
            "PATCH", path("promotion-codes", _require_id(id, "Promotion code")), body=fields
        )
        return parse_promotion_code(data)

    def deactivate(self, id: str) -> PromotionCode:
        """Stop the code being redeemed (an update to ``active = false``)."""
        return self.update(id, active=False)

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        active: bool | None = None,
        code: str | None = None,
        coupon_id: str | None = None,
    ) -> Page[PromotionCode]:
        data = self._transport.request(
            "GET",
            "/v1/promotion-codes",
            params={
                "limit": limit,
                "starting_after": starting_after,
                "active": active,
                "code": code,
                "coupon_id": coupon_id,
            },
        )
        return parse_list(unwrap(data), parse_promotion_code, "data", "promotion_codes")

    def iter(self, *, limit: int = 100, active: bool | None = None) -> Iterator[PromotionCode]:
        """Every promotion code, fetching pages of ``limit`` as needed."""
        return _paginate(
            lambda cursor: self.list(limit=limit, starting_after=cursor, active=active)
        )
