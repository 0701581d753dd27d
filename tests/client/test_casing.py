"""The one reader of Recur's casing (recur_django.client.casing) and the declared parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from recur_django.client import types
from recur_django.client.casing import Reader, camel, pick, snake
from recur_django.client.parsing import parse, recur_object, source


@pytest.mark.parametrize(
    ("snake_name", "camel_name"),
    [
        ("expires_at", "expiresAt"),
        ("id", "id"),
        ("external_customer_id", "externalCustomerId"),
        ("url_id", "urlId"),
    ],
)
def test_camel_and_snake_are_inverse_for_recur_names(snake_name, camel_name):
    assert camel(snake_name) == camel_name
    assert snake(camel_name) == snake_name


def test_snake_splits_acronyms():
    assert snake("checkoutURL") == "checkout_url"
    assert snake("URLPath") == "url_path"


def test_get_tries_snake_then_camel_and_skips_nulls():
    r = Reader({"customer_id": None, "customerId": "cus_1", "planId": "p"})
    assert r.get("customer_id") == "cus_1"
    assert r.get("product_id", "plan_id") == "p"
    assert r.get("missing") is None


def test_get_prefers_snake_case_when_both_are_sent():
    assert Reader({"expiresAt": "camel", "expires_at": "snake"}).get("expires_at") == "snake"


def test_skip_blank_moves_past_empty_strings():
    r = Reader({"id": "", "checkoutId": "cs_1"})
    assert r.get("id", "checkout_id") == ""
    assert r.get("id", "checkout_id", skip_blank=True) == "cs_1"


def test_find_tells_null_from_absent():
    r = Reader({"promotionCode": None})
    assert r.find("promotion_code") == (True, None)
    assert r.find("success_url") == (False, None)


@pytest.mark.parametrize("raw", [None, [], "text", 3])
def test_a_non_object_reads_as_empty(raw):
    r = Reader(raw)
    assert r.raw == {}
    assert r.get("id") is None
    assert r.nested("customer").text("id") is None


def test_raw_is_the_object_itself():
    data = {"id": "x"}
    assert Reader(data).raw is data


def test_typed_accessors_map_wrong_types_to_none():
    r = Reader(
        {
            "amount": "490",
            "count": 2.0,
            "bad": 2.5,
            "flag": "TRUE",
            "flagged": 1,
            "at": 1735691400000,
            "name": 7,
            "blob": ["x"],
            "obj": {"a": 1},
        }
    )
    assert r.integer("amount") == 490
    assert r.integer("count") == 2
    assert r.integer("bad") is None
    assert r.boolean("flag") is True
    assert r.boolean("flagged") is None
    assert r.dt("at") == datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
    assert r.text("name") == "7"
    assert r.text("blob") is None
    assert r.array("blob") == ["x"]
    assert r.obj("obj") == {"a": 1}
    assert r.obj("blob") is None


def test_client_types_reexport_the_one_reader():
    assert types.Reader is Reader
    assert types.camel is camel


def test_declared_sources_alternatives_nested_fallbacks_and_objects():
    session = types.parse_subscription(
        {
            "id": "sub_1",
            "planId": "prod_1",
            "product": {"slug": "pro", "name": "Pro"},
            "cancelledAt": "2025-01-01T00:30:00Z",
            "billingPeriod": "MONTHLY",
            "customer": {"id": "cus_1"},
        }
    )
    assert session.product_id == "prod_1"
    assert session.product_slug == "pro"
    assert session.customer_id == "cus_1"
    assert session.interval == "month"
    assert session.canceled_at == datetime(2025, 1, 1, 0, 30, tzinfo=UTC)

    answer = types.parse_customer_entitlements(
        {
            "customer": {"id": "cus_1", "externalId": "u1"},
            "subscription": {"id": "sub_1", "product": "pro"},
            "entitlements": [{"product": "pro"}, "junk", {"product": {"slug": "x", "id": "p"}}],
        }
    )
    assert answer.customer_external_id == "u1"
    assert answer.subscription is not None and answer.subscription.product_slug == "pro"
    assert [(e.product, e.product_id) for e in answer.entitlements] == [
        ("pro", None),
        ("x", "p"),
    ]


def test_a_field_that_cannot_be_read_is_refused_when_declared():
    with pytest.raises(TypeError, match="source"):

        @recur_object
        @dataclass(frozen=True)
        class Odd:
            when: complex
            raw: dict[str, Any] = field(default_factory=dict)


def test_parse_with_what_requires_an_id():
    @recur_object
    @dataclass(frozen=True)
    class Thing:
        id: str
        size: int | None = field(metadata=source("size", "length"))
        raw: dict[str, Any] = field(default_factory=dict)

    thing = parse(Thing, {"id": "t", "length": "3"}, what="thing")
    assert (thing.id, thing.size, thing.raw) == ("t", 3, {"id": "t", "length": "3"})
    with pytest.raises(types.APIError, match="thing without an id"):
        parse(Thing, {"size": 1}, what="thing")


def test_pick_keeps_the_payload_readers_contract():
    data = {"id": "", "checkoutId": "cs_1", "amount": 0, "metadata": None}
    assert pick(data, "id", "checkout_id") == "cs_1"
    assert pick(data, "amount") == 0
    assert pick(data, "metadata", "missing") is None
    assert pick(None, "id") is None
