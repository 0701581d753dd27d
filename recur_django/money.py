"""One way to show money: ``NT$2,990`` in every language.

TWD has no cents, so amounts are whole dollars with thousands separators and no decimal
places. Other currencies read ``1,000 USD``. Templates use the ``twd`` filter of
``{% load recur %}``, which wraps :func:`format_twd`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def format_twd(amount: Any, currency: str | None = "TWD") -> str:
    """``NT$2,990`` for TWD (the default), ``1,000 USD`` otherwise; ``""`` for no amount.

    The format does not depend on the active language. A value that is not a number is
    returned as text rather than raising, so a bad row never breaks a page.
    """
    if amount is None or amount == "":
        return ""
    try:
        number = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    if not number.is_finite():
        return str(amount)
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,}"
    code = (currency or "TWD").upper()
    if code == "TWD":
        return f"-NT${text[1:]}" if text.startswith("-") else f"NT${text}"
    return f"{text} {code}"
