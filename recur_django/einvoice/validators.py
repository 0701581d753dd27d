"""Validators of what a buyer types for a uniform invoice.

Each raises :class:`django.core.exceptions.ValidationError` with a translatable message
and a ``code``; form and serializer fields use them as they are. Every one normalises its
input first through :func:`normalize` (the one place that strips and upper-cases), so
``" /abc+123 "`` is a valid mobile barcode and ``normalize("mobile_barcode", value)``
gives the form to store and send (``"/ABC+123"``).

- :func:`validate_ubn`: the 統一編號, 8 digits under the rule in force since 2023-04-01
  (weighted digit sum divisible by **5**, or sum + 1 when the 7th digit is 7). Numbers
  issued since then may fail the old divisible-by-10 rule that python-stdnum still uses.
- :func:`validate_mobile_barcode`: 手機條碼, ``/`` + 7 of ``0-9 A-Z . + -``.
- :func:`validate_citizen_certificate`: 自然人憑證, 2 capital letters + 14 digits.
- :func:`validate_love_code`: 愛心碼 of a charity, 3 to 7 digits.

They check the format only; whether a barcode or love code exists is the provider's to
say (``backend.check_barcode``), and that check is never a hard gate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

Field = Literal["ubn", "mobile_barcode", "citizen_certificate", "love_code"]

#: Weights of the 8 UBN digits.
UBN_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)

UBN_PATTERN = re.compile(r"[0-9]{8}")
MOBILE_BARCODE_PATTERN = re.compile(r"/[0-9A-Z.+\-]{7}")
CITIZEN_CERTIFICATE_PATTERN = re.compile(r"[A-Z]{2}[0-9]{14}")
LOVE_CODE_PATTERN = re.compile(r"[0-9]{3,7}")

_UPPER: frozenset[str] = frozenset({"mobile_barcode", "citizen_certificate"})


def normalize(field: Field, value: Any) -> str:
    """``value`` as stored and sent: text, surrounding whitespace removed, and upper case
    for a mobile barcode or a citizen certificate. ``None`` becomes ``""``; an integer
    (a JSON client's UBN or love code) becomes its digits."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""  # not text: fails every format below
    text = value.strip()
    return text.upper() if field in _UPPER else text


def ubn_is_valid(value: str) -> bool:
    """The 2023 checksum of an 8-digit UBN (no normalisation; False for other input)."""
    if not isinstance(value, str) or not UBN_PATTERN.fullmatch(value) or value == "00000000":
        return False  # all zeros passes the sum but is no one's number
    total = 0
    for digit, weight in zip(value, UBN_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    # 7 x 4 = 28 -> 2 + 8 = 10: that digit may count as 1 or 0, hence "sum + 1".
    return total % 5 == 0 or (value[6] == "7" and (total + 1) % 5 == 0)


def validate_ubn(value: Any) -> None:
    """A 統一編號: 8 digits with a valid check under the 2023 rule."""
    if not ubn_is_valid(normalize("ubn", value)):
        raise ValidationError(
            _(
                "Enter a valid unified business number (統一編號): 8 digits with a valid "
                "check digit."
            ),
            code="invalid_ubn",
        )


def validate_mobile_barcode(value: Any) -> None:
    """A 手機條碼: ``/`` followed by 7 of ``0-9 A-Z . + -``."""
    if not MOBILE_BARCODE_PATTERN.fullmatch(normalize("mobile_barcode", value)):
        raise ValidationError(
            _(
                "Enter a valid mobile barcode: “/” followed by 7 characters from 0-9, A-Z, "
                "“.”, “+” and “-”."
            ),
            code="invalid_mobile_barcode",
        )


def validate_citizen_certificate(value: Any) -> None:
    """A 自然人憑證 number: 2 capital letters and 14 digits."""
    if not CITIZEN_CERTIFICATE_PATTERN.fullmatch(normalize("citizen_certificate", value)):
        raise ValidationError(
            _("Enter a valid citizen digital certificate number: 2 capital letters and 14 digits."),
            code="invalid_citizen_certificate",
        )


def validate_love_code(value: Any) -> None:
    """A 愛心碼 (a charity's donation code): 3 to 7 digits."""
    if not LOVE_CODE_PATTERN.fullmatch(normalize("love_code", value)):
        raise ValidationError(
            _("Enter a valid love code: 3 to 7 digits."), code="invalid_love_code"
        )
