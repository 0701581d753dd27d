"""Random JSON and query strings against every REST API endpoint: never a 5xx from bad
input (502/503 only mean Recur is unreachable here), and every 4xx in the error shape."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from recur_django.models import Customer
from tests.robustness.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

BASE = "/api/billing/"
POST_ENDPOINTS = ["checkout-sessions/", "portal-sessions/"]
GET_ENDPOINTS = ["transactions/", "subscriptions/", "entitlements/", "entitlements/prod_ebook/"]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.text(max_size=3000))
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "product": field_values,
            "mode": st.one_of(st.sampled_from(["PAYMENT", "SUBSCRIPTION", "SETUP"]), json_values),
            "metadata": st.one_of(
                st.dictionaries(st.text(max_size=30), field_values, max_size=25), json_values
            ),
            "success_url": field_values,
            "cancel_url": field_values,
            "return_url": field_values,
        },
    ),
)
query_values = st.one_of(
    st.sampled_from(["-1", "0", "abc", "1e9", "99999999999999999999", "", "last", "%00"]),
    st.text(max_size=50),
)
queries = st.dictionaries(
    st.sampled_from(["page", "page_size", "limit", "status", "active", "starting_after"]),
    query_values,
    max_size=3,
)

SWEEP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(db, settings):
    settings.RECUR = {**settings.RECUR, "API_THROTTLE_CLASSES": [], "MAX_RETRIES": 0}
    user = get_user_model().objects.create_user("sweeper", "sweeper@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_sweeper", email=user.email)
    client = APIClient()
    client.force_authenticate(user)
    return client


def check(response) -> None:
    assert response.status_code < 500 or response.status_code in (502, 503), (
        response.status_code,
        response.content[:300],
    )
    if response.status_code >= 400:
        assert_error_shape(response)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@SWEEP
@given(body=bodies)
def test_random_json_bodies(api, endpoint, body):
    check(api.post(BASE + endpoint, data=json.dumps(body), content_type="application/json"))


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@SWEEP
@given(raw=st.binary(max_size=200))
def test_random_bytes_bodies(api, endpoint, raw):
    check(api.post(BASE + endpoint, data=raw, content_type="application/json"))


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
@SWEEP
@given(params=queries)
def test_random_query_strings(api, endpoint, params):
    check(api.get(BASE + endpoint, params))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"product": NaN}',
        b"[" * 100000 + b"]" * 100000,
        b'{"product": "' + b"\\ud800" + b'"}',
        b'{"product": "a\\u0000b"}',
    ],
)
@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_json_bodies(api, endpoint, raw):
    check(api.post(BASE + endpoint, data=raw, content_type="application/json"))


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
    ],
)
def test_other_content_types(api, endpoint, content_type):
    check(api.post(BASE + endpoint, data=b"product=prod_ebook", content_type=content_type))


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS + GET_ENDPOINTS)
def test_anonymous_is_401_with_the_shape(db, endpoint):
    client = APIClient()
    response = client.post(BASE + endpoint, {}, format="json")
    assert response.status_code in (401, 405)
    assert_error_shape(response)


@pytest.mark.parametrize("product", ["%00", "x" * 600, "%E4%B8%AD", "a%20b", "%ff"])
def test_entitlement_check_with_odd_product_ids(api, product):
    check(api.get(BASE + "entitlements/" + product + "/"))


def test_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "\u00e9" * 50)
    response = client.get(BASE + "transactions/")
    assert response.status_code == 401
    assert_error_shape(response)
