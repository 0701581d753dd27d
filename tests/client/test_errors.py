"""HTTP error responses map onto the RecurError hierarchy, whatever the body looks like."""

from __future__ import annotations

import pytest

from recur_django.client import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RecurError,
)


@pytest.fixture
def client(make_client):
    return make_client(max_retries=0)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, APIError),
        (422, InvalidRequestError),
        (429, RateLimitError),
        (500, APIError),
        (502, APIError),
        (503, APIError),
        (418, APIError),
    ],
)
def test_status_maps_to_exception_with_documented_envelope(client, recur_server, status, cls):
    recur_server.reply(
        status,
        {"error": {"type": "invalid_request_error", "code": "some_code", "message": "Nope."}},
        headers={"X-Request-Id": "req_123"},
    )
    with pytest.raises(cls) as info:
        client.products.list()
    err = info.value
    assert type(err) is cls
    assert isinstance(err, RecurError)
    assert (err.status, err.code, err.message) == (status, "some_code", "Nope.")
    assert err.error_type == "invalid_request_error"
    assert err.request_id == "req_123"
    assert str(err) == f"[{status} some_code] Nope. (request id req_123)"


def test_flat_error_shape(client, recur_server):
    recur_server.reply(400, {"error": "PRODUCT_NOT_FOUND", "message": "No such product"})
    with pytest.raises(InvalidRequestError) as info:
        client.products.list()
    assert info.value.code == "PRODUCT_NOT_FOUND"
    assert info.value.message == "No such product"


def test_flat_error_shape_with_details_only(client, recur_server):
    recur_server.reply(400, {"error": "BAD", "details": "productId is required"})
    with pytest.raises(InvalidRequestError) as info:
        client.products.list()
    assert info.value.message == "productId is required"


def test_error_without_code_gets_one_from_the_status(client, recur_server):
    recur_server.reply(404, {"error": {"message": "gone"}})
    with pytest.raises(NotFoundError) as info:
        client.products.list()
    assert info.value.code == "resource_not_found"
    assert info.value.message == "gone"


def test_empty_body(client, recur_server):
    recur_server.reply(500, body=b"")
    with pytest.raises(APIError) as info:
        client.products.list()
    assert info.value.status == 500
    assert info.value.code == "api_error"
    assert "empty body" in info.value.message


def test_plain_text_body_is_quoted(client, recur_server):
    recur_server.reply(502, body="upstream connect error", headers={"Content-Type": "text/plain"})
    with pytest.raises(APIError) as info:
        client.products.list()
    assert info.value.status == 502
    assert "upstream connect error" in info.value.message


def test_html_body_is_not_dumped_into_the_message(client, recur_server):
    html = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    recur_server.reply(502, body=html, headers={"Content-Type": "text/html"})
    with pytest.raises(APIError) as info:
        client.products.list()
    assert "<html>" not in info.value.message
    assert "HTTP 502" in info.value.message
    assert len(str(info.value)) < 300


def test_json_that_is_not_an_object(client, recur_server):
    recur_server.reply(400, ["unexpected"])
    with pytest.raises(InvalidRequestError) as info:
        client.products.list()
    assert info.value.code == "invalid_request"


def test_error_object_with_wrong_types(client, recur_server):
    recur_server.reply(403, {"error": {"code": 17, "message": {"nested": True}, "type": None}})
    with pytest.raises(PermissionDeniedError) as info:
        client.products.list()
    assert info.value.code == "17"
    assert "HTTP 403" in info.value.message


def test_request_id_from_the_body(client, recur_server):
    recur_server.reply(400, {"error": {"code": "x", "message": "y", "request_id": "req_9"}})
    with pytest.raises(InvalidRequestError) as info:
        client.products.list()
    assert info.value.request_id == "req_9"


def test_success_with_non_json_body_is_an_api_error(client, recur_server):
    recur_server.reply(200, body="<html>maintenance</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(APIError) as info:
        client.checkout_sessions.retrieve("cs_1")
    assert info.value.code == "invalid_response"
    assert info.value.status == 200


def test_success_without_an_id_is_an_api_error(client, recur_server):
    recur_server.reply(200, {"url": "https://checkout.recur.tw/x"})
    with pytest.raises(APIError) as info:
        client.checkout_sessions.retrieve("cs_1")
    assert info.value.code == "invalid_response"


def test_connection_error_has_no_status(make_client):
    from tests.client.conftest import unused_port

    client = make_client(base_url=f"http://127.0.0.1:{unused_port()}", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        client.products.list()
    assert info.value.status is None
    assert isinstance(info.value, RecurError)


def test_str_without_status_or_code():
    assert str(RecurError("plain")) == "plain"
    assert str(InvalidRequestError("m", code="c")) == "[c] m"
    assert repr(NotFoundError("m", status=404, code="x")) == (
        "NotFoundError(status=404, code='x', message='m')"
    )
