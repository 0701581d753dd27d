"""ECPayBackend end to end against the emulator's e-invoice endpoint, over real HTTP."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.test import override_settings

from recur_django.einvoice import factory
from recur_django.einvoice.backends import ecpay_wire
from recur_django.einvoice.backends.base import AllowanceRequest, InvoiceItem
from recur_django.einvoice.backends.ecpay import ECPayBackend
from recur_django.einvoice.choice import InvoiceChoice
from recur_django.einvoice.errors import (
    AnswerLost,
    DuplicateReference,
    ProviderRefused,
)
from recur_django.einvoice.rules import period_of
from recur_django.emulator import clock
from recur_django.emulator.einvoice import operations
from recur_django.emulator.einvoice.numbers import track_prefix
from recur_django.emulator.models import Fault, InvoiceAllowance, UniformInvoice
from tests.einvoice.conftest import HASH_IV, HASH_KEY, MERCHANT_ID, issue_request

NUMBER = re.compile(r"[A-Z]{2}[0-9]{8}")
ECPAY_SANDBOX = {"MERCHANT_ID": MERCHANT_ID, "HASH_KEY": HASH_KEY, "HASH_IV": HASH_IV}


@pytest.fixture
def ecpay(recur_emulator) -> ECPayBackend:
    backend = ECPayBackend({**recur_emulator.einvoice_options(), "TIMEOUT": 5})
    yield backend
    backend.close()


def allowance_of(issued: Any, amount: int, relate: str = "P1") -> AllowanceRequest:
    return AllowanceRequest(
        invoice_number=issued.number,
        invoice_issued_at=issued.issued_at,
        relate_number=relate,
        amount=amount,
        items=(InvoiceItem("Refund", 1, amount, amount),),
        email="amy@example.com",
    )


# --- issue and query ---------------------------------------------------------------------


def test_issue_then_query(ecpay):
    issued = ecpay.issue(issue_request(relate="P1"))
    assert NUMBER.fullmatch(issued.number) and re.fullmatch(r"[0-9]{4}", issued.random_number)
    assert abs(issued.issued_at - clock.now()) < timedelta(seconds=5)
    stored = UniformInvoice.objects.get()
    assert (stored.number, stored.relate_number, stored.total_amount) == (issued.number, "P1", 299)
    assert (stored.carrier_type, stored.customer_email, stored.printed) == (
        "1",
        "amy@example.com",
        False,
    )
    found = ecpay.query("P1")
    assert found is not None
    assert (found.number, found.random_number, found.amount) == (
        issued.number,
        issued.random_number,
        299,
    )
    assert (found.voided, found.remaining_allowance) == (False, 299)
    assert found.issued_at == issued.issued_at.replace(microsecond=0)
    assert ecpay.query("P404") is None


def test_numbers_are_sequential_within_a_period_and_a_new_track_starts_the_next(
    ecpay, recur_emulator
):
    first = ecpay.issue(issue_request(relate="P1")).number
    second = ecpay.issue(issue_request(relate="P2")).number
    assert first[:2] == second[:2] == track_prefix(period_of(clock.now()))
    assert int(second[2:]) == int(first[2:]) + 1
    recur_emulator.advance(days=62)
    third = ecpay.issue(issue_request(relate="P3")).number
    assert third[:2] == track_prefix(period_of(clock.now())) != first[:2]
    assert third[2:] == "10000000"


@pytest.mark.parametrize(
    ("choice", "stored"),
    [
        (
            InvoiceChoice(kind="mobile", carrier="/ABC+123", email="a@x.tw"),
            {"carrier_type": "3", "carrier_number": "/ABC+123", "printed": False},
        ),
        (
            InvoiceChoice(kind="certificate", carrier="AB12345678901234", email="a@x.tw"),
            {"carrier_type": "2", "carrier_number": "AB12345678901234"},
        ),
        (
            InvoiceChoice(kind="donation", love_code="168001", email="a@x.tw"),
            {"donated": True, "love_code": "168001", "printed": False, "carrier_type": ""},
        ),
        (
            InvoiceChoice(
                kind="company",
                ubn="22099131",
                title="範例股份有限公司",
                address="臺北市",
                email="a@x.tw",
            ),
            {
                "customer_identifier": "22099131",
                "printed": True,
                "sales_amount": 285,
                "tax_amount": 14,
            },
        ),
    ],
)
def test_each_kind_is_issued_as_chosen(ecpay, choice, stored):
    ecpay.issue(issue_request(choice))
    invoice = UniformInvoice.objects.get()
    assert {name: getattr(invoice, name) for name in stored} == stored
    found = ecpay.query("P1")
    assert found is not None and found.amount == 299  # B2B: sales + tax


def test_a_used_relate_number_is_refused_as_a_duplicate(ecpay):
    issued = ecpay.issue(issue_request(relate="P1"))
    with pytest.raises(DuplicateReference):
        ecpay.issue(issue_request(relate="P1"))
    assert UniformInvoice.objects.count() == 1
    assert ecpay.query("P1").number == issued.number


# --- faults: the lost-answer rule ----------------------------------------------------------


def test_lost_answer_after_issuing_never_issues_twice(ecpay, recur_emulator):
    recur_emulator.einvoice_lose_answer()
    with pytest.raises(AnswerLost) as info:
        ecpay.issue(issue_request(relate="P1"))
    assert info.value.code == "http_504" and info.value.ask_first
    assert UniformInvoice.objects.count() == 1  # made, though the answer was lost
    found = ecpay.query("P1")  # ask first
    assert found is not None and found.number == UniformInvoice.objects.get().number
    with pytest.raises(DuplicateReference):  # a blind retry is refused anyway
        ecpay.issue(issue_request(relate="P1"))
    assert UniformInvoice.objects.count() == 1


def test_lost_answer_by_timeout(recur_emulator):
    backend = ECPayBackend({**recur_emulator.einvoice_options(), "TIMEOUT": (2, 0.5)})
    recur_emulator.einvoice_lose_answer(seconds=1.5)
    with pytest.raises(AnswerLost) as info:
        backend.issue(issue_request(relate="P1"))
    assert info.value.code == "timeout"
    time.sleep(1.2)  # the emulator finishes its answer
    assert backend.query("P1") is not None


def test_provider_down_makes_nothing(ecpay, recur_emulator):
    recur_emulator.einvoice_down(count=2)
    with pytest.raises(AnswerLost) as info:  # a 503 cannot be told from a lost answer
        ecpay.issue(issue_request(relate="P1"))
    assert info.value.code == "http_503"
    with pytest.raises(AnswerLost):
        ecpay.query("P1")  # still down: ask again later
    assert UniformInvoice.objects.count() == 0
    assert ecpay.query("P1") is None  # up again: nothing was made
    assert ecpay.issue(issue_request(relate="P1")).number


def test_refusal(ecpay, recur_emulator):
    recur_emulator.einvoice_refuse(code=1500001, message="字軌已用罄")
    with pytest.raises(ProviderRefused) as info:
        ecpay.issue(issue_request(relate="P1"))
    assert info.value.code == "1500001" and "字軌已用罄" in info.value.message
    assert UniformInvoice.objects.count() == 0


def test_checks_and_their_unavailability(ecpay, recur_emulator):
    assert ecpay.check_barcode("/ABC+123") is True
    assert ecpay.check_barcode("/NOTREAL") is False  # the emulator's unknown barcode
    assert ecpay.check_love_code("168001") is True
    assert ecpay.check_love_code("000") is False
    recur_emulator.einvoice_check_unavailable(count=2)
    assert ecpay.check_barcode("/ABC+123") is None
    assert ecpay.check_love_code("168001") is None
    assert ecpay.check_barcode("/ABC+123") is True


def test_faults_name_their_operation(ecpay, recur_emulator):
    recur_emulator.einvoice_refuse(operation="Allowance")
    issued = ecpay.issue(issue_request(relate="P1"))  # not hit
    with pytest.raises(ProviderRefused):
        ecpay.allowance(allowance_of(issued, 100))
    assert Fault.objects.count() == 0


# --- void and allowances -------------------------------------------------------------------


def test_void(ecpay):
    issued = ecpay.issue(issue_request(relate="P1"))
    ecpay.void(issued.number, issued.issued_at, "full refund")
    assert ecpay.query("P1").voided
    assert UniformInvoice.objects.get().void_reason == "full refund"
    with pytest.raises(ProviderRefused) as info:
        ecpay.void(issued.number, issued.issued_at, "again")
    assert info.value.code == str(operations.ALREADY_VOIDED)


def test_void_needs_the_right_date(ecpay):
    issued = ecpay.issue(issue_request(relate="P1"))
    with pytest.raises(ProviderRefused) as info:
        ecpay.void(issued.number, issued.issued_at - timedelta(days=3), "refund")
    assert info.value.code == str(operations.NOT_FOUND)


def test_void_is_refused_after_the_filing_cut_off(ecpay, recur_emulator):
    issued = ecpay.issue(issue_request(relate="P1"))
    recur_emulator.advance(days=75)  # past the 13th of the odd month after its period
    with pytest.raises(ProviderRefused) as info:
        ecpay.void(issued.number, issued.issued_at, "refund")
    assert info.value.code == str(operations.PAST_VOID_DEADLINE)
    assert not ecpay.query("P1").voided
    made = ecpay.allowance(allowance_of(issued, 299))  # an allowance instead
    assert made.remaining == 0


def test_allowances_up_to_the_invoice_and_void_only_after_theirs(ecpay):
    issued = ecpay.issue(issue_request(relate="P1"))
    first = ecpay.allowance(allowance_of(issued, 100))
    assert re.fullmatch(r"[0-9]{16}", first.number)
    assert (first.amount, first.remaining, first.invoice_number) == (100, 199, issued.number)
    with pytest.raises(ProviderRefused) as info:
        ecpay.allowance(allowance_of(issued, 200))
    assert info.value.code == str(operations.OVER_REMAINING)
    assert ecpay.query("P1").remaining_allowance == 199
    with pytest.raises(ProviderRefused) as info:
        ecpay.void(issued.number, issued.issued_at, "refund")
    assert info.value.code == str(operations.ALLOWANCES_STANDING)
    ecpay.void_allowance(issued.number, first.number, "mistake")
    assert ecpay.query("P1").remaining_allowance == 299
    assert InvoiceAllowance.objects.get().voided_at is not None
    ecpay.void(issued.number, issued.issued_at, "refund")
    with pytest.raises(ProviderRefused):
        ecpay.allowance(allowance_of(issued, 10))  # voided


def test_a_lost_allowance_answer_is_resolved_through_the_remaining_amount(ecpay, recur_emulator):
    issued = ecpay.issue(issue_request(relate="P1"))
    recur_emulator.einvoice_lose_answer(operation="Allowance")
    with pytest.raises(AnswerLost):
        ecpay.allowance(allowance_of(issued, 120))
    # the caller's books say 299 remained; the provider now says 179: it was made
    assert ecpay.query("P1").remaining_allowance == 299 - 120


# --- the envelope ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"HASH_KEY": "0123456789abcdef"},  # another key
        {"MERCHANT_ID": "9999999"},  # no such merchant
    ],
)
def test_envelopes_the_emulator_refuses(recur_emulator, options):
    backend = ECPayBackend({**recur_emulator.einvoice_options(), **options})
    with pytest.raises(ProviderRefused) as info:
        backend.issue(issue_request())
    assert info.value.code == "trans_999"
    assert UniformInvoice.objects.count() == 0


def test_a_stale_timestamp_is_refused(recur_emulator):
    backend = ECPayBackend(recur_emulator.einvoice_options(), clock=lambda: time.time() - 3600)
    with pytest.raises(ProviderRefused) as info:
        backend.issue(issue_request())
    assert "Timestamp" in info.value.message


def raw_issue(recur_emulator: Any, **data: Any) -> dict[str, Any]:
    """POST an Issue with hand-made Data; the decrypted answer."""
    body = {
        "MerchantID": MERCHANT_ID,
        "RelateNumber": "RAW1",
        "CustomerEmail": "a@x.tw",
        "Print": "0",
        "Donation": "0",
        "CarrierType": "1",
        "CarrierNum": "",
        "TaxType": "1",
        "InvType": "07",
        "SalesAmount": 100,
        "Items": [
            {
                "ItemSeq": 1,
                "ItemName": "x",
                "ItemCount": 1,
                "ItemWord": "式",
                "ItemPrice": 100,
                "ItemTaxType": "1",
                "ItemAmount": 100,
            }
        ],
        **data,
    }
    envelope = ecpay_wire.request_envelope(
        MERCHANT_ID, body, HASH_KEY, HASH_IV, timestamp=int(time.time())
    )
    answer = requests.post(
        recur_emulator.einvoice_url + "/B2CInvoice/Issue", json=envelope, timeout=10
    ).json()
    assert answer["TransCode"] == 1
    return ecpay_wire.decrypt(answer["Data"], HASH_KEY, HASH_IV)


@pytest.mark.parametrize(
    "data",
    [
        {"CarrierType": "", "Print": "0"},  # no carrier, no donation: must print
        {
            "CarrierType": "3",
            "CarrierNum": "/ABC+123",
            "Print": "1",
            "CustomerName": "A",
            "CustomerAddr": "B",
        },
        {
            "Donation": "1",
            "LoveCode": "168001",
            "CustomerIdentifier": "22099131",
            "CarrierType": "",
        },
        {
            "CustomerIdentifier": "12345678",
            "Print": "1",
            "CarrierType": "",
            "CustomerName": "A",
            "CustomerAddr": "B",
        },
        {"CarrierType": "", "Print": "1"},  # printed without name and address
        {"CarrierType": "3", "CarrierNum": "ABC+1234"},
        {"SalesAmount": 101},  # items do not add up
        {"RelateNumber": "P-1"},
        {"CustomerEmail": ""},
        {"Items": [{"ItemName": "x", "ItemCount": 2, "ItemPrice": 40, "ItemAmount": 100}]},
    ],
)
def test_the_emulator_enforces_ecpays_rules(recur_emulator, data):
    answer = raw_issue(recur_emulator, **data)
    assert answer["RtnCode"] == operations.INVALID_FIELD, answer
    assert UniformInvoice.objects.count() == 0


def test_an_unexpected_failure_is_a_500_the_backend_treats_as_lost(ecpay, monkeypatch):
    def broken(merchant_id, data):
        raise RuntimeError("database is locked")

    monkeypatch.setitem(operations.OPERATIONS, "Issue", broken)
    with pytest.raises(AnswerLost) as info:
        ecpay.issue(issue_request())
    assert info.value.code == "http_500"


def test_a_valid_raw_issue(recur_emulator):
    assert raw_issue(recur_emulator)["RtnCode"] == 1


def test_unknown_operation_and_wrong_method(recur_emulator):
    assert (
        requests.post(
            recur_emulator.einvoice_url + "/B2CInvoice/Nope", json={}, timeout=10
        ).status_code
        == 404
    )
    assert (
        requests.get(recur_emulator.einvoice_url + "/B2CInvoice/Issue", timeout=10).status_code
        == 405
    )
    garbage = requests.post(
        recur_emulator.einvoice_url + "/B2CInvoice/Issue", data=b"{", timeout=10
    )
    assert garbage.json()["TransCode"] == 999


def test_the_endpoint_is_404_unless_enabled(recur_emulator, settings):
    settings.RECUR_EMULATOR = {**settings.RECUR_EMULATOR, "ENABLED": None}
    settings.DEBUG = False
    response = requests.post(recur_emulator.einvoice_url + "/B2CInvoice/Issue", json={}, timeout=10)
    assert response.status_code == 404


# --- the fixture, the control endpoint, the command, the admin --------------------------------


@pytest.fixture
def einvoicing(settings):
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {
            "OPTIONS": {"MERCHANT_ID": "3383324", "HASH_KEY": "A" * 16, "HASH_IV": "B" * 16}
        },
    }


def test_the_fixture_points_the_configured_backend_at_the_emulator(einvoicing, recur_emulator):
    backend = factory.get_backend()
    assert backend.api_base == recur_emulator.einvoice_url
    assert backend.issue(issue_request()).number  # the emulator accepts this merchant
    assert UniformInvoice.objects.get().merchant_id == "3383324"
    assert ECPayBackend(recur_emulator.einvoice_options()).check_barcode("/ABC+123")  # sandbox kept


@pytest.fixture
def own_server(settings):
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {"OPTIONS": {**ECPAY_SANDBOX, "API_BASE": "http://127.0.0.1:9/ecpay"}},
    }


def test_the_fixture_leaves_a_server_of_your_own_alone(own_server, recur_emulator):
    assert factory.get_backend().api_base == "http://127.0.0.1:9/ecpay"


@pytest.fixture
def ecpay_stage(settings):
    settings.RECUR = {
        **settings.RECUR,
        "EINVOICE": {
            "OPTIONS": {**ECPAY_SANDBOX, "API_BASE": "https://einvoice-stage.ecpay.com.tw"}
        },
    }


def test_the_fixture_never_lets_tests_reach_ecpay(ecpay_stage, recur_emulator):
    assert factory.get_backend().api_base == recur_emulator.einvoice_url


def test_control_endpoint_and_command_queue_einvoice_faults(recur_emulator, ecpay):
    response = recur_emulator.control(
        fault="einvoice_refusal", code=1234567, message="nope", operation="Issue"
    )
    assert response.status_code == 200, response.text
    with pytest.raises(ProviderRefused) as info:
        ecpay.issue(issue_request())
    assert (info.value.code, info.value.message) == ("1234567", "ecpay Issue: nope")
    call_command(
        "recur_emulator", "fault", "einvoice_down", "--count", "2", "--operation", "GetIssue"
    )
    fault = Fault.objects.get()
    assert (fault.kind, fault.remaining, fault.options) == (
        "einvoice_down",
        2,
        {"operation": "GetIssue"},
    )
    call_command("recur_emulator", "clear-faults")
    assert not Fault.objects.exists()


def test_admin_lists_invoices_and_allowances(ecpay, admin_client):
    issued = ecpay.issue(issue_request(relate="P1"))
    made = ecpay.allowance(allowance_of(issued, 50))
    page = admin_client.get("/admin/recur_emulator/uniforminvoice/")
    assert page.status_code == 200 and issued.number in page.content.decode()
    detail = admin_client.get(
        f"/admin/recur_emulator/uniforminvoice/{UniformInvoice.objects.get().pk}/change/"
    )
    assert made.number in detail.content.decode()
    assert admin_client.get("/admin/recur_emulator/invoiceallowance/?voided=no").status_code == 200
    assert admin_client.get("/admin/recur_emulator/uniforminvoice/?voided=yes").status_code == 200


@pytest.mark.postgres_only
def test_concurrent_issues_get_distinct_sequential_numbers(recur_emulator):
    options = recur_emulator.einvoice_options()
    numbers: list[str] = []
    errors: list[Exception] = []

    def issue(index: int) -> None:
        backend = ECPayBackend(options)
        try:
            numbers.append(backend.issue(issue_request(relate=f"C{index}")).number)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tails = sorted(int(number[2:]) for number in numbers)
    assert tails == list(range(tails[0], tails[0] + 6))


def test_override_without_einvoice_is_off(recur_emulator):
    with override_settings(RECUR={"SECRET_KEY": "sk_test_x"}):
        assert not factory.is_enabled()


@pytest.mark.parametrize(
    "body",
    [
        {"fault": "einvoice_refusal", "message": 5},
        {"fault": "einvoice_refusal", "operation": ""},
        {"fault": "einvoice_down", "status": "503"},
    ],
)
def test_control_endpoint_checks_fault_options(recur_emulator, body):
    assert recur_emulator.control(**body).status_code == 400
    assert not Fault.objects.exists()
