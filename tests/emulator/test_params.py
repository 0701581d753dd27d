"""The emulator's request parameters read keys through the client's one casing reader."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from recur_django.emulator.api.errors import ApiError
from recur_django.emulator.api.params import Params


def test_camel_case_is_accepted_and_snake_case_wins():
    assert Params({"successUrl": "https://a.example/"}).url("success_url") == "https://a.example/"
    both = Params({"max_completions": 2, "maxCompletions": 9})
    assert both.integer("max_completions") == 2


def test_an_explicit_null_is_sent_but_empty():
    params = Params({"promotionCode": None})
    assert params.has("promotion_code")
    assert params.text("promotion_code") == ""
    assert not params.has("success_url")


def test_query_strings_read_the_last_value_in_either_casing():
    params = Params(QueryDict("startingAfter=a&startingAfter=b&limit=5"))
    assert params.text("starting_after") == "b"
    assert params.integer("limit") == 5


def test_wrong_types_are_a_clear_400():
    with pytest.raises(ApiError, match="must be an integer"):
        Params({"maxCompletions": "many"}).integer("max_completions")
    with pytest.raises(ApiError, match="must be a string"):
        Params({"productId": 3}).text("product_id")
