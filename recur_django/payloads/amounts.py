"""The one reader of a money amount, for checkout, fulfilment and the ledger alike.

Recur sends whole TWD. An amount is absent (``None``: not sent, or ``null``) or a whole,
non-negative number the ledger's 64-bit columns hold — an ``int``, a whole ``float``
(``290.0``) or a string of ASCII digits (``"290"``). Anything else is **malformed** and
raises ``ValueError``: ``"abc"``, ``""``, ``true``, ``-5``, ``1.5``, ``10**30``, ``NaN``, a
list. Callers decide what each means: a malformed amount is refused (the event is stored
failed, not retried), an absent one is confirmed with Recur. What a promotion code took
off (:func:`parse_discount`) is read by the same rule.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_AMOUNT", "parse_amount", "parse_discount"]

#: The largest amount a ledger column (a signed 64-bit integer) holds.
MAX_AMOUNT = 2**63 - 1

_DIGITS = re.compile(r"[0-9]+")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_amount(value: Any) -> int | None:
    """A whole amount from 0 to :data:`MAX_AMOUNT`; ``None`` when none was sent.

    Raises ``ValueError`` (saying why) for a malformed amount.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"amount {_shown(value)} is not a whole number.")
    amount: int
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float) and value.is_integer():
        amount = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        amount = int(value.strip())
    elif isinstance(value, str) and value.strip().startswith("-"):
        raise ValueError(f"amount {_shown(value)} is negative.")
    else:
        raise ValueError(f"amount {_shown(value)} is not a whole number.")
    if amount < 0:
        raise ValueError(f"amount {_shown(value)} is negative.")
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount {_shown(value)} is larger than any amount Recur charges.")
    return amount


def parse_discount(value: Any) -> int:
    """What a promotion code took off a checkout: 0 when none was sent.

    Read by :func:`parse_amount`'s rule, so a malformed (or negative) discount raises
    ``ValueError`` like a malformed amount.
    """
    try:
        return parse_amount(value) or 0
    except ValueError as exc:
        raise ValueError(f"discount: {exc}") from None
