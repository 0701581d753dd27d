"""``POST <mount>/einvoice/B2CInvoice/<Operation>``: ECPay's envelope, faults, the answer.

Order: the operation exists (404), the body is an envelope of a known merchant (else
``TransCode`` 999 with a ``TransMsg``, as a refused envelope), the timestamp is within 10
minutes of real time (ECPay checks its own clock, not a test clock), ``Data`` decrypts;
then an injected fault, then the operation. Every answer but a fault's is ECPay's JSON
envelope with the result encrypted under the merchant's key.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recur_django.einvoice.backends import ecpay_wire
from recur_django.emulator import faults
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.einvoice.operations import (
    CHECK_UNAVAILABLE,
    CHECKS,
    INVALID_FIELD,
    OPERATIONS,
    Refusal,
)

logger = logging.getLogger("recur_django.emulator")

MAX_BODY_BYTES = 256 * 1024
TIMESTAMP_WINDOW = 600  # seconds, like ECPay
REFUSED_ENVELOPE = 999


def _envelope_refused(merchant_id: str, message: str) -> JsonResponse:
    body = {
        "PlatformID": "",
        "MerchantID": merchant_id,
        "RpHeader": {"Timestamp": int(time.time())},
        "TransCode": REFUSED_ENVELOPE,
        "TransMsg": message,
        "Data": "",
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _answer(merchant_id: str, key: str, iv: str, data: dict[str, Any]) -> JsonResponse:
    body = ecpay_wire.answer_envelope(merchant_id, data, key, iv, timestamp=int(time.time()))
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def b2c_invoice(request: HttpRequest, operation: str) -> HttpResponse:
    handler = OPERATIONS.get(operation)
    if handler is None:
        return JsonResponse({"error": f"Unknown operation {operation!r}."}, status=404)
    if len(request.body) > MAX_BODY_BYTES:
        return _envelope_refused("", "Request too large.")
    try:
        envelope = ecpay_wire.read_envelope(request.body)
    except ecpay_wire.WireError as exc:
        return _envelope_refused("", f"Invalid request: {exc}.")
    merchant_id = str(envelope.get("MerchantID") or "")
    credentials = emulator_settings.einvoice_credentials(merchant_id)
    if credentials is None:
        return _envelope_refused(merchant_id, "MerchantID is not an e-invoice merchant here.")
    key, iv = credentials
    header = envelope.get("RqHeader")
    stamp = header.get("Timestamp") if isinstance(header, dict) else None
    if not isinstance(stamp, int | float) or abs(time.time() - float(stamp)) > TIMESTAMP_WINDOW:
        return _envelope_refused(merchant_id, "Timestamp is missing or not within 10 minutes.")
    try:
        data = ecpay_wire.decrypt(str(envelope.get("Data") or ""), key, iv)
    except ecpay_wire.WireError:
        return _envelope_refused(
            merchant_id, "Data could not be decrypted with this merchant's key."
        )

    fault = faults.take_einvoice_fault(operation)
    if fault is not None and fault.kind == "einvoice_down":
        return HttpResponse("Service Unavailable", status=_status(fault, 503))
    if fault is not None and fault.kind == "einvoice_refusal":
        code = int(fault.number("code", 9999999))
        message = fault.text("message", "Emulated refusal.")
        return _answer(merchant_id, key, iv, {"RtnCode": code, "RtnMsg": message})
    if fault is not None and fault.kind == "einvoice_check_unavailable" and operation in CHECKS:
        maintenance = {"RtnCode": CHECK_UNAVAILABLE, "RtnMsg": "財政部大平台維護中, 請稍後再試"}
        return _answer(merchant_id, key, iv, maintenance)

    try:
        if str(data.get("MerchantID") or "") != merchant_id:
            raise Refusal(INVALID_FIELD, "Data 的 MerchantID 與傳入的不符 (MerchantID mismatch).")
        result = handler(merchant_id, data)
    except Refusal as refusal:
        result = {"RtnCode": refusal.code, "RtnMsg": refusal.message}
    except Exception as exc:  # a test double says what broke, never a debug page
        logger.exception("Emulator e-invoice error on %s", operation)
        cause = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return JsonResponse({"error": f"The emulator failed unexpectedly ({cause})."}, status=500)
    logger.debug("emulator einvoice %s -> RtnCode %s", operation, result.get("RtnCode"))
    if fault is not None and fault.kind == "einvoice_lost_answer":
        # Carried out and committed; the answer never reaches the caller.
        time.sleep(max(0.0, fault.number("seconds", 0)))
        return HttpResponse("Gateway Timeout", status=_status(fault, 504))
    return _answer(merchant_id, key, iv, result)


def _status(fault: faults.ActiveFault, default: int) -> int:
    status = int(fault.number("status", default))
    return status if 500 <= status <= 599 else default
