"""ezPay (藍新) e-invoices: ``PostData_`` (AES-256-CBC, hex) over multipart POSTs.

``RECUR["EINVOICE"] = {"BACKEND": "recur_django.einvoice.backends.ezpay.EzPayBackend",
"OPTIONS": {"MERCHANT_ID", "HASH_KEY" (32 characters), "HASH_IV" (16), "API_BASE",
"TIMEOUT"}}``; ``API_BASE`` defaults to the test host ``https://cinv.ezpay.com.tw``
(production: ``https://inv.ezpay.com.tw``).

Endpoints: ``/Api/invoice_issue`` (1.5), ``/Api/invoice_search`` (1.3; by order number
and amount: pass ``amount`` to ``query``), ``/Api/invoice_invalid``, ``/Api/allowance_issue``
(1.3), ``/Api/allowanceInvalid``. The ``CheckCode`` of issue and search answers is verified
(a mismatch is an unverified answer: :class:`~recur_django.einvoice.errors.AnswerLost`);
the answers to voids and allowances carry a code over the invoice's fields that those
calls are not given, so their ``Status`` and numbers are what is checked. ezPay's search
does not report the remaining allowance (``remaining_allowance`` is None), and the
barcode and love-code checks are not offered (``None``). Field shapes follow ezPay's
public examples and adapters; check them against ezPay's current document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from recur_django.einvoice.backends import ezpay_wire
from recur_django.einvoice.backends.base import (
    INVOICE_NUMBER_PATTERN,
    AllowanceRequest,
    InvoiceItem,
    IssuedAllowance,
    IssuedInvoice,
    IssueRequest,
    ProviderInvoice,
    as_int,
    clean_reason,
)
from recur_django.einvoice.backends.http import KeyedHttpBackend
from recur_django.einvoice.choice import InvoiceKind
from recur_django.einvoice.errors import (
    AnswerLost,
    DuplicateReference,
    ProviderRefused,
)
from recur_django.einvoice.rules import TAX_RATE_PERCENT, tax_split

TEST_API_BASE = "https://cinv.ezpay.com.tw"
PRODUCTION_API_BASE = "https://inv.ezpay.com.tw"
SUCCESS = "SUCCESS"
DUPLICATE = "LIB10003"  # 商店自訂編號重覆
NOT_FOUND = "INV20006"  # 查無發票資料
CARRIER_TYPES = {InvoiceKind.MOBILE: "0", InvoiceKind.CERTIFICATE: "1", InvoiceKind.MEMBER: "2"}
REASON_MAX_LENGTH = 20
ANONYMOUS_BUYER = "消費者"  # B2C invoices need a buyer name; this is the customary one


class EzPayBackend(KeyedHttpBackend):
    """ezPay e-invoices. Options: ``MERCHANT_ID``, ``HASH_KEY`` (32 characters), ``HASH_IV``
    (16) (required), ``API_BASE`` (default: the test host), ``TIMEOUT`` (seconds)."""

    name = "ezpay"
    label = "ezPay"
    max_relate_number_length = 20
    key_lengths = (32, 16)
    test_api_base = TEST_API_BASE

    # -- operations -----------------------------------------------------------------------

    def issue(self, request: IssueRequest) -> IssuedInvoice:
        if len(request.relate_number) > self.max_relate_number_length:
            raise ValueError("ezPay takes relate numbers of at most 20 characters")
        choice, split = request.choice, request.tax
        b2b = choice.is_b2b
        kind = InvoiceKind(choice.kind)
        numbered = kind in (InvoiceKind.MOBILE, InvoiceKind.CERTIFICATE)
        fields = {
            **self._head("1.5"),
            "TransNum": "",
            "MerchantOrderNo": request.relate_number,
            "Status": "1",  # issue now
            "CreateStatusTime": "",
            "Category": "B2B" if b2b else "B2C",
            "BuyerName": choice.title[:60] if b2b else (choice.name or ANONYMOUS_BUYER)[:30],
            "BuyerUBN": choice.ubn if b2b else "",
            "BuyerAddress": choice.address if b2b else "",
            "BuyerEmail": choice.email,
            "CarrierType": CARRIER_TYPES.get(kind, ""),
            "CarrierNum": choice.carrier
            if numbered
            else (choice.email if kind == "member" else ""),
            "LoveCode": choice.love_code if choice.is_donation else "",
            "PrintFlag": "Y" if choice.is_printed else "N",
            "TaxType": "1",
            "TaxRate": str(TAX_RATE_PERCENT),
            "Amt": split.sales_amount,
            "TaxAmt": split.tax_amount,
            "TotalAmt": request.amount,
            # B2C prices are tax-inclusive; B2B prices are before tax
            **_item_fields(request.items, before_tax=b2b),
            "Comment": "",
        }
        try:
            result = self._call("/Api/invoice_issue", "invoice_issue", fields, verify=True)
        except ProviderRefused as exc:
            if exc.code == DUPLICATE:
                raise DuplicateReference(
                    exc.code, exc.message, relate_number=request.relate_number
                ) from None
            raise
        number = str(result.get("InvoiceNumber") or "")
        if not INVOICE_NUMBER_PATTERN.fullmatch(number):
            raise AnswerLost(
                "ezpay invoice_issue answered without an invoice number.", code="bad_answer"
            )
        return IssuedInvoice(
            number=number,
            random_number=str(result.get("RandomNum") or ""),
            issued_at=self._moment(result.get("CreateTime")),
            relate_number=request.relate_number,
            amount=request.amount,
            raw=result,
        )

    def query(self, relate_number: str, *, amount: int | None = None) -> ProviderInvoice | None:
        if amount is None:
            raise ValueError("ezPay searches by order number and amount: pass amount=")
        fields = {
            **self._head("1.3"),
            "SearchType": "1",
            "MerchantOrderNo": relate_number,
            "TotalAmt": amount,
            "InvoiceNumber": "",
            "RandomNum": "",
        }
        try:
            result = self._call("/Api/invoice_search", "invoice_search", fields, verify=True)
        except ProviderRefused as exc:
            if exc.code == NOT_FOUND:
                return None
            raise
        number = str(result.get("InvoiceNumber") or "")
        if not INVOICE_NUMBER_PATTERN.fullmatch(number):
            return None
        return ProviderInvoice(
            number=number,
            random_number=str(result.get("RandomNum") or ""),
            issued_at=self._moment(result.get("CreateTime")),
            relate_number=str(result.get("MerchantOrderNo") or relate_number),
            amount=as_int(result.get("TotalAmt"), amount),
            voided=str(result.get("InvoiceStatus") or "1") == "2",
            remaining_allowance=None,
            raw=result,
        )

    def void(self, number: str, issued_at: datetime, reason: str) -> None:
        fields = {
            **self._head("1.0"),
            "InvoiceNumber": number,
            "InvalidReason": clean_reason(reason, REASON_MAX_LENGTH),
        }
        self._call("/Api/invoice_invalid", "invoice_invalid", fields)

    def allowance(self, request: AllowanceRequest) -> IssuedAllowance:
        lines = _item_fields(request.items, before_tax=True)
        taxes = [tax_split(item.amount).tax_amount for item in request.items]
        taxes[-1] += request.tax.tax_amount - sum(taxes)  # the lines' taxes add up
        fields = {
            **self._head("1.3"),
            "InvoiceNo": request.invoice_number,
            "MerchantOrderNo": request.relate_number,
            **lines,
            "ItemTaxAmt": "|".join(str(tax) for tax in taxes),
            "TotalAmt": request.amount,
            "BuyerEmail": request.email,
            "Status": "1",  # confirmed now
        }
        result = self._call("/Api/allowance_issue", "allowance_issue", fields)
        number = str(result.get("AllowanceNo") or "")
        if not number:
            raise AnswerLost(
                "ezpay allowance_issue answered without an allowance number.", code="bad_answer"
            )
        remaining = result.get("RemainAmt")
        return IssuedAllowance(
            number=number,
            invoice_number=str(result.get("InvoiceNumber") or request.invoice_number),
            amount=as_int(result.get("AllowanceAmt"), request.amount),
            issued_at=self._moment(result.get("CreateTime")),
            remaining=None if remaining in (None, "") else as_int(remaining, 0),
            raw=result,
        )

    def void_allowance(self, invoice_number: str, allowance_number: str, reason: str) -> None:
        fields = {
            **self._head("1.0"),
            "AllowanceNo": allowance_number,
            "InvalidReason": clean_reason(reason, REASON_MAX_LENGTH),
        }
        self._call("/Api/allowanceInvalid", "allowanceInvalid", fields)

    # -- the wire -------------------------------------------------------------------------

    def _head(self, version: str) -> dict[str, Any]:
        return {"RespondType": "JSON", "Version": version, "TimeStamp": int(self._clock())}

    def _call(
        self, path: str, operation: str, fields: Mapping[str, Any], *, verify: bool = False
    ) -> dict[str, Any]:
        post_data = ezpay_wire.encrypt_post_data(fields, self._key, self._iv)
        response = self.http.post(
            path, operation=operation, form={"MerchantID_": self._merchant, "PostData_": post_data}
        )
        try:
            answer = json.loads(response.content)
            if not isinstance(answer, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise AnswerLost(
                f"ezpay {operation}: the answer is not JSON; the request may have been "
                "carried out.",
                code="bad_answer",
            ) from None
        status = str(answer.get("Status") or "")
        message = self.http.scrub(str(answer.get("Message") or ""))
        if status != SUCCESS:
            raise ProviderRefused(status or "unknown", f"ezpay {operation}: {message or status}")
        result = _result(answer.get("Result"))
        if result is None:
            raise AnswerLost(
                f"ezpay {operation}: the answer has no readable Result.", code="bad_answer"
            )
        if verify and not ezpay_wire.check_code_matches(result, self._key, self._iv):
            raise AnswerLost(
                f"ezpay {operation}: the answer's CheckCode does not verify; it is not trusted.",
                code="bad_check_code",
            )
        return {key: self.http.scrub(v) if isinstance(v, str) else v for key, v in result.items()}


def _item_fields(items: tuple[InvoiceItem, ...], *, before_tax: bool) -> dict[str, str]:
    """The pipe-separated item fields; before tax, each line's share of the total's sales
    amount (the last line takes the rounding)."""
    amounts = [item.amount for item in items]
    if before_tax:
        amounts = [tax_split(amount).sales_amount for amount in amounts]
        amounts[-1] += tax_split(sum(item.amount for item in items)).sales_amount - sum(amounts)
    return {
        "ItemName": "|".join(item.name.replace("|", "/")[:30] for item in items),
        "ItemCount": "|".join(str(item.count) for item in items),
        "ItemUnit": "|".join(item.unit.replace("|", "/")[:6] for item in items),
        "ItemPrice": "|".join(
            _price(amount, item.count) for amount, item in zip(amounts, items, strict=True)
        ),
        "ItemAmt": "|".join(str(amount) for amount in amounts),
    }


def _price(amount: int, count: int) -> str:
    """The unit price of a line: whole TWD when the count divides it, else 2 decimals."""
    if amount % count == 0:
        return str(amount // count)
    return f"{amount / count:.2f}"


def _result(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) else None
