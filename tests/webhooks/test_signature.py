"""verify_signature / compute_signature against the documented test vector (recur-api.md §8.3)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recur_django.webhooks.signature import SignatureError, compute_signature, verify_signature

SECRET = "whsec_test_secret"
BODY = (
    b'{"id":"evt_test_1","type":"checkout.completed",'
    b'"timestamp":"2025-01-15T10:30:00.000Z","data":{"id":"chk_test_1"}}'
)
B64 = "IO9AC6ah94xN1bbQSLo3b/1k54WG222rO8dvLUlVYVM="
HEX = "20ef400ba6a1f78c4dd5b6d048ba376ffd64e78586db6dab3bc76f2d49556153"


def test_compute_matches_documented_vector() -> None:
    assert compute_signature(BODY, SECRET) == B64
    assert compute_signature(BODY, SECRET, "hex") == HEX


@pytest.mark.parametrize(
    "header",
    [B64, HEX, HEX.upper(), f"sha256={HEX}", f"sha256={B64}", f"  {B64}  "],
)
def test_accepts_every_documented_form(header: str) -> None:
    verify_signature(BODY, {"X-Recur-Signature": header}, [SECRET])


def test_header_name_is_case_insensitive() -> None:
    verify_signature(BODY, {"x-recur-signature": B64}, [SECRET])


def test_rotation_accepts_old_and_new_secret() -> None:
    old = compute_signature(BODY, "whsec_old")
    new = compute_signature(BODY, "whsec_new")
    for header in (old, new):
        verify_signature(BODY, {"X-Recur-Signature": header}, ["whsec_new", "whsec_old"])
    with pytest.raises(SignatureError):
        verify_signature(BODY, {"X-Recur-Signature": old}, ["whsec_new"])


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"X-Recur-Signature": ""}, "missing"),
        ({"X-Recur-Signature": "not base64 !!"}, "neither hex nor Base64"),
        ({"X-Recur-Signature": "YWJj"}, "wrong length"),
        ({"X-Recur-Signature": "A" * 600}, "too long"),
        ({"X-Recur-Signature": compute_signature(BODY + b" ", SECRET)}, "does not match"),
        ({"X-Recur-Signature": "é" * 44}, "neither hex nor Base64"),
    ],
)
def test_rejects_bad_headers(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_signature(BODY, headers, [SECRET])


def test_no_secret_fails_closed() -> None:
    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_signature(BODY, {"X-Recur-Signature": B64}, [])


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(SignatureError):
        tampered = BODY.replace(b"chk_test_1", b"chk_test_2")
        verify_signature(tampered, {"X-Recur-Signature": B64}, [SECRET])


@given(st.text(max_size=200))
def test_any_header_value_raises_only_signature_error(value: str) -> None:
    with contextlib.suppress(SignatureError):
        verify_signature(BODY, {"X-Recur-Signature": value}, [SECRET])
