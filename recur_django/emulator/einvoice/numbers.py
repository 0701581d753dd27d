"""Invoice and allowance numbers: sequential per two-month period, like a real track."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction

from recur_django.einvoice.rules import TAIPEI, Period
from recur_django.emulator.models import InvoiceAllowance, InvoiceTrack

FIRST_NUMBER = 10_000_000


def track_prefix(period: Period) -> str:
    """Two capital letters per period (``GA`` for 2026-01/02), as the MOF assigns tracks."""
    index = (period.year - 2000) * 6 + (period.month - 1) // 2
    return chr(65 + index // 26 % 26) + chr(65 + index % 26)


def next_invoice_number(period: Period) -> str:
    """The next number of ``period``'s track (``GA10000000``, ``GA10000001``…)."""
    with transaction.atomic():
        track = InvoiceTrack.objects.select_for_update().filter(period=period.code).first()
        if track is None:
            try:
                with transaction.atomic():
                    InvoiceTrack.objects.create(
                        period=period.code, prefix=track_prefix(period), next_number=FIRST_NUMBER
                    )
            except IntegrityError:
                pass  # a concurrent first invoice of the period made it
            track = InvoiceTrack.objects.select_for_update().get(period=period.code)
        number = f"{track.prefix}{track.next_number:08d}"
        track.next_number += 1
        track.save(update_fields=["next_number"])
    return number


def random_number() -> str:
    """The invoice's 4-digit random number (防偽隨機碼)."""
    return f"{secrets.randbelow(10_000):04d}"


def allowance_number(moment: datetime) -> str:
    """16 digits: the Taipei time to the second and a sequence (``2026010113260800``)."""
    stem = moment.astimezone(TAIPEI).strftime("%Y%m%d%H%M%S")
    taken = set(
        InvoiceAllowance.objects.filter(number__startswith=stem).values_list("number", flat=True)
    )
    for sequence in range(100):
        candidate = f"{stem}{sequence:02d}"
        if candidate not in taken:
            return candidate
    raise RuntimeError("more than 100 allowances in one second")
