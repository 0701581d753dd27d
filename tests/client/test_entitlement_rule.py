"""CustomerEntitlements.check: the access rule on an answer already fetched."""

from __future__ import annotations

from datetime import UTC, datetime

from recur_django.client.types import parse_customer_entitlements

ANSWER = parse_customer_entitlements(
    {
        "subscription": {"id": "sub_1", "product": {"slug": "pro", "id": "prod_pro"}},
        "entitlements": [
            {"product": "pro", "productId": "prod_pro", "expiresAt": "2030-01-01T00:00:00Z"},
            {"product": "old", "status": "revoked"},
        ],
    }
)


def test_a_live_entitlement_grants_by_slug_or_id():
    for product in ("pro", "prod_pro"):
        result = ANSWER.check(product, now=datetime(2029, 1, 1, tzinfo=UTC))
        assert result and result.entitlement is not None
        assert result.subscription is not None and result.subscription.id == "sub_1"


def test_expiry_revocation_and_absence_deny_with_a_reason():
    late = ANSWER.check("pro", now=datetime(2030, 1, 1, tzinfo=UTC))
    assert (late.allowed, late.reason) == (False, "expired")
    assert ANSWER.check("old").reason == "expired"
    missing = ANSWER.check("team")
    assert (missing.allowed, missing.reason, missing.subscription) == (
        False,
        "no_entitlement",
        None,
    )
