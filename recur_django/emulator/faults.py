"""Injected faults: from ``RECUR_EMULATOR["FAULTS"]`` (standing) and the control endpoint.

API faults (``"500"``, ``"429"``, ``"hang"``) hit the next N calls under ``/v1/``.
Webhook faults (``"duplicate"``, ``"out_of_order"``, ``"delay"``, ``"bad_signature"``)
shape the deliveries of the next N emitted events. E-invoice faults hit the next N calls
of the ECPay-compatible endpoint whose operation they name (``"operation": "Issue"``…):

- ``"einvoice_lost_answer"`` (default Issue): the operation is carried out and committed,
  then the answer is lost: HTTP ``status`` (504) after ``seconds`` (0);
- ``"einvoice_down"`` (default every operation): HTTP ``status`` (503), nothing done;
- ``"einvoice_check_unavailable"`` (CheckBarcode and CheckLoveCode): the MOF check is
  under maintenance (``RtnCode`` 9000001);
- ``"einvoice_refusal"`` (default Issue): refused with ``code`` and ``message``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.models import Fault

API_FAULTS = frozenset({"500", "429", "hang"})
WEBHOOK_FAULTS = frozenset({"duplicate", "out_of_order", "delay", "bad_signature"})
EINVOICE_FAULTS = frozenset(
    {"einvoice_lost_answer", "einvoice_down", "einvoice_check_unavailable", "einvoice_refusal"}
)
KINDS = API_FAULTS | WEBHOOK_FAULTS | EINVOICE_FAULTS
#: Options given as text (every other option is a number).
TEXT_OPTIONS = frozenset({"operation", "message"})

#: The e-invoice operations each fault hits when it names none (None: every operation).
EINVOICE_DEFAULT_OPERATIONS: dict[str, frozenset[str] | None] = {
    "einvoice_lost_answer": frozenset({"Issue"}),
    "einvoice_down": None,
    "einvoice_check_unavailable": frozenset({"CheckBarcode", "CheckLoveCode"}),
    "einvoice_refusal": frozenset({"Issue"}),
}


@dataclass(frozen=True)
class ActiveFault:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    def number(self, name: str, default: float) -> float:
        value = self.options.get(name, default)
        return float(value) if isinstance(value, int | float) else default

    def text(self, name: str, default: str) -> str:
        value = self.options.get(name)
        return str(value) if isinstance(value, str | int) and str(value) else default

    def hits(self, operation: str) -> bool:
        """Whether this e-invoice fault applies to ``operation``."""
        named = self.options.get("operation")
        if named:
            return str(named).lower() == operation.lower()
        default = EINVOICE_DEFAULT_OPERATIONS.get(self.kind)
        return default is None or operation in default


def add(kind: str, count: int = 1, **options: Any) -> Fault:
    """Queue ``kind`` for the next ``count`` calls (or events)."""
    if kind not in KINDS:
        raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(KINDS)}")
    return Fault.objects.create(kind=kind, remaining=max(1, int(count)), options=options)


def clear() -> int:
    """Remove every queued fault; returns how many were removed."""
    deleted, _ = Fault.objects.all().delete()
    return deleted


def _standing(kinds: frozenset[str]) -> list[ActiveFault]:
    found = []
    for spec in emulator_settings.FAULTS or []:
        if isinstance(spec, dict) and spec.get("fault") in kinds:
            options = {k: v for k, v in spec.items() if k not in ("fault", "count")}
            found.append(ActiveFault(str(spec["fault"]), options))
    return found


def _take(kinds: frozenset[str], first_only: bool) -> list[ActiveFault]:
    taken = _standing(kinds)
    if first_only and taken:
        return taken[:1]
    with transaction.atomic():
        queued = Fault.objects.select_for_update().filter(kind__in=kinds, remaining__gt=0)
        seen: set[str] = {f.kind for f in taken}
        for fault in queued.order_by("id"):
            if fault.kind in seen:
                continue
            seen.add(fault.kind)
            taken.append(ActiveFault(fault.kind, dict(fault.options or {})))
            if fault.remaining <= 1:
                fault.delete()
            else:
                fault.remaining -= 1
                fault.save(update_fields=["remaining"])
            if first_only:
                break
    return taken


def take_api_fault() -> ActiveFault | None:
    """The fault for this API call, if one is queued (consumes one count)."""
    found = _take(API_FAULTS, first_only=True)
    return found[0] if found else None


def take_einvoice_fault(operation: str) -> ActiveFault | None:
    """The fault for this call of the e-invoice ``operation`` (consumes one count)."""
    for standing in _standing(EINVOICE_FAULTS):
        if standing.hits(operation):
            return standing
    with transaction.atomic():
        queued = Fault.objects.select_for_update().filter(kind__in=EINVOICE_FAULTS, remaining__gt=0)
        for fault in queued.order_by("id"):
            found = ActiveFault(fault.kind, dict(fault.options or {}))
            if not found.hits(operation):
                continue
            if fault.remaining <= 1:
                fault.delete()
            else:
                fault.remaining -= 1
                fault.save(update_fields=["remaining"])
            return found
    return None


def take_webhook_faults() -> dict[str, ActiveFault]:
    """The webhook faults for the event being emitted, by kind (consumes one count each)."""
    return {f.kind: f for f in _take(WEBHOOK_FAULTS, first_only=False)}
