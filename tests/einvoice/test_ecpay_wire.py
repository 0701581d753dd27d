"""ECPay's codec: the documented test vector, envelopes, and what does not decode."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from recur_django.einvoice.backends import ecpay_wire
from tests.einvoice.conftest import HASH_IV, HASH_KEY, MERCHANT_ID

# ECPay's developer documentation, "encryption method": the sandbox key and IV encrypt
# {"Name":"Test","ID":"A123456789"} (URL-encoded with upper-case %XX) to this.
VECTOR_PLAIN = {"Name": "Test", "ID": "A123456789"}
VECTOR_UPPER = (
    "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
)
VECTOR_LOWER = (
    "ZD/z07UvdmL3aYz0tsVo+bFXF5VldNcns6ezyfea777KOmLiizrUNDYe+v1bh2QTT4AySf1NICgXxWXB6f7c6A=="
)


def test_encrypt_matches_ecpays_documented_vector():
    assert ecpay_wire.encrypt(VECTOR_PLAIN, HASH_KEY, HASH_IV) == VECTOR_UPPER


@pytest.mark.parametrize("sealed", [VECTOR_UPPER, VECTOR_LOWER])
def test_decrypt_reads_both_percent_casings(sealed):
    assert ecpay_wire.decrypt(sealed, HASH_KEY, HASH_IV) == VECTOR_PLAIN


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.one_of(st.text(max_size=50), st.integers(), st.booleans(), st.none()),
        max_size=8,
    )
)
def test_round_trip_any_json_object(data):
    assert (
        ecpay_wire.decrypt(ecpay_wire.encrypt(data, HASH_KEY, HASH_IV), HASH_KEY, HASH_IV) == data
    )


def test_spaces_plus_signs_and_chinese_survive():
    data = {"CarrierNum": "/ABC+123", "CustomerName": "王 大明", "ItemName": "方案 100%"}
    sealed = ecpay_wire.encrypt(data, HASH_KEY, HASH_IV)
    assert ecpay_wire.decrypt(sealed, HASH_KEY, HASH_IV) == data


def test_request_and_answer_envelopes():
    request = ecpay_wire.request_envelope(
        MERCHANT_ID, {"A": 1}, HASH_KEY, HASH_IV, timestamp=1700000000
    )
    assert request["MerchantID"] == MERCHANT_ID
    assert request["RqHeader"] == {"Timestamp": 1700000000, "Revision": "3.0.0"}
    assert ecpay_wire.decrypt(request["Data"], HASH_KEY, HASH_IV) == {"A": 1}
    answer = ecpay_wire.answer_envelope(
        MERCHANT_ID, None, HASH_KEY, HASH_IV, timestamp=1, trans_code=999, trans_msg="x"
    )
    assert (answer["TransCode"], answer["TransMsg"], answer["Data"]) == (999, "x", "")
    assert ecpay_wire.read_envelope(json.dumps(request).encode()) == request


@pytest.mark.parametrize(
    "sealed",
    [
        "",
        "not base64!",
        "AAAA",  # not whole blocks
        ecpay_wire.encrypt({"a": 1}, "0123456789abcdef", HASH_IV),  # another key
    ],
)
def test_what_does_not_decrypt_is_a_wire_error(sealed):
    with pytest.raises(ecpay_wire.WireError):
        ecpay_wire.decrypt(sealed, HASH_KEY, HASH_IV)


def seal(plain: bytes) -> str:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(HASH_KEY.encode()), modes.CBC(HASH_IV.encode())).encryptor()
    padded = padder.update(plain) + padder.finalize()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


@pytest.mark.parametrize("plain", [b"%5B1%2C2%5D", b"not json", b"\xff\xfe"])
def test_what_is_not_a_json_object_is_a_wire_error(plain):
    with pytest.raises(ecpay_wire.WireError):
        ecpay_wire.decrypt(seal(plain), HASH_KEY, HASH_IV)


def test_envelopes_that_are_not_objects():
    with pytest.raises(ecpay_wire.WireError):
        ecpay_wire.read_envelope(b"[1, 2]")
    with pytest.raises(ecpay_wire.WireError):
        ecpay_wire.read_envelope(b"<html>")


def test_keys_must_be_16_characters():
    with pytest.raises(ValueError):
        ecpay_wire.encrypt({}, "short", HASH_IV)
