"""Transport behaviour against a real local HTTP server: headers, retries, timeouts."""

from __future__ import annotations

import logging
import time
import uuid
from email.utils import formatdate
from typing import Any

import pytest
import requests
import responses

from recur_django import __version__
from recur_django.client import (
    APIConnectionError,
    APIError,
    RateLimitError,
    RecurClient,
)
from recur_django.client.transport import parse_retry_after
from tests.client.conftest import SECRET, FakeRecur, unused_port

CHECKOUT = {"id": "cs_1", "url": "https://checkout.recur.tw/cs_1"}


def create_session(client: RecurClient, **kwargs: Any) -> Any:
    return client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/pricing",
        **kwargs,
    )


# -- headers --------------------------------------------------------------------------


def test_every_request_carries_auth_user_agent_and_json_headers(client, recur_server):
    recur_server.reply(200, CHECKOUT)
    recur_server.reply(200, {"products": []})
    create_session(client)
    client.products.list()
    post, get = recur_server.received
    for req in (post, get):
        assert req.headers["Authorization"] == f"Bearer {SECRET}"
        assert req.headers["User-Agent"] == f"recur-django/{__version__}"
        assert req.headers["Accept"] == "application/json"
    assert post.headers["Content-Type"] == "application/json"
    assert "Idempotency-Key" not in get.headers


def test_post_carries_a_uuid4_idempotency_key_unique_per_call(client, recur_server):
    recur_server.reply(200, CHECKOUT, times=2)
    create_session(client)
    create_session(client)
    keys = [r.headers["Idempotency-Key"] for r in recur_server.received]
    assert keys[0] != keys[1]
    assert all(uuid.UUID(k).version == 4 for k in keys)


def test_caller_supplied_idempotency_key_is_sent(client, recur_server):
    recur_server.reply(200, CHECKOUT)
    create_session(client, idempotency_key="txn_42")
    assert recur_server.last.headers["Idempotency-Key"] == "txn_42"


def test_idempotency_key_is_reused_across_retries(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(429, {"error": {"code": "rate_limited", "message": "slow"}}, times=2)
    recur_server.reply(200, CHECKOUT)
    assert create_session(client).id == "cs_1"
    keys = {r.headers["Idempotency-Key"] for r in recur_server.received}
    assert len(recur_server.received) == 3
    assert len(keys) == 1
    assert len(sleeps) == 2


@pytest.mark.parametrize("base", ["{url}", "{url}/"])
def test_base_url_with_or_without_trailing_slash(make_client, recur_server, base):
    client = make_client(base_url=base.format(url=recur_server.url))
    recur_server.reply(200, CHECKOUT)
    client.checkout_sessions.retrieve("cs_1")
    assert recur_server.last.path == "/v1/checkout/sessions/cs_1"


def test_connections_are_kept_alive_and_reused(client, recur_server):
    recur_server.reply(200, CHECKOUT, times=3)
    for _ in range(3):
        client.checkout_sessions.retrieve("cs_1")
    # One pooled connection: the server saw keep-alive requests on the same socket.
    pool = next(
        iter(client._transport.session.adapters["http://"].poolmanager.pools._container.values())
    )
    assert pool.num_connections == 1
    assert pool.num_requests == 3


# -- retry rules ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_never_retried_on_5xx(make_client, recur_server, sleeps, status):
    client = make_client(max_retries=3)
    recur_server.reply(status, {"error": {"code": "internal_error", "message": "boom"}}, times=4)
    with pytest.raises(APIError) as info:
        create_session(client)
    assert info.value.status == status
    assert len(recur_server.received) == 1
    assert sleeps == []


def test_post_is_not_retried_on_read_timeout(make_client, recur_server):
    client = make_client(timeout=(1.0, 0.3), max_retries=3)
    recur_server.reply(200, CHECKOUT, delay=3.0)
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        create_session(client)
    # Waiting for the reply would take 3 s; the margin is for a loaded machine.
    assert time.monotonic() - started < 2.9
    assert info.value.code == "read_timeout"
    assert info.value.status is None
    assert len(recur_server.received) == 1


def test_post_is_retried_on_429_then_succeeds(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(429, {"error": {"code": "rate_limited", "message": "slow down"}})
    recur_server.reply(200, CHECKOUT)
    assert create_session(client).id == "cs_1"
    assert len(recur_server.received) == 2
    assert len(sleeps) == 1


def test_post_is_retried_when_the_connection_was_refused(make_client, sleeps):
    client = make_client(base_url=f"http://127.0.0.1:{unused_port()}", max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        create_session(client)
    assert info.value.code == "connection_error"
    assert "3 attempts" in info.value.message
    assert len(sleeps) == 2


def test_post_is_retried_on_connect_timeout_with_the_same_key():
    client = RecurClient(SECRET, base_url="https://api.test", max_retries=1)
    client._transport.sleep = lambda _s: None
    with responses.RequestsMock() as mock:
        mock.add("POST", "https://api.test/v1/checkout/sessions", body=requests.ConnectTimeout())
        mock.add("POST", "https://api.test/v1/checkout/sessions", json=CHECKOUT)
        assert create_session(client).id == "cs_1"
        keys = {c.request.headers["Idempotency-Key"] for c in mock.calls}
        assert len(mock.calls) == 2
        assert len(keys) == 1


def test_post_is_not_retried_when_the_connection_drops_after_sending(make_client, recur_server):
    client = make_client(max_retries=3)
    recur_server.reply(drop=True, times=4)
    with pytest.raises(APIConnectionError):
        create_session(client)
    assert len(recur_server.received) == 1


def test_get_is_retried_when_the_connection_drops(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(drop=True)
    recur_server.reply(200, CHECKOUT)
    assert client.checkout_sessions.retrieve("cs_1").id == "cs_1"
    assert len(recur_server.received) == 2


def test_get_is_retried_on_503_then_succeeds(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(503, {"error": {"code": "unavailable", "message": "later"}})
    recur_server.reply(200, CHECKOUT)
    assert client.checkout_sessions.retrieve("cs_1").id == "cs_1"
    assert len(recur_server.received) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_get_patch_delete_are_retried_on_retryable_statuses(make_client, recur_server, status):
    client = make_client(max_retries=1)
    link = {"id": "pl_1", "active": True}
    for call in (
        lambda: client.payment_links.retrieve("pl_1"),
        lambda: client.payment_links.update("pl_1", active=False),
        lambda: client.payment_links.delete("pl_1"),
    ):
        recur_server.received.clear()
        recur_server.reply(status, {"error": {"code": "x", "message": "x"}})
        recur_server.reply(200, link)
        call()
        assert len(recur_server.received) == 2


def test_get_is_not_retried_on_500(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(500, {"error": {"code": "internal_error", "message": "boom"}})
    with pytest.raises(APIError):
        client.products.list()
    assert len(recur_server.received) == 1


def test_max_retries_is_respected(make_client, recur_server, sleeps):
    client = make_client(max_retries=2)
    recur_server.reply(503, {"error": {"code": "unavailable", "message": "down"}}, times=5)
    with pytest.raises(APIError) as info:
        client.products.list()
    assert info.value.status == 503
    assert len(recur_server.received) == 3
    assert len(sleeps) == 2


def test_zero_retries_means_one_attempt(make_client, recur_server, sleeps):
    client = make_client(max_retries=0)
    recur_server.reply(429, {"error": {"code": "rate_limited", "message": "x"}}, times=2)
    with pytest.raises(RateLimitError):
        client.products.list()
    assert len(recur_server.received) == 1
    assert sleeps == []


def test_backoff_is_exponential_with_full_jitter(make_client, recur_server, sleeps, monkeypatch):
    monkeypatch.setattr("recur_django.client.transport.random.uniform", lambda lo, hi: hi)
    client = make_client(max_retries=4, max_retry_wait=3.0)
    recur_server.reply(503, {}, times=4)
    recur_server.reply(200, {"products": []})
    client.products.list()
    assert sleeps == [0.5, 1.0, 2.0, 3.0]  # doubling, capped by max_retry_wait


def test_jitter_draws_between_zero_and_the_ceiling(make_client, recur_server, sleeps, monkeypatch):
    bounds: list[tuple[float, float]] = []

    def uniform(lo: float, hi: float) -> float:
        bounds.append((lo, hi))
        return lo

    monkeypatch.setattr("recur_django.client.transport.random.uniform", uniform)
    client = make_client(max_retries=2)
    recur_server.reply(503, {}, times=2)
    recur_server.reply(200, {"products": []})
    client.products.list()
    assert bounds == [(0, 0.5), (0, 1.0)]
    assert sleeps == []  # a zero wait does not sleep


# -- Retry-After ----------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(make_client, recur_server, sleeps):
    client = make_client(max_retries=1, max_retry_wait=10.0)
    recur_server.reply(429, {"error": {}}, headers={"Retry-After": "4"})
    recur_server.reply(200, CHECKOUT)
    create_session(client)
    assert sleeps == [4.0]


def test_retry_after_is_capped_by_max_retry_wait(make_client, recur_server, sleeps):
    client = make_client(max_retries=1, max_retry_wait=2.5)
    recur_server.reply(503, {"error": {}}, headers={"Retry-After": "3600"})
    recur_server.reply(200, {"products": []})
    client.products.list()
    assert sleeps == [2.5]


def test_retry_after_http_date_is_honoured(make_client, recur_server, sleeps):
    client = make_client(max_retries=1, max_retry_wait=30.0)
    when = formatdate(time.time() + 20, usegmt=True)
    recur_server.reply(429, {"error": {}}, headers={"Retry-After": when})
    recur_server.reply(200, {"products": []})
    client.products.list()
    assert len(sleeps) == 1
    assert 17.0 <= sleeps[0] <= 20.0


def test_rate_limit_error_reports_retry_after(make_client, recur_server):
    client = make_client(max_retries=0)
    recur_server.reply(429, {"error": {"code": "rate_limited"}}, headers={"Retry-After": "7"})
    with pytest.raises(RateLimitError) as info:
        client.products.list()
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0", 0.0), ("-3", 0.0), ("1.5", 1.5), ("soon", None), ("", None), (None, None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_date_in_the_past_is_zero():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


# -- timeouts -------------------------------------------------------------------------


def test_read_timeout_applies_to_every_call(make_client, recur_server):
    client = make_client(timeout=(1.0, 0.2), max_retries=0)
    recur_server.reply(200, {"products": []}, delay=3.0)
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        client.products.list()
    assert time.monotonic() - started < 1.5
    assert info.value.code == "read_timeout"


def test_hanging_get_is_retried_then_gives_up_quickly(make_client, recur_server, sleeps):
    client = make_client(timeout=(1.0, 0.2), max_retries=1)
    recur_server.reply(200, {}, delay=3.0, times=2)
    started = time.monotonic()
    with pytest.raises(APIConnectionError):
        client.checkout_sessions.retrieve("cs_1")
    assert time.monotonic() - started < 2.0
    assert len(recur_server.received) == 2


def test_timeout_tuple_is_passed_to_requests(monkeypatch):
    seen: list[Any] = []
    client = RecurClient(SECRET, base_url="https://api.test", timeout=(1.5, 7.0))
    client._transport.sleep = lambda _s: None

    def fake_request(method: str, url: str, **kwargs: Any) -> Any:
        seen.append(kwargs["timeout"])
        raise requests.ConnectionError("nope")

    monkeypatch.setattr(client._transport.session, "request", fake_request)
    with pytest.raises(APIConnectionError):
        client.products.list()
    assert seen and all(t == (1.5, 7.0) for t in seen)


def test_a_single_number_timeout_is_used_for_both(monkeypatch):
    client = RecurClient(SECRET, timeout=3)
    assert client.timeout == (3.0, 3.0)


# -- logging and redaction ------------------------------------------------------------


def test_requests_are_logged_at_debug_without_secrets_or_bodies(client, recur_server, caplog):
    caplog.set_level(logging.DEBUG, logger="recur_django.client")
    recur_server.reply(200, CHECKOUT)
    create_session(client, customer_email="buyer@example.com")
    lines = [r.getMessage() for r in caplog.records if r.name == "recur_django.client"]
    assert any(
        "POST /v1/checkout/sessions -> 200 (attempt 1," in line and "ms)" in line for line in lines
    )
    text = "\n".join(lines)
    assert SECRET not in text
    assert "buyer@example.com" not in text
    assert "Bearer" not in text


def test_retries_log_each_attempt(make_client, recur_server, caplog):
    caplog.set_level(logging.DEBUG, logger="recur_django.client")
    client = make_client(max_retries=1)
    recur_server.reply(503, {})
    recur_server.reply(200, {"products": []})
    client.products.list()
    text = caplog.text
    assert "GET /v1/products -> 503 (attempt 1" in text
    assert "GET /v1/products -> 200 (attempt 2" in text
    assert SECRET not in text


def test_secret_key_is_redacted_from_error_messages(make_client, recur_server):
    client = make_client(max_retries=0)
    recur_server.reply(401, {"error": {"code": "unauthorized", "message": f"bad key {SECRET}"}})
    with pytest.raises(Exception) as info:
        client.products.list()
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert "sk_test_…9f3c" in str(info.value)


def test_secret_key_is_redacted_from_connection_errors(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(base_url=f"http://127.0.0.1:{unused_port()}", max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        client.products.list()
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert SECRET not in caplog.text


def test_repr_redacts_the_key(client):
    text = repr(client)
    assert SECRET not in text
    assert "sk_test_…9f3c" in text
    assert SECRET not in repr(vars(client))


def test_close_and_context_manager(recur_server):
    with RecurClient(SECRET, base_url=recur_server.url) as client:
        recur_server.reply(200, {"products": []})
        assert client.products.list() == []
    closed: list[bool] = []
    client._transport.session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    client.close()
    assert closed == [True]


def test_server_fixture_is_http11_keep_alive(recur_server: FakeRecur):
    with requests.Session() as session:
        session.get(recur_server.url + "/v1/products")
        response = session.get(recur_server.url + "/v1/products")
    assert response.raw.version == 11


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [{"when": object()}, {"ratio": float("nan")}])
def test_unserialisable_body_is_a_clear_error_before_sending(client, recur_server, metadata):
    from recur_django.client import InvalidRequestError

    with pytest.raises(InvalidRequestError) as info:
        create_session(client, metadata=metadata)
    assert info.value.code == "invalid_body"
    assert recur_server.received == []


@pytest.mark.parametrize("key", ["", "ключ", "a\nb", "x" * 256])
def test_bad_idempotency_key_is_rejected_before_sending(client, recur_server, key):
    from recur_django.client import InvalidRequestError

    with pytest.raises(InvalidRequestError) as info:
        create_session(client, idempotency_key=key)
    assert info.value.code == "invalid_idempotency_key"
    assert recur_server.received == []


def test_non_ascii_body_is_sent_as_utf8(client, recur_server):
    recur_server.reply(200, CHECKOUT)
    create_session(client, customer_name="王小明")
    assert recur_server.last.json["customerName"] == "王小明"
