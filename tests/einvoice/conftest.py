"""Helpers for the provider wire tests: ECPay's public sandbox credentials and a fake
ECPay host answering through the real codec (``responses``: this is the provider's wire)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import responses

from recur_django.einvoice.backends import ecpay_wire
from recur_django.einvoice.backends.base import InvoiceItem, IssueRequest
from recur_django.einvoice.backends.ecpay import ECPayBackend
from recur_django.einvoice.choice import InvoiceChoice

MERCHANT_ID = "2000132"
HASH_KEY = "ejCk326UnaZWKisg"
HASH_IV = "q9jcZX8Ib9LM8wYk"
HOST = "https://einvoice-stage.ecpay.com.tw"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z

ECPAY_OPTIONS = {"MERCHANT_ID": MERCHANT_ID, "HASH_KEY": HASH_KEY, "HASH_IV": HASH_IV}


def ecpay(**options: Any) -> ECPayBackend:
    return ECPayBackend({**ECPAY_OPTIONS, **options}, clock=lambda: NOW)


def issue_request(
    choice: InvoiceChoice | None = None, amount: int = 299, relate: str = "P1"
) -> IssueRequest:
    return IssueRequest(
        relate_number=relate,
        choice=choice or InvoiceChoice(kind="member", email="amy@example.com", name="Amy"),
        items=(InvoiceItem("Pro (monthly)", 1, amount, amount),),
        amount=amount,
    )


class FakeECPay:
    """Answers ``/B2CInvoice/<op>`` with encrypted ``Data``; records decrypted requests."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.requests: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def answer(
        self,
        operation: str,
        data: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
        *,
        trans_code: int = 1,
        trans_msg: str = "Success",
        key: str = HASH_KEY,
    ) -> None:
        def callback(request: Any) -> tuple[int, dict[str, str], str]:
            envelope = json.loads(request.body)
            plain = ecpay_wire.decrypt(envelope["Data"], HASH_KEY, HASH_IV)
            self.requests.append((operation, envelope, plain))
            answer = data(plain) if callable(data) else data
            body = ecpay_wire.answer_envelope(
                MERCHANT_ID,
                answer,
                key,
                HASH_IV,
                timestamp=NOW,
                trans_code=trans_code,
                trans_msg=trans_msg,
            )
            body["RpHeader"].update(
                {"RqID": "133d9e65-e8fe-4ffe-91fa-cc2152c42dde", "Revision": None}
            )
            return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False)

        self.mock.add_callback(responses.POST, f"{HOST}/B2CInvoice/{operation}", callback=callback)

    def last(self) -> dict[str, Any]:
        return self.requests[-1][2]


@pytest.fixture
def fake_ecpay():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeECPay(mock)


# The service flows' fixtures (e-invoicing on against the emulator, a buyer, the signals).
from tests.einvoice.flows import einvoice_sent, einvoicing  # noqa: E402, F401
from tests.ledger_e2e.conftest import buyer  # noqa: E402, F401
