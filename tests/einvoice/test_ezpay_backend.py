"""EzPayBackend against recorded request and answer shapes (``responses``)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
import responses

from recur_django.einvoice.backends import ezpay_wire
from recur_django.einvoice.backends.base import AllowanceRequest, InvoiceItem, IssueRequest
from recur_django.einvoice.backends.ezpay import EzPayBackend
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.einvoice.errors import (
    AnswerLost,
    ConfigurationError,
    DuplicateReference,
    ProviderRefused,
)

MERCHANT_ID = "34818970"
HASH_KEY = "yoRs5AfTfAWe9HI4DlEYKRorr9YvV3Kr"
HASH_IV = "CrJMQLwDF6zKOeaP"
HOST = "https://cinv.ezpay.com.tw"
NOW = 1_767_225_600

OPTIONS = {"MERCHANT_ID": MERCHANT_ID, "HASH_KEY": HASH_KEY, "HASH_IV": HASH_IV}


def ezpay(**options: Any) -> EzPayBackend:
    return EzPayBackend({**OPTIONS, **options}, clock=lambda: NOW)


def form_of(request: Any) -> dict[str, str]:
    """The fields of a multipart/form-data body."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    return {
        part.get_param("name", header="content-disposition"): part.get_content()
        for part in message.iter_parts()
    }


class FakeEzPay:
    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.sent: list[dict[str, str]] = []
        self.forms: list[dict[str, str]] = []

    def answer(
        self, path: str, status: str, message: str, result: Any, *, sign: bool = False
    ) -> None:
        def callback(request: Any) -> tuple[int, dict[str, str], str]:
            form = form_of(request)
            self.forms.append(form)
            self.sent.append(ezpay_wire.decrypt_post_data(form["PostData_"], HASH_KEY, HASH_IV))
            body = result
            if isinstance(result, dict):
                body = dict(result)
                if sign:
                    body["CheckCode"] = ezpay_wire.check_code(body, HASH_KEY, HASH_IV)
                body = json.dumps(body, ensure_ascii=False)
            return 200, {}, json.dumps({"Status": status, "Message": message, "Result": body})

        self.mock.add_callback(responses.POST, HOST + path, callback=callback)


@pytest.fixture
def fake_ezpay():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeEzPay(mock)


ISSUED = {
    "MerchantID": MERCHANT_ID,
    "MerchantOrderNo": "P1",
    "InvoiceNumber": "XX00000009",
    "TotalAmt": 299,
    "InvoiceTransNo": "22100516414987644",
    "RandomNum": "1297",
    "CreateTime": "2026-01-01 08:00:05",
    "BarCode": "11110XX000000091297",
    "QRcodeL": "**",
    "QRcodeR": "**",
}


def request(
    choice: InvoiceChoice, amount: int = 299, items: tuple[InvoiceItem, ...] | None = None
) -> IssueRequest:
    return IssueRequest(
        relate_number="P1",
        choice=choice,
        items=items or (InvoiceItem("Pro (monthly)", 1, amount, amount),),
        amount=amount,
    )


def test_issue_b2c_member(fake_ezpay):
    fake_ezpay.answer("/Api/invoice_issue", "SUCCESS", "發票開立成功", ISSUED, sign=True)
    issued = ezpay().issue(request(InvoiceChoice(email="amy@example.com", name="Amy")))
    assert fake_ezpay.forms[0]["MerchantID_"] == MERCHANT_ID
    assert fake_ezpay.sent[0] == {
        "RespondType": "JSON",
        "Version": "1.5",
        "TimeStamp": str(NOW),
        "TransNum": "",
        "MerchantOrderNo": "P1",
        "Status": "1",
        "CreateStatusTime": "",
        "Category": "B2C",
        "BuyerName": "Amy",
        "BuyerUBN": "",
        "BuyerAddress": "",
        "BuyerEmail": "amy@example.com",
        "CarrierType": "2",
        "CarrierNum": "amy@example.com",
        "LoveCode": "",
        "PrintFlag": "N",
        "TaxType": "1",
        "TaxRate": "5",
        "Amt": "285",
        "TaxAmt": "14",
        "TotalAmt": "299",
        "ItemName": "Pro (monthly)",
        "ItemCount": "1",
        "ItemUnit": "式",
        "ItemPrice": "299",
        "ItemAmt": "299",
        "Comment": "",
    }
    assert (issued.number, issued.random_number) == ("XX00000009", "1297")
    assert issued.issued_at == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)


def test_issue_b2b_prices_before_tax(fake_ezpay):
    fake_ezpay.answer(
        "/Api/invoice_issue", "SUCCESS", "ok", {**ISSUED, "TotalAmt": 1000}, sign=True
    )
    items = (InvoiceItem("Seat", 3, 300, 900), InvoiceItem("Setup", 1, 100, 100))
    choice = InvoiceChoice(
        kind="company", ubn="22099131", title="範例公司", address="臺北市", email="a@x.tw"
    )
    ezpay().issue(request(choice, 1000, items))
    sent = fake_ezpay.sent[0]
    assert (sent["Category"], sent["BuyerName"], sent["BuyerUBN"], sent["PrintFlag"]) == (
        "B2B",
        "範例公司",
        "22099131",
        "Y",
    )
    assert (sent["Amt"], sent["TaxAmt"], sent["TotalAmt"]) == ("952", "48", "1000")
    assert sent["ItemAmt"] == "857|95"  # 900 / 1.05 = 857, the last line takes the rounding
    assert sent["ItemPrice"] == "285.67|95"
    assert sent["CarrierType"] == ""


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (InvoiceChoice(kind="mobile", carrier="/ABC+123", email="a@x.tw"), ("0", "/ABC+123", "")),
        (
            InvoiceChoice(kind="certificate", carrier="AB12345678901234"),
            ("1", "AB12345678901234", ""),
        ),
        (InvoiceChoice(kind="donation", love_code="919"), ("", "", "919")),
    ],
)
def test_issue_carriers_and_donations(fake_ezpay, choice, expected):
    fake_ezpay.answer("/Api/invoice_issue", "SUCCESS", "ok", ISSUED, sign=True)
    ezpay().issue(request(choice))
    sent = fake_ezpay.sent[0]
    assert (sent["CarrierType"], sent["CarrierNum"], sent["LoveCode"]) == expected
    assert sent["BuyerName"] == "消費者" and sent["PrintFlag"] == "N"


def test_an_answer_whose_check_code_does_not_verify_is_not_trusted(fake_ezpay):
    fake_ezpay.answer("/Api/invoice_issue", "SUCCESS", "ok", {**ISSUED, "CheckCode": "0" * 64})
    with pytest.raises(AnswerLost) as info:
        ezpay().issue(request(InvoiceChoice(email="a@x.tw")))
    assert info.value.code == "bad_check_code" and info.value.ask_first


def test_check_code_is_uppercase_sha256_of_the_sorted_fields():
    code = ezpay_wire.check_code(ISSUED, HASH_KEY, HASH_IV)
    text = (
        f"HashIV={HASH_IV}&InvoiceTransNo=22100516414987644&MerchantID={MERCHANT_ID}"
        f"&MerchantOrderNo=P1&RandomNum=1297&TotalAmt=299&HashKey={HASH_KEY}"
    )
    assert code == hashlib.sha256(text.encode()).hexdigest().upper()


def test_duplicate_order_number(fake_ezpay):
    fake_ezpay.answer("/Api/invoice_issue", "LIB10003", "商店自訂編號重覆", "")
    with pytest.raises(DuplicateReference) as info:
        ezpay().issue(request(InvoiceChoice(email="a@x.tw")))
    assert info.value.code == "LIB10003" and info.value.relate_number == "P1"


def test_refused(fake_ezpay):
    fake_ezpay.answer("/Api/invoice_issue", "INV10004", "商品資訊的商品小計計算錯誤", "")
    with pytest.raises(ProviderRefused) as info:
        ezpay().issue(request(InvoiceChoice(email="a@x.tw")))
    assert info.value.code == "INV10004" and not isinstance(info.value, DuplicateReference)


@responses.activate
def test_an_answer_that_is_not_json_is_an_answer_lost():
    responses.add(responses.POST, f"{HOST}/Api/invoice_issue", body="<html>")
    with pytest.raises(AnswerLost):
        ezpay().issue(request(InvoiceChoice(email="a@x.tw")))


def test_relate_numbers_over_20_characters_are_refused_before_sending():
    long = IssueRequest("P" * 21, InvoiceChoice(email="a@x.tw"), (InvoiceItem("x", 1, 1, 1),), 1)
    with pytest.raises(ValueError):
        ezpay().issue(long)


def test_query(fake_ezpay):
    found = {
        **ISSUED,
        "InvoiceStatus": "2",
        "BuyerName": "Amy",
        "ItemDetail": "[]",
    }
    fake_ezpay.answer("/Api/invoice_search", "SUCCESS", "查詢成功", found, sign=True)
    result = ezpay().query("P1", amount=299)
    assert fake_ezpay.sent[0]["SearchType"] == "1"
    assert (fake_ezpay.sent[0]["MerchantOrderNo"], fake_ezpay.sent[0]["TotalAmt"]) == ("P1", "299")
    assert result is not None
    assert (result.number, result.voided, result.remaining_allowance, result.amount) == (
        "XX00000009",
        True,
        None,
        299,
    )


def test_query_not_found_and_amount_required(fake_ezpay):
    fake_ezpay.answer("/Api/invoice_search", "INV20006", "查無發票資料", "")
    assert ezpay().query("P404", amount=1) is None
    with pytest.raises(ValueError):
        ezpay().query("P404")


def test_void(fake_ezpay):
    fake_ezpay.answer(
        "/Api/invoice_invalid",
        "SUCCESS",
        "作廢成功",
        {
            "MerchantID": MERCHANT_ID,
            "InvoiceNumber": "XX00000009",
            "CreateTime": "2026-01-02 10:00:00",
        },
    )
    ezpay().void("XX00000009", datetime(2026, 1, 1, tzinfo=UTC), "refund")
    sent = fake_ezpay.sent[0]
    assert (sent["Version"], sent["InvoiceNumber"], sent["InvalidReason"]) == (
        "1.0",
        "XX00000009",
        "refund",
    )


def test_allowance(fake_ezpay):
    fake_ezpay.answer(
        "/Api/allowance_issue",
        "SUCCESS",
        "折讓成功",
        {
            "AllowanceNo": "A231005164453123",
            "InvoiceNumber": "XX00000009",
            "MerchantID": MERCHANT_ID,
            "MerchantOrderNo": "P1",
            "AllowanceAmt": 105,
            "RemainAmt": 194,
        },
    )
    made = ezpay().allowance(
        AllowanceRequest(
            invoice_number="XX00000009",
            invoice_issued_at=datetime(2026, 1, 1, tzinfo=UTC),
            relate_number="P1",
            amount=105,
            items=(InvoiceItem("Refund", 1, 105, 105),),
            email="a@x.tw",
        )
    )
    sent = fake_ezpay.sent[0]
    assert (sent["InvoiceNo"], sent["MerchantOrderNo"], sent["Status"]) == ("XX00000009", "P1", "1")
    assert (sent["ItemAmt"], sent["ItemTaxAmt"], sent["TotalAmt"]) == ("100", "5", "105")
    assert (made.number, made.amount, made.remaining) == ("A231005164453123", 105, 194)


def test_void_allowance(fake_ezpay):
    fake_ezpay.answer(
        "/Api/allowanceInvalid", "SUCCESS", "ok", {"AllowanceNo": "A1", "MerchantID": MERCHANT_ID}
    )
    ezpay().void_allowance("XX00000009", "A231005164453123", "mistake")
    assert fake_ezpay.sent[0]["AllowanceNo"] == "A231005164453123"


def test_checks_are_unavailable():
    assert ezpay().check_barcode("/ABC+123") is None
    assert ezpay().check_love_code("919") is None


def test_post_data_round_trip_and_errors():
    sealed = ezpay_wire.encrypt_post_data({"A": "1 2", "B": "臺北+"}, HASH_KEY, HASH_IV)
    assert sealed == sealed.lower() and int(sealed, 16) >= 0
    assert ezpay_wire.decrypt_post_data(sealed, HASH_KEY, HASH_IV) == {"A": "1 2", "B": "臺北+"}
    with pytest.raises(ezpay_wire.WireError):
        ezpay_wire.decrypt_post_data("zz", HASH_KEY, HASH_IV)
    with pytest.raises(ezpay_wire.WireError):
        ezpay_wire.decrypt_post_data(sealed, "x" * 32, HASH_IV)


@pytest.mark.parametrize("options", [{"HASH_KEY": "x" * 16}, {"HASH_IV": "y"}, {"MERCHANT_ID": ""}])
def test_invalid_options(options):
    with pytest.raises(ConfigurationError):
        EzPayBackend({**OPTIONS, **options})


def test_hosts():
    assert ezpay().uses_test_host and not ezpay().uses_test_credentials
    assert not ezpay(API_BASE="https://inv.ezpay.com.tw").uses_test_host
    assert EzPayBackend.max_relate_number_length == 20
