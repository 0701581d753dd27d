"""Rows made of ``recur_trigger``'s invented ids: test data, kept out of the billing overview.

``manage.py recur_trigger`` sends events Recur never sent. The ids in them that stand for
Recur objects — customers, subscriptions, orders, invoices, refunds, checkout sessions — are
made up by :func:`new_id` as ``<prefix>_trigger_<hex>`` (``sub_trigger_3f9a…``). The ledger
and the subscription mirror store them as given, so every row such an event writes carries
the marker in its ``recur_id``: recognisable by construction, with no flag to keep in step.
Recur's own ids are a prefix and one random token, never ``_trigger_``.

:func:`triggered_q` selects those rows; :mod:`recur_django.billing_overview` excludes them,
and ``Payment.objects.filter(triggered_q())`` (or the admin's search for ``_trigger_``)
finds them to delete.
"""

from __future__ import annotations

import secrets

from django.db.models import Q

#: What every id ``recur_trigger`` invents contains.
MARKER = "_trigger_"


def new_id(prefix: str) -> str:
    """A made-up Recur id: ``new_id("sub")`` is ``sub_trigger_<16 hex digits>``."""
    return f"{prefix}{MARKER}{secrets.token_hex(8)}"


def is_triggered(recur_id: str | None) -> bool:
    """Whether ``recur_id`` was made up by ``recur_trigger`` (test data)."""
    return MARKER in (recur_id or "")


def triggered_q(field: str = "recur_id") -> Q:
    """Rows whose ``field`` (a Recur id, or a lookup through a relation) is made up."""
    return Q(**{f"{field}__contains": MARKER})
