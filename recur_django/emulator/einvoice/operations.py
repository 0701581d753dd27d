"""The endpoint's operations: ECPay's B2C rules on the decrypted ``Data``, then the state.

Each handler takes the merchant id and the decrypted request and returns the answer's
fields (``RtnCode`` 1), or raises :class:`Refusal` (an ``RtnCode`` error with ECPay's
kind of message). ECPay's own code list lives in its merchant dashboard; the codes below
are the emulator's, grouped by cause (docs/emulator.md lists them).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recur_django.einvoice import validators
from recur_django.einvoice.rules import TAIPEI, can_void, period_of, taipei_date, tax_split
from recur_django.emulator import clock
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.einvoice import numbers
from recur_django.emulator.models import InvoiceAllowance, UniformInvoice

# RtnCode values of the emulator.
INVALID_FIELD = 1200001
DUPLICATE_RELATE_NUMBER = 1200002
NOT_FOUND = 1600003  # as ECPay answers GetIssue for an unknown invoice
ALREADY_VOIDED = 2000001
ALLOWANCES_STANDING = 2000002
PAST_VOID_DEADLINE = 2000003
OVER_REMAINING = 3000001
CHECK_UNAVAILABLE = 9000001

RELATE_NUMBER = re.compile(r"[A-Za-z0-9]{1,30}")
INVOICE_NUMBER = re.compile(r"[A-Z]{2}[0-9]{8}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(data: dict[str, Any], name: str, *, required: bool = False, limit: int = 200) -> str:
    value = data.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise Refusal(INVALID_FIELD, f"{name} 為必填 ({name} is required).")
    if len(text) > limit:
        raise Refusal(INVALID_FIELD, f"{name} 長度超過 {limit} ({name} is too long).")
    return text


def _amount(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refusal(INVALID_FIELD, f"{name} 格式錯誤 ({name} must be a number).")
    try:
        number = float(value)
    except ValueError:
        raise Refusal(INVALID_FIELD, f"{name} 格式錯誤 ({name} must be a number).") from None
    if number <= 0 or number != int(number):
        raise Refusal(INVALID_FIELD, f"{name} 需為正整數 ({name} must be a positive integer).")
    return int(number)


def _items(data: dict[str, Any], total: int, total_name: str) -> list[dict[str, Any]]:
    items = data.get("Items")
    if not isinstance(items, list) or not items:
        raise Refusal(INVALID_FIELD, "Items 為必填 (Items are required).")
    cleaned, added = [], 0.0
    for item in items:
        if not isinstance(item, dict):
            raise Refusal(INVALID_FIELD, "Items 格式錯誤 (each item is an object).")
        count, price, amount = (_number(item, k) for k in ("ItemCount", "ItemPrice", "ItemAmount"))
        if not str(item.get("ItemName") or "").strip() or count <= 0:
            raise Refusal(INVALID_FIELD, "商品名稱或數量錯誤 (ItemName, ItemCount).")
        if abs(count * price - amount) > 0.005:
            raise Refusal(
                INVALID_FIELD, "商品小計不等於數量乘以單價 (ItemAmount != count x price)."
            )
        added += amount
        cleaned.append(item)
    if abs(added - total) > 0.005:
        raise Refusal(INVALID_FIELD, f"商品合計與 {total_name} 不符 (items do not add up).")
    return cleaned


def _number(item: dict[str, Any], name: str) -> float:
    value = item.get(name)
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(name)
        return float(value)
    except ValueError:
        raise Refusal(INVALID_FIELD, f"商品{name}格式錯誤 (item {name} is not a number).") from None


def _check(validator: Any, value: str, message: str) -> None:
    try:
        validator(value)
    except ValidationError:
        raise Refusal(INVALID_FIELD, message) from None


# --- Issue -------------------------------------------------------------------------------


def issue(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    relate = _text(data, "RelateNumber", required=True, limit=50)
    if not RELATE_NUMBER.fullmatch(relate):
        raise Refusal(INVALID_FIELD, "RelateNumber 需為 30 字內英數字 (letters and digits, ≤ 30).")
    ubn = _text(data, "CustomerIdentifier", limit=8)
    name, address = _text(data, "CustomerName", limit=60), _text(data, "CustomerAddr", limit=100)
    email, phone = _text(data, "CustomerEmail", limit=200), _text(data, "CustomerPhone", limit=20)
    printed, donated = _text(data, "Print") == "1", _text(data, "Donation") == "1"
    love_code, carrier = _text(data, "LoveCode", limit=7), _text(data, "CarrierType", limit=1)
    carrier_number = _text(data, "CarrierNum", limit=64)
    if _text(data, "TaxType") != "1" or _text(data, "InvType") not in ("07", ""):
        raise Refusal(INVALID_FIELD, "僅支援應稅一般稅額發票 (TaxType 1, InvType 07).")
    if not email and not phone:
        raise Refusal(INVALID_FIELD, "CustomerEmail 與 CustomerPhone 擇一必填 (e-mail or phone).")
    if email and not EMAIL.fullmatch(email):
        raise Refusal(INVALID_FIELD, "CustomerEmail 格式錯誤 (e-mail).")
    if ubn:
        _check(validators.validate_ubn, ubn, "統一編號格式錯誤 (CustomerIdentifier).")
        if donated:
            raise Refusal(INVALID_FIELD, "有統一編號時不可捐贈 (no donation with a UBN).")
    if donated:
        if printed:
            raise Refusal(INVALID_FIELD, "捐贈發票不可列印 (a donated invoice is not printed).")
        _check(validators.validate_love_code, love_code, "愛心碼格式錯誤 (LoveCode).")
    elif love_code:
        raise Refusal(INVALID_FIELD, "未捐贈時愛心碼需為空 (LoveCode without Donation).")
    if carrier not in ("", "1", "2", "3"):
        raise Refusal(INVALID_FIELD, "CarrierType 格式錯誤 (CarrierType).")
    if carrier and printed:
        raise Refusal(INVALID_FIELD, "存入載具的發票不可列印 (a carrier invoice is not printed).")
    if not carrier and not donated and not printed:
        raise Refusal(INVALID_FIELD, "無載具且未捐贈時需列印 (Print must be 1).")
    if printed and not (name and address):
        raise Refusal(INVALID_FIELD, "列印發票時姓名與地址必填 (CustomerName, CustomerAddr).")
    if carrier in ("", "1") and carrier_number:
        raise Refusal(INVALID_FIELD, "此載具類別的載具編號需為空 (CarrierNum).")
    if carrier == "1" and not email:
        raise Refusal(INVALID_FIELD, "會員載具需有 CustomerEmail (member carrier e-mail).")
    if carrier == "2":
        _check(
            validators.validate_citizen_certificate,
            carrier_number,
            "自然人憑證格式錯誤 (CarrierNum).",
        )
    if carrier == "3":
        _check(validators.validate_mobile_barcode, carrier_number, "手機條碼格式錯誤 (CarrierNum).")
    total = _amount(data, "SalesAmount")
    items = _items(data, total, "SalesAmount")

    now = clock.now()
    period = period_of(now)
    sales, tax = tax_split(total) if ubn else (total, 0)
    try:
        with transaction.atomic():
            invoice = UniformInvoice.objects.create(
                merchant_id=merchant_id,
                number=numbers.next_invoice_number(period),
                relate_number=relate,
                random_number=numbers.random_number(),
                period=period.code,
                issued_at=now,
                sales_amount=sales,
                tax_amount=tax,
                total_amount=total,
                remaining_allowance=total,
                customer_identifier=ubn,
                customer_name=name,
                customer_address=address,
                customer_email=email,
                printed=printed,
                donated=donated,
                love_code=love_code,
                carrier_type=carrier,
                carrier_number=carrier_number,
                items=items,
            )
    except IntegrityError:
        raise Refusal(
            DUPLICATE_RELATE_NUMBER, "特店自訂編號重複 (RelateNumber is duplicated)."
        ) from None
    return {
        "RtnCode": 1,
        "RtnMsg": "開立發票成功",
        "InvoiceNo": invoice.number,
        "InvoiceDate": _local(invoice.issued_at),
        "RandomNumber": invoice.random_number,
    }


def get_issue(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    invoices = UniformInvoice.objects.filter(merchant_id=merchant_id)
    relate = _text(data, "RelateNumber", limit=50)
    invoice = invoices.filter(relate_number=relate).first() if relate else _find(invoices, data)
    if invoice is None:
        raise Refusal(NOT_FOUND, "查無發票資料")
    return {**_issue_fields(invoice), "RtnCode": 1, "RtnMsg": "查詢成功"}


def _issue_fields(invoice: UniformInvoice) -> dict[str, Any]:
    return {
        "IIS_Mer_ID": int(invoice.merchant_id)
        if invoice.merchant_id.isdigit()
        else invoice.merchant_id,
        "IIS_Number": invoice.number,
        "IIS_Relate_Number": invoice.relate_number,
        "IIS_Customer_ID": "",
        "IIS_Identifier": invoice.customer_identifier or "0000000000",
        "IIS_Customer_Name": invoice.customer_name,
        "IIS_Customer_Addr": invoice.customer_address,
        "IIS_Customer_Phone": "",
        "IIS_Customer_Email": invoice.customer_email,
        "IIS_Clearance_Mark": "",
        "IIS_Type": "07",
        "IIS_Category": "B2B" if invoice.is_b2b else "B2C",
        "IIS_Tax_Type": "1",
        "IIS_Tax_Rate": 0.05,
        "IIS_Tax_Amount": invoice.tax_amount,
        "IIS_Sales_Amount": invoice.sales_amount,
        "IIS_Check_Number": "P",
        "IIS_Carrier_Type": invoice.carrier_type,
        "IIS_Carrier_Num": invoice.carrier_number,
        "IIS_Love_Code": invoice.love_code or "0",
        "IIS_IP": "127.0.0.1",
        "IIS_Create_Date": _local(invoice.issued_at),
        "IIS_Issue_Status": "1",
        "IIS_Invalid_Status": "1" if invoice.voided_at else "0",
        "IIS_Upload_Status": "1",
        "IIS_Upload_Date": _local(invoice.issued_at),
        "IIS_Turnkey_Status": "C",
        "IIS_Remain_Allowance_Amt": invoice.remaining_allowance,
        "IIS_Print_Flag": "1" if invoice.printed else "0",
        "IIS_Award_Flag": "",
        "IIS_Award_Type": 0,
        "IIS_Random_Number": invoice.random_number,
        "InvoiceRemark": "",
        "Items": invoice.items,
    }


# --- Invalid, Allowance, AllowanceInvalid -------------------------------------------------


def invalid(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    reason = _text(data, "Reason", required=True, limit=20)
    with transaction.atomic():
        invoice = _find(_locked(merchant_id), data)
        if invoice is None:
            raise Refusal(NOT_FOUND, "查無發票資料")
        if invoice.voided_at:
            raise Refusal(ALREADY_VOIDED, "發票已作廢 (already voided).")
        if invoice.allowances.filter(voided_at__isnull=True).exists():
            raise Refusal(
                ALLOWANCES_STANDING, "發票已有折讓, 請先作廢折讓 (void its allowances first)."
            )
        now = clock.now()
        if not can_void(invoice.issued_at, now):
            raise Refusal(PAST_VOID_DEADLINE, "已超過作廢期限 (past the filing cut-off).")
        invoice.voided_at, invoice.void_reason = now, reason
        invoice.save(update_fields=["voided_at", "void_reason"])
    return {"RtnCode": 1, "RtnMsg": "作廢發票成功", "InvoiceNo": invoice.number}


def allowance(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    notify = _text(data, "AllowanceNotify", required=True, limit=1).upper()
    email, phone = _text(data, "NotifyMail", limit=200), _text(data, "NotifyPhone", limit=20)
    if (
        notify not in ("N", "E", "S", "A")
        or (notify in "EA" and not email)
        or (notify in "SA" and not phone)
    ):
        raise Refusal(
            INVALID_FIELD, "AllowanceNotify 與通知資料不符 (AllowanceNotify, NotifyMail)."
        )
    amount = _amount(data, "AllowanceAmount")
    items = _items(data, amount, "AllowanceAmount")
    with transaction.atomic():
        invoice = _find(_locked(merchant_id), data)
        if invoice is None:
            raise Refusal(NOT_FOUND, "查無發票資料")
        if invoice.voided_at:
            raise Refusal(ALREADY_VOIDED, "發票已作廢, 不可折讓 (the invoice is voided).")
        if amount > invoice.remaining_allowance:
            raise Refusal(
                OVER_REMAINING,
                f"折讓金額超過可折讓餘額 {invoice.remaining_allowance} (over what remains).",
            )
        now = clock.now()
        made = InvoiceAllowance.objects.create(
            invoice=invoice,
            number=numbers.allowance_number(now),
            amount=amount,
            issued_at=now,
            notify=notify,
            notify_email=email,
            customer_name=_text(data, "CustomerName", limit=60),
            items=items,
        )
        invoice.remaining_allowance -= amount
        invoice.save(update_fields=["remaining_allowance"])
    return {
        "RtnCode": 1,
        "RtnMsg": "開立折讓成功",
        "IA_Allow_No": made.number,
        "IA_Invoice_No": invoice.number,
        "IA_Date": _local(made.issued_at),
        "IA_Remain_Allowance_Amt": invoice.remaining_allowance,
    }


def allowance_invalid(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    number = _text(data, "InvoiceNo", required=True, limit=10)
    allowance_no = _text(data, "AllowanceNo", required=True, limit=16)
    reason = _text(data, "Reason", required=True, limit=20)
    with transaction.atomic():
        made = (
            InvoiceAllowance.objects.select_for_update()
            .select_related("invoice")
            .filter(number=allowance_no, invoice__number=number, invoice__merchant_id=merchant_id)
            .first()
        )
        if made is None:
            raise Refusal(NOT_FOUND, "查無折讓資料")
        if made.voided_at:
            raise Refusal(ALREADY_VOIDED, "折讓已作廢 (already voided).")
        made.voided_at, made.void_reason = clock.now(), reason
        made.save(update_fields=["voided_at", "void_reason"])
        invoice = UniformInvoice.objects.select_for_update().get(pk=made.invoice_id)
        invoice.remaining_allowance += made.amount
        invoice.save(update_fields=["remaining_allowance"])
    return {"RtnCode": 1, "RtnMsg": "作廢折讓成功", "IA_Invoice_No": invoice.number}


def _locked(merchant_id: str) -> Any:
    return UniformInvoice.objects.select_for_update().filter(merchant_id=merchant_id)


def _find(invoices: Any, data: dict[str, Any]) -> UniformInvoice | None:
    """The invoice named by ``InvoiceNo`` and ``InvoiceDate`` (its Taipei date)."""
    number = _text(data, "InvoiceNo", required=True, limit=10)
    date = _text(data, "InvoiceDate", required=True, limit=20).replace("/", "-")[:10]
    if not INVOICE_NUMBER.fullmatch(number):
        raise Refusal(INVALID_FIELD, "InvoiceNo 格式錯誤 (two letters and eight digits).")
    invoice: UniformInvoice | None = invoices.filter(number=number).first()
    if invoice is None or taipei_date(invoice.issued_at) != date:
        return None
    return invoice


# --- CheckBarcode, CheckLoveCode ----------------------------------------------------------


def check_barcode(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    code = validators.normalize("mobile_barcode", data.get("BarCode"))
    known = bool(validators.MOBILE_BARCODE_PATTERN.fullmatch(code)) and code not in set(
        emulator_settings.EINVOICE_UNKNOWN_BARCODES or []
    )
    return {"RtnCode": 1, "RtnMsg": "執行成功", "IsExist": "Y" if known else "N"}


def check_love_code(merchant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    code = validators.normalize("love_code", data.get("LoveCode"))
    known = bool(validators.LOVE_CODE_PATTERN.fullmatch(code)) and code not in {
        str(c) for c in emulator_settings.EINVOICE_UNKNOWN_LOVE_CODES or []
    }
    return {"RtnCode": 1, "RtnMsg": "執行成功", "IsExist": "Y" if known else "N"}


def _local(moment: Any) -> str:
    return str(moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M:%S"))


OPERATIONS = {
    "Issue": issue,
    "GetIssue": get_issue,
    "Invalid": invalid,
    "Allowance": allowance,
    "AllowanceInvalid": allowance_invalid,
    "CheckBarcode": check_barcode,
    "CheckLoveCode": check_love_code,
}
CHECKS = frozenset({"CheckBarcode", "CheckLoveCode"})
