"""For the shop's live-server tests: ``RECUR`` for a shop served at another address (the
emulator mounted on it), Recur's API and the e-invoice endpoint both."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def recur_served_at(base_url: str) -> dict[str, Any]:
    """``settings.RECUR`` with its API base, and the e-invoice backend's, on ``base_url``."""
    recur = {**settings.RECUR, "API_BASE": base_url + "/_recur"}
    einvoice = recur.get("EINVOICE")
    if isinstance(einvoice, dict):
        options = {**einvoice.get("OPTIONS", {}), "API_BASE": base_url + "/_recur/einvoice"}
        recur["EINVOICE"] = {**einvoice, "OPTIONS": options}
    return recur
