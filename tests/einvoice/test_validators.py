"""The four validators: a table of valid and invalid values, the 2023 UBN rule included."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from recur_django.einvoice.validators import (
    UBN_WEIGHTS,
    normalize,
    ubn_is_valid,
    validate_citizen_certificate,
    validate_love_code,
    validate_mobile_barcode,
    validate_ubn,
)


def old_rule(value: str) -> bool:
    """The pre-2023 rule (python-stdnum 2.2): divisible by 10."""
    total = 0
    for digit, weight in zip(value, UBN_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    return total % 10 == 0 or (value[6] == "7" and (total + 1) % 10 == 0)


VALID_UBNS = [
    "22099131",  # sum 30
    "53538851",  # ECPay's sandbox merchant
    "54352706",
    "04595257",
    "97162640",
    "10000004",  # sum 5: valid only under the 2023 rule
    "12345675",  # sum 39: valid only through the 7th-digit rule (39 + 1)
    "10000073",  # 7th digit 7, sum 14: 14 + 1 = 15, valid only under the 2023 rule
    " 22099131 ",  # surrounding spaces are stripped
]
INVALID_UBNS = [
    "12345678",  # sum 42
    "22099130",  # sum 29
    "2209913",  # 7 digits
    "220991311",  # 9 digits
    "2209913a",
    "\uff12\uff12\uff10\uff19\uff19\uff11\uff13\uff11",  # full-width digits
    "22 099131",
    "00000000",  # passes the sum, no one's number
    "",
    None,
    ["22099131"],
    True,
]


@pytest.mark.parametrize("value", VALID_UBNS)
def test_valid_ubns(value):
    validate_ubn(value)
    assert ubn_is_valid(normalize("ubn", value))


@pytest.mark.parametrize("value", INVALID_UBNS)
def test_invalid_ubns(value):
    with pytest.raises(ValidationError) as info:
        validate_ubn(value)
    assert info.value.code == "invalid_ubn"


@pytest.mark.parametrize("value", ["10000004", "10000073"])
def test_valid_only_under_the_2023_rule(value):
    validate_ubn(value)
    assert not old_rule(value)


def test_an_integer_ubn_from_json_is_accepted():
    validate_ubn(22099131)


@pytest.mark.parametrize(
    "value", ["/ABC+123", "/1234567", "/A.B-C+D", " /abc+123 ", "/ZZZZZZZ", "/.......", "/-+-+-+-"]
)
def test_valid_mobile_barcodes(value):
    validate_mobile_barcode(value)


@pytest.mark.parametrize(
    "value",
    ["ABC+1234", "/ABC+12", "/ABC+1234", "/ABC_123", "/ABC 123", "//ABC123", "", None, 1234567],
)
def test_invalid_mobile_barcodes(value):
    with pytest.raises(ValidationError) as info:
        validate_mobile_barcode(value)
    assert info.value.code == "invalid_mobile_barcode"


@pytest.mark.parametrize("value", ["AB12345678901234", "ab12345678901234", " ZZ00000000000000 "])
def test_valid_citizen_certificates(value):
    validate_citizen_certificate(value)


@pytest.mark.parametrize(
    "value", ["A123456789012345", "AB1234567890123", "AB123456789012345", "1212345678901234", ""]
)
def test_invalid_citizen_certificates(value):
    with pytest.raises(ValidationError) as info:
        validate_citizen_certificate(value)
    assert info.value.code == "invalid_citizen_certificate"


@pytest.mark.parametrize("value", ["123", "168001", "1234567", " 8585 ", 919])
def test_valid_love_codes(value):
    validate_love_code(value)


@pytest.mark.parametrize(
    "value", ["12", "12345678", "12a4", "", None, "\uff11\uff12\uff13"]
)  # full-width
def test_invalid_love_codes(value):
    with pytest.raises(ValidationError) as info:
        validate_love_code(value)
    assert info.value.code == "invalid_love_code"


def test_normalize_is_the_one_place_that_cleans():
    assert normalize("mobile_barcode", " /abc+123 ") == "/ABC+123"
    assert normalize("citizen_certificate", "ab12345678901234") == "AB12345678901234"
    assert normalize("ubn", " 22099131\n") == "22099131"
    assert normalize("love_code", 168001) == "168001"
    assert normalize("ubn", None) == ""
    assert normalize("ubn", ["x"]) == ""


def test_messages_are_translated():
    with translation.override("zh-hant"):
        with pytest.raises(ValidationError) as info:
            validate_ubn("12345678")
        assert "統一編號" in info.value.messages[0]
        assert "Enter" not in info.value.messages[0]
