"""ECPayBackend against recorded request and answer shapes (``responses``: the provider's
wire). End-to-end over HTTP against the emulator: test_emulator_ecpay.py."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import pytest
import requests
import responses

from recur_django.einvoice.backends.base import AllowanceRequest, InvoiceItem
from recur_django.einvoice.backends.ecpay import ECPayBackend
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.einvoice.errors import (
    AnswerLost,
    ConfigurationError,
    DuplicateReference,
    EInvoiceError,
    ProviderRefused,
    ProviderUnavailable,
)
from tests.einvoice.conftest import (
    ECPAY_OPTIONS,
    HASH_IV,
    HASH_KEY,
    HOST,
    MERCHANT_ID,
    NOW,
    ecpay,
    issue_request,
)

ISSUED = {
    "RtnCode": 1,
    "RtnMsg": "開立發票成功",
    "InvoiceNo": "UV11100016",
    "InvoiceDate": "2026-01-01 08:00:05",
    "RandomNumber": "7425",
}

# GetIssue's answer as recorded by an open-source adapter's tests (stage host, 2023).
GET_ISSUE = {
    "IIS_Mer_ID": 2000132,
    "IIS_Number": "ZZ18003921",
    "IIS_Relate_Number": "f581df41f1a65f05",
    "IIS_Customer_ID": "",
    "IIS_Identifier": "0000000000",
    "IIS_Customer_Name": "",
    "IIS_Customer_Addr": "",
    "IIS_Customer_Phone": "",
    "IIS_Customer_Email": "test@fake.com",
    "IIS_Clearance_Mark": "",
    "IIS_Type": "07",
    "IIS_Category": "B2C",
    "IIS_Tax_Type": "1",
    "IIS_Tax_Rate": 0.05,
    "IIS_Tax_Amount": 0,
    "IIS_Sales_Amount": 10,
    "IIS_Check_Number": "P",
    "IIS_Carrier_Type": "1",
    "IIS_Carrier_Num": "EFFF3C85852C67A89B4A665453B38CD7",
    "IIS_Love_Code": "0",
    "IIS_IP": "203.69.123.208",
    "IIS_Create_Date": "2023-02-03 17:57:02",
    "IIS_Issue_Status": "1",
    "IIS_Invalid_Status": "0",
    "IIS_Upload_Status": "0",
    "IIS_Upload_Date": "",
    "IIS_Turnkey_Status": "",
    "IIS_Remain_Allowance_Amt": 10,
    "IIS_Print_Flag": "0",
    "IIS_Award_Flag": "",
    "IIS_Award_Type": 0,
    "IIS_Random_Number": "3321",
    "InvoiceRemark": "",
    "PosBarCode": "11202ZZ180039213321",
    "SpecialTaxType": 0,
    "Items": [
        {
            "ItemSeq": 1,
            "ItemName": "橡皮擦",
            "ItemCount": 1,
            "ItemWord": "個",
            "ItemPrice": 10,
            "ItemTaxType": "1",
            "ItemAmount": 10,
            "ItemRemark": None,
        }
    ],
    "RtnMsg": "查詢成功",
    "RtnCode": 1,
}


# --- issue ----------------------------------------------------------------------------


def test_issue_sends_the_rev3_envelope_and_reads_the_answer(fake_ecpay):
    fake_ecpay.answer("Issue", ISSUED)
    issued = ecpay().issue(issue_request())
    _, envelope, data = fake_ecpay.requests[0]
    assert envelope["MerchantID"] == MERCHANT_ID
    assert envelope["RqHeader"] == {"Timestamp": NOW, "Revision": "3.0.0"}
    assert data == {
        "MerchantID": MERCHANT_ID,
        "RelateNumber": "P1",
        "CustomerID": "",
        "CustomerIdentifier": "",
        "CustomerName": "Amy",
        "CustomerAddr": "",
        "CustomerPhone": "",
        "CustomerEmail": "amy@example.com",
        "ClearanceMark": "",
        "Print": "0",
        "Donation": "0",
        "LoveCode": "",
        "CarrierType": "1",
        "CarrierNum": "",
        "TaxType": "1",
        "SalesAmount": 299,
        "InvoiceRemark": "",
        "Items": [
            {
                "ItemSeq": 1,
                "ItemName": "Pro (monthly)",
                "ItemCount": 1,
                "ItemWord": "式",
                "ItemPrice": 299,
                "ItemTaxType": "1",
                "ItemAmount": 299,
            }
        ],
        "InvType": "07",
        "vat": "1",
    }
    assert issued.number == "UV11100016"
    assert issued.random_number == "7425"
    assert issued.issued_at == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)  # 08:00:05 Taipei
    assert (issued.relate_number, issued.amount) == ("P1", 299)
    assert issued.raw["RtnMsg"] == "開立發票成功"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (
            InvoiceChoice(kind="mobile", carrier="/ABC+123", email="a@x.tw"),
            {"CarrierType": "3", "CarrierNum": "/ABC+123", "Print": "0", "Donation": "0"},
        ),
        (
            InvoiceChoice(kind="certificate", carrier="AB12345678901234", email="a@x.tw"),
            {"CarrierType": "2", "CarrierNum": "AB12345678901234", "Print": "0"},
        ),
        (
            InvoiceChoice(kind="donation", love_code="168001", email="a@x.tw"),
            {
                "CarrierType": "",
                "CarrierNum": "",
                "Donation": "1",
                "LoveCode": "168001",
                "Print": "0",
            },
        ),
        (
            InvoiceChoice(
                kind="company",
                ubn="22099131",
                title="範例股份有限公司",
                address="臺北市",
                email="a@x.tw",
                name="Amy",
            ),
            {
                "CustomerIdentifier": "22099131",
                "CustomerName": "範例股份有限公司",
                "CustomerAddr": "臺北市",
                "Print": "1",
                "CarrierType": "",
                "Donation": "0",
                "SalesAmount": 299,
            },
        ),
    ],
)
def test_issue_maps_each_kind(fake_ecpay, choice, expected):
    fake_ecpay.answer("Issue", ISSUED)
    ecpay().issue(issue_request(choice))
    data = fake_ecpay.last()
    assert {key: data[key] for key in expected} == expected


def test_issue_refused(fake_ecpay):
    fake_ecpay.answer("Issue", {"RtnCode": 1500001, "RtnMsg": "發票金額錯誤"})
    with pytest.raises(ProviderRefused) as info:
        ecpay().issue(issue_request())
    assert (info.value.code, info.value.retryable, info.value.ask_first) == (
        "1500001",
        False,
        False,
    )
    assert "發票金額錯誤" in info.value.message
    assert not isinstance(info.value, DuplicateReference)


@pytest.mark.parametrize(
    "message",
    ["特店自訂編號重複", "RelateNumber is duplicated", "自訂編號已存在", "重覆的RelateNumber"],
)
def test_a_used_relate_number_is_a_duplicate_reference(fake_ecpay, message):
    fake_ecpay.answer("Issue", {"RtnCode": 5000011, "RtnMsg": message})
    with pytest.raises(DuplicateReference) as info:
        ecpay().issue(issue_request(relate="P42"))
    assert info.value.ask_first and info.value.relate_number == "P42"


def test_a_refused_envelope(fake_ecpay):
    fake_ecpay.answer("Issue", {}, trans_code=999, trans_msg="Timestamp out of range")
    with pytest.raises(ProviderRefused) as info:
        ecpay().issue(issue_request())
    assert info.value.code == "trans_999" and "Timestamp" in info.value.message


def test_success_without_an_invoice_number_is_an_answer_lost(fake_ecpay):
    fake_ecpay.answer("Issue", {"RtnCode": 1, "RtnMsg": "ok"})
    with pytest.raises(AnswerLost):
        ecpay().issue(issue_request())


def test_an_answer_that_does_not_decrypt_is_an_answer_lost(fake_ecpay):
    fake_ecpay.answer("Issue", ISSUED, key="0123456789abcdef")
    with pytest.raises(AnswerLost) as info:
        ecpay().issue(issue_request())
    assert info.value.code == "bad_answer" and info.value.ask_first


@responses.activate
@pytest.mark.parametrize("body", ["<html>busy</html>", "[]", '{"TransCode": 1, "Data": "x"}'])
def test_an_unreadable_answer_is_an_answer_lost(body):
    responses.add(responses.POST, f"{HOST}/B2CInvoice/Issue", body=body, status=200)
    with pytest.raises(AnswerLost):
        ecpay().issue(issue_request())


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, AnswerLost),
        (502, AnswerLost),
        (503, AnswerLost),
        (504, AnswerLost),
        (403, ProviderUnavailable),
        (429, ProviderUnavailable),
        (404, ProviderRefused),
        (400, ProviderRefused),
    ],
)
def test_http_statuses(status, error):
    responses.add(responses.POST, f"{HOST}/B2CInvoice/Issue", body="", status=status)
    with pytest.raises(error) as info:
        ecpay().issue(issue_request())
    assert info.value.code == f"http_{status}"


@responses.activate
def test_a_read_timeout_is_an_answer_lost():
    responses.add(
        responses.POST, f"{HOST}/B2CInvoice/Issue", body=requests.exceptions.ReadTimeout("slow")
    )
    with pytest.raises(AnswerLost) as info:
        ecpay().issue(issue_request())
    assert info.value.code == "timeout" and info.value.retryable


@responses.activate
def test_a_connection_dropped_after_sending_is_an_answer_lost():
    responses.add(
        responses.POST,
        f"{HOST}/B2CInvoice/Issue",
        body=requests.exceptions.ChunkedEncodingError("reset"),
    )
    with pytest.raises(AnswerLost) as info:
        ecpay().issue(issue_request())
    assert info.value.code == "connection_lost"


def test_a_refused_connection_is_provider_unavailable():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = ecpay(API_BASE=f"http://127.0.0.1:{port}", TIMEOUT=2)
    with pytest.raises(ProviderUnavailable) as info:
        backend.issue(issue_request())
    assert info.value.code == "connect_failed" and not info.value.ask_first


# --- query ----------------------------------------------------------------------------


def test_query_reads_get_issue(fake_ecpay):
    fake_ecpay.answer("GetIssue", GET_ISSUE)
    found = ecpay().query("f581df41f1a65f05", amount=10)
    assert fake_ecpay.last() == {"MerchantID": MERCHANT_ID, "RelateNumber": "f581df41f1a65f05"}
    assert found is not None
    assert (found.number, found.random_number, found.amount) == ("ZZ18003921", "3321", 10)
    assert found.issued_at == datetime(2023, 2, 3, 9, 57, 2, tzinfo=UTC)
    assert (found.voided, found.remaining_allowance) == (False, 10)
    assert found.relate_number == "f581df41f1a65f05"


def test_query_of_a_voided_b2b_invoice(fake_ecpay):
    fake_ecpay.answer(
        "GetIssue",
        {
            **GET_ISSUE,
            "IIS_Identifier": "22099131",
            "IIS_Sales_Amount": 285,
            "IIS_Tax_Amount": 14,
            "IIS_Invalid_Status": "1",
            "IIS_Create_Date": "2023-02-03+17:57:02",  # as a raw decode shows it
        },
    )
    found = ecpay().query("f581df41f1a65f05")
    assert found is not None and found.voided and found.amount == 299
    assert found.issued_at == datetime(2023, 2, 3, 9, 57, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "message"),
    [(1600003, "查無發票資料"), (1600099, "查無資料"), (7, "Invoice not found")],
)
def test_query_of_an_unknown_relate_number_is_none(fake_ecpay, code, message):
    fake_ecpay.answer("GetIssue", {"RtnCode": code, "RtnMsg": message})
    assert ecpay().query("P404") is None


def test_query_refused_otherwise(fake_ecpay):
    fake_ecpay.answer("GetIssue", {"RtnCode": 9000001, "RtnMsg": "系統維護中"})
    with pytest.raises(ProviderRefused):
        ecpay().query("P1")


# --- void, allowance ------------------------------------------------------------------


def test_void(fake_ecpay):
    fake_ecpay.answer(
        "Invalid", {"RtnCode": 1, "RtnMsg": "作廢發票成功", "InvoiceNo": "UV11100016"}
    )
    issued_at = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # Feb 1 in Taipei
    ecpay().void("UV11100016", issued_at, "  Refunded   in full by the customer  ")
    assert fake_ecpay.last() == {
        "MerchantID": MERCHANT_ID,
        "InvoiceNo": "UV11100016",
        "InvoiceDate": "2026-02-01",
        "Reason": "Refunded in full by",  # ECPay takes 20 characters
    }


def test_void_needs_a_reason():
    with pytest.raises(ValueError):
        ecpay().void("UV11100016", datetime(2026, 1, 1, tzinfo=UTC), " ")


def test_void_refused(fake_ecpay):
    fake_ecpay.answer("Invalid", {"RtnCode": 2000015, "RtnMsg": "已超過作廢期限"})
    with pytest.raises(ProviderRefused) as info:
        ecpay().void("UV11100016", datetime(2026, 1, 1, tzinfo=UTC), "refund")
    assert info.value.code == "2000015"


def allowance_request(amount: int = 100, email: str = "amy@example.com") -> AllowanceRequest:
    return AllowanceRequest(
        invoice_number="UV11100016",
        invoice_issued_at=datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC),
        relate_number="P1",
        amount=amount,
        items=(InvoiceItem("Refund", 1, amount, amount),),
        email=email,
        name="Amy",
    )


def test_allowance(fake_ecpay):
    fake_ecpay.answer(
        "Allowance",
        {
            "RtnCode": 1,
            "RtnMsg": "成功",
            "IA_Allow_No": "2026010113260868",
            "IA_Invoice_No": "UV11100016",
            "IA_Date": "2026-01-02 10:00:00",
            "IA_Remain_Allowance_Amt": 199,
        },
    )
    made = ecpay().allowance(allowance_request())
    assert fake_ecpay.last() == {
        "MerchantID": MERCHANT_ID,
        "InvoiceNo": "UV11100016",
        "InvoiceDate": "2026-01-01",
        "AllowanceNotify": "E",
        "CustomerName": "Amy",
        "NotifyMail": "amy@example.com",
        "NotifyPhone": "",
        "AllowanceAmount": 100,
        "Items": [
            {
                "ItemSeq": 1,
                "ItemName": "Refund",
                "ItemCount": 1,
                "ItemWord": "式",
                "ItemPrice": 100,
                "ItemTaxType": "1",
                "ItemAmount": 100,
            }
        ],
    }
    assert (made.number, made.invoice_number, made.amount, made.remaining) == (
        "2026010113260868",
        "UV11100016",
        100,
        199,
    )
    assert made.issued_at == datetime(2026, 1, 2, 2, 0, tzinfo=UTC)


def test_allowance_without_email_notifies_nobody(fake_ecpay):
    fake_ecpay.answer("Allowance", {"RtnCode": 1, "IA_Allow_No": "2026010113260868"})
    made = ecpay().allowance(allowance_request(email=""))
    assert fake_ecpay.last()["AllowanceNotify"] == "N"
    assert made.remaining is None
    assert made.issued_at == datetime.fromtimestamp(NOW, tz=UTC)  # no IA_Date: now


def test_void_allowance(fake_ecpay):
    fake_ecpay.answer(
        "AllowanceInvalid", {"RtnCode": 1, "RtnMsg": "成功", "IA_Invoice_No": "UV11100016"}
    )
    ecpay().void_allowance("UV11100016", "2026010113260868", "mistake")
    assert fake_ecpay.last() == {
        "MerchantID": MERCHANT_ID,
        "InvoiceNo": "UV11100016",
        "AllowanceNo": "2026010113260868",
        "Reason": "mistake",
    }


# --- checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "result"), [("Y", True), ("N", False), ("", None)])
def test_check_barcode(fake_ecpay, flag, result):
    fake_ecpay.answer("CheckBarcode", {"RtnCode": 1, "RtnMsg": "執行成功", "IsExist": flag})
    assert ecpay().check_barcode("/ABC+123") is result
    assert fake_ecpay.last() == {"MerchantID": MERCHANT_ID, "BarCode": "/ABC+123"}


def test_check_love_code(fake_ecpay):
    fake_ecpay.answer("CheckLoveCode", {"RtnCode": 1, "IsExist": "Y"})
    assert ecpay().check_love_code("168001") is True
    assert fake_ecpay.last() == {"MerchantID": MERCHANT_ID, "LoveCode": "168001"}


@responses.activate
@pytest.mark.parametrize("status", [500, 503, 404])
def test_checks_are_never_a_hard_gate(status):
    responses.add(responses.POST, f"{HOST}/B2CInvoice/CheckBarcode", status=status)
    responses.add(responses.POST, f"{HOST}/B2CInvoice/CheckLoveCode", status=status)
    assert ecpay().check_barcode("/ABC+123") is None
    assert ecpay().check_love_code("168001") is None


def test_a_refused_check_is_unknown(fake_ecpay):
    fake_ecpay.answer("CheckBarcode", {"RtnCode": 9000001, "RtnMsg": "財政部大平台維護中"})
    assert ecpay().check_barcode("/ABC+123") is None


# --- options, secrets ---------------------------------------------------------------------


def test_missing_credentials_are_named():
    with pytest.raises(ConfigurationError) as info:
        ECPayBackend({"MERCHANT_ID": "2000132"})
    assert "HASH_KEY" in info.value.message and "HASH_IV" in info.value.message


@pytest.mark.parametrize(
    "options",
    [
        {"HASH_KEY": "short"},
        {"HASH_IV": "x" * 17},
        {"API_BASE": "einvoice.ecpay.com.tw"},
        {"TIMEOUT": 0},
        {"TIMEOUT": (1, 2, 3)},
        {"TIMEOUT": "fast"},
    ],
)
def test_invalid_options(options):
    with pytest.raises(ConfigurationError):
        ECPayBackend({**ECPAY_OPTIONS, **options})


def test_options_defaults_and_timeouts():
    backend = ecpay()
    assert backend.api_base == "https://einvoice-stage.ecpay.com.tw"
    assert backend.http.timeout == (5.0, 30.0)
    assert ecpay(TIMEOUT=12).http.timeout == (12.0, 12.0)
    assert ecpay(TIMEOUT=[3, 20], API_BASE="https://einvoice.ecpay.com.tw/").api_base == (
        "https://einvoice.ecpay.com.tw"
    )


def test_test_credentials_and_hosts():
    assert ecpay().uses_test_credentials and ecpay().uses_test_host
    production = ECPayBackend(
        {
            "MERCHANT_ID": "3383324",
            "HASH_KEY": "A" * 16,
            "HASH_IV": "B" * 16,
            "API_BASE": "https://einvoice.ecpay.com.tw",
        }
    )
    assert not production.uses_test_credentials and not production.uses_test_host
    assert ecpay(API_BASE="http://127.0.0.1:8000/_recur/einvoice").uses_test_host


def test_validate_choice_requires_an_address_for_companies_and_an_email():
    company = InvoiceChoice(kind="company", ubn="22099131", title="ACME", email="a@x.tw")
    assert set(ecpay().validate_choice(company)) == {"invoice_address"}
    assert set(ecpay().validate_choice(InvoiceChoice(kind="donation", love_code="168001"))) == {
        "invoice_kind"
    }
    assert ecpay().validate_choice(InvoiceChoice(email="a@x.tw")) == {}


def test_secrets_never_show(fake_ecpay, caplog):
    caplog.set_level(logging.DEBUG, logger="recur_django.einvoice")
    backend = ecpay()
    fake_ecpay.answer("Issue", {"RtnCode": 7, "RtnMsg": f"bad key {HASH_KEY} / {HASH_IV}"})
    with pytest.raises(EInvoiceError) as info:
        backend.issue(issue_request())
    fake_ecpay.answer("GetIssue", {**GET_ISSUE, "InvoiceRemark": f"{HASH_KEY}"})
    found = backend.query("P1")
    shown = [
        repr(backend),
        str(info.value),
        repr(info.value),
        repr(found),
        str(found.raw if found else ""),
    ]
    shown += [record.getMessage() for record in caplog.records]
    assert all(HASH_KEY not in text and HASH_IV not in text for text in shown), shown
    assert "***" in str(info.value)
    assert MERCHANT_ID in repr(backend)
    kept = [str(value) for value in vars(backend).get("_options", {}).values()]
    assert HASH_KEY not in kept and HASH_IV not in kept  # only in private attributes
