"""ECPay (綠界) B2C e-invoices, API revision 3.0 (the AES-128-CBC JSON wire).

``RECUR["EINVOICE"] = {"BACKEND": "recur_django.einvoice.backends.ecpay.ECPayBackend",
"OPTIONS": {"MERCHANT_ID", "HASH_KEY", "HASH_IV", "API_BASE", "TIMEOUT"}}``; ``API_BASE``
defaults to the stage host ``https://einvoice-stage.ecpay.com.tw`` (production:
``https://einvoice.ecpay.com.tw``; the emulator: ``<mount>/einvoice``).

Operations: ``Issue``, ``GetIssue`` (by ``RelateNumber``: the lost-answer rule),
``Invalid``, ``Allowance``, ``AllowanceInvalid``, ``CheckBarcode``, ``CheckLoveCode``. A lost
allowance answer is resolved through ``GetIssue``'s ``IIS_Remain_Allowance_Amt`` (see
:mod:`.base`). ECPay's ``RtnCode`` list lives in its merchant dashboard only: a refused
``Issue`` whose message speaks of a duplicate is a ``DuplicateReference``; ``GetIssue``'s
``1600003`` (or a "查無…" / "not found" message) means no such invoice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from recur_django.einvoice.backends import ecpay_wire
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
from recur_django.einvoice.choice import InvoiceChoice, InvoiceKind
from recur_django.einvoice.errors import (
    AnswerLost,
    DuplicateReference,
    ProviderRefused,
)
from recur_django.einvoice.rules import taipei_date

logger = logging.getLogger("recur_django.einvoice")

STAGE_API_BASE = "https://einvoice-stage.ecpay.com.tw"
PRODUCTION_API_BASE = "https://einvoice.ecpay.com.tw"
#: ECPay's public sandbox merchants (MerchantID 2000132 is the B2C e-invoice one).
SANDBOX_MERCHANT_IDS = frozenset({"2000132", "2000933", "3002599", "3002607"})
SANDBOX_HASH_KEYS = frozenset({"ejCk326UnaZWKisg"})

SUCCESS = 1
NOT_FOUND = "1600003"  # GetIssue: 查無發票資料
#: A refusal of Issue whose message says the RelateNumber was used (ECPay publishes its
#: codes only in the merchant dashboard, so the message decides).
DUPLICATE_MESSAGE = re.compile(r"重複|重覆|已存在|已使用|duplicat|already (exist|used)", re.I)
#: A refusal of GetIssue that means "no such invoice".
NOT_FOUND_MESSAGE = re.compile(r"查無|不存在|not found|no such|does not exist", re.I)
CARRIER_TYPES = {
    InvoiceKind.MEMBER: "1",
    InvoiceKind.CERTIFICATE: "2",
    InvoiceKind.MOBILE: "3",
}
REASON_MAX_LENGTH = 20


class ECPayBackend(KeyedHttpBackend):
    """ECPay B2C e-invoices (rev 3.0). Options: ``MERCHANT_ID``, ``HASH_KEY``, ``HASH_IV``
    (16 characters each; required), ``API_BASE`` (default: the stage host), ``TIMEOUT``
    (seconds)."""

    name = "ecpay"
    label = "ECPay"
    max_relate_number_length = 30
    key_lengths = (16, 16)
    test_api_base = STAGE_API_BASE

    @property
    def uses_test_credentials(self) -> bool:
        return self._merchant in SANDBOX_MERCHANT_IDS or self._key in SANDBOX_HASH_KEYS

    # -- the buyer's choice -------------------------------------------------------------

    def validate_choice(self, choice: InvoiceChoice) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if not choice.email:
            errors["invoice_kind"] = _(
                "ECPay sends the invoice by e-mail, and your account has no e-mail address."
            )
        if choice.is_b2b and not choice.address:
            errors["invoice_address"] = _(
                "ECPay prints company invoices: enter the address to print on it."
            )
        return errors

    # -- operations -----------------------------------------------------------------------

    def issue(self, request: IssueRequest) -> IssuedInvoice:
        choice = request.choice
        data = {
            "MerchantID": self._merchant,
            "RelateNumber": request.relate_number,
            "CustomerID": "",
            "CustomerIdentifier": choice.ubn if choice.is_b2b else "",
            "CustomerName": choice.title if choice.is_b2b else choice.name[:60],
            "CustomerAddr": choice.address if choice.is_b2b else "",
            "CustomerPhone": "",
            "CustomerEmail": choice.email,
            "ClearanceMark": "",
            "Print": "1" if choice.is_printed else "0",
            "Donation": "1" if choice.is_donation else "0",
            "LoveCode": choice.love_code if choice.is_donation else "",
            "CarrierType": CARRIER_TYPES.get(InvoiceKind(choice.kind), ""),
            "CarrierNum": choice.carrier if choice.kind in _NUMBERED_CARRIERS else "",
            "TaxType": "1",
            "SalesAmount": request.amount,
            "InvoiceRemark": "",
            "Items": _items(request.items),
            "InvType": "07",
            "vat": "1",
        }
        try:
            answer = self._call("Issue", data)
        except ProviderRefused as exc:
            if DUPLICATE_MESSAGE.search(exc.message):
                raise DuplicateReference(
                    exc.code, exc.message, relate_number=request.relate_number
                ) from None
            raise
        number = str(answer.get("InvoiceNo") or "")
        if not INVOICE_NUMBER_PATTERN.fullmatch(number):
            raise AnswerLost(
                f"ecpay Issue answered success without an invoice number ({number!r}).",
                code="bad_answer",
            )
        return IssuedInvoice(
            number=number,
            random_number=str(answer.get("RandomNumber") or ""),
            issued_at=self._moment(answer.get("InvoiceDate")),
            relate_number=request.relate_number,
            amount=request.amount,
            raw=answer,
        )

    def query(self, relate_number: str, *, amount: int | None = None) -> ProviderInvoice | None:
        try:
            answer = self._call(
                "GetIssue", {"MerchantID": self._merchant, "RelateNumber": relate_number}
            )
        except ProviderRefused as exc:
            if exc.code == NOT_FOUND or NOT_FOUND_MESSAGE.search(exc.message):
                return None
            raise
        number = str(answer.get("IIS_Number") or "")
        if not INVOICE_NUMBER_PATTERN.fullmatch(number):
            return None  # answered, but no invoice under this reference
        remaining = answer.get("IIS_Remain_Allowance_Amt")
        return ProviderInvoice(
            number=number,
            random_number=str(answer.get("IIS_Random_Number") or ""),
            issued_at=self._moment(answer.get("IIS_Create_Date")),
            relate_number=str(answer.get("IIS_Relate_Number") or relate_number),
            # IIS_Sales_Amount is before tax on a B2B invoice (IIS_Tax_Amount apart) and
            # tax-inclusive on a B2C one (IIS_Tax_Amount 0): their sum is the total.
            amount=as_int(answer.get("IIS_Sales_Amount")) + as_int(answer.get("IIS_Tax_Amount")),
            voided=str(answer.get("IIS_Invalid_Status") or "0") == "1",
            remaining_allowance=None if remaining in (None, "") else as_int(remaining),
            raw=answer,
        )

    def void(self, number: str, issued_at: datetime, reason: str) -> None:
        self._call(
            "Invalid",
            {
                "MerchantID": self._merchant,
                "InvoiceNo": number,
                "InvoiceDate": taipei_date(issued_at),
                "Reason": clean_reason(reason, REASON_MAX_LENGTH),
            },
        )

    def allowance(self, request: AllowanceRequest) -> IssuedAllowance:
        answer = self._call(
            "Allowance",
            {
                "MerchantID": self._merchant,
                "InvoiceNo": request.invoice_number,
                "InvoiceDate": taipei_date(request.invoice_issued_at),
                "AllowanceNotify": "E" if request.email else "N",
                "CustomerName": request.name[:60],
                "NotifyMail": request.email,
                "NotifyPhone": "",
                "AllowanceAmount": request.amount,
                "Items": _items(request.items),
            },
        )
        number = str(answer.get("IA_Allow_No") or "")
        if not number:
            raise AnswerLost(
                "ecpay Allowance answered success without an allowance number.", code="bad_answer"
            )
        remaining = answer.get("IA_Remain_Allowance_Amt")
        return IssuedAllowance(
            number=number,
            invoice_number=str(answer.get("IA_Invoice_No") or request.invoice_number),
            amount=request.amount,
            issued_at=self._moment(answer.get("IA_Date")),
            remaining=None if remaining in (None, "") else as_int(remaining),
            raw=answer,
        )

    def void_allowance(self, invoice_number: str, allowance_number: str, reason: str) -> None:
        self._call(
            "AllowanceInvalid",
            {
                "MerchantID": self._merchant,
                "InvoiceNo": invoice_number,
                "AllowanceNo": allowance_number,
                "Reason": clean_reason(reason, REASON_MAX_LENGTH),
            },
        )

    def check_barcode(self, code: str) -> bool | None:
        return self._exists("CheckBarcode", {"MerchantID": self._merchant, "BarCode": code})

    def check_love_code(self, code: str) -> bool | None:
        return self._exists("CheckLoveCode", {"MerchantID": self._merchant, "LoveCode": code})

    # -- the wire -------------------------------------------------------------------------

    def _exists(self, operation: str, data: dict[str, Any]) -> bool | None:
        try:
            answer = self._call(operation, data)
        except Exception as exc:  # never a hard gate: any failure means "cannot tell"
            logger.info("ecpay %s unavailable: %s", operation, exc)
            return None
        flag = str(answer.get("IsExist") or "").upper()
        return {"Y": True, "N": False}.get(flag)

    def _call(self, operation: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send ``data`` to ``operation``; the decrypted answer when ``RtnCode`` is 1."""
        body = ecpay_wire.request_envelope(
            self._merchant, data, self._key, self._iv, timestamp=int(self._clock())
        )
        response = self.http.post(f"/B2CInvoice/{operation}", operation=operation, json_body=body)
        try:
            envelope = ecpay_wire.read_envelope(response.content)
            trans_code = as_int(envelope.get("TransCode"), default=-1)
            if trans_code != SUCCESS:
                message = self.http.scrub(str(envelope.get("TransMsg") or "refused"))
                raise ProviderRefused(f"trans_{trans_code}", f"ecpay {operation}: {message}")
            answer = ecpay_wire.decrypt(str(envelope.get("Data") or ""), self._key, self._iv)
        except ecpay_wire.WireError as exc:
            raise AnswerLost(
                f"ecpay {operation}: the answer is unreadable ({exc}); the request may have "
                "been carried out.",
                code="bad_answer",
            ) from None
        answer = {key: _scrubbed(self.http.scrub, value) for key, value in answer.items()}
        code = as_int(answer.get("RtnCode"), default=-1)
        if code != SUCCESS:
            message = str(answer.get("RtnMsg") or "refused")
            logger.warning("ecpay %s refused: %s %s", operation, code, message)
            raise ProviderRefused(str(code), f"ecpay {operation}: {message}")
        return answer


_NUMBERED_CARRIERS = frozenset({InvoiceKind.MOBILE, InvoiceKind.CERTIFICATE})


def _items(items: tuple[InvoiceItem, ...]) -> list[dict[str, Any]]:
    return [
        {
            "ItemSeq": sequence,
            "ItemName": item.name[:100],
            "ItemCount": item.count,
            "ItemWord": item.unit[:6],
            "ItemPrice": item.unit_price,
            "ItemTaxType": "1",  # taxable
            "ItemAmount": item.amount,
        }
        for sequence, item in enumerate(items, start=1)
    ]


def _scrubbed(scrub: Callable[[str], str], value: Any) -> Any:
    return scrub(value) if isinstance(value, str) else value
