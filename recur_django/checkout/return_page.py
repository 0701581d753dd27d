"""The return page: a buyer back from Recur with a checkout session id.

The page retrieves the session with the secret key and, when it is paid, completes the
transaction through :func:`~recur_django.checkout.fulfilment.fulfil` (safe when the
webhook already did); the webhook remains the source of truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError

from recur_django.checkout.fulfilment import FAILED_STATUS, fulfil, mark_failed
from recur_django.client.errors import RecurError
from recur_django.client_factory import get_client
from recur_django.exceptions import FulfilmentRejected
from recur_django.models import Transaction
from recur_django.owners import is_owner
from recur_django.payloads import CheckoutData

logger = logging.getLogger("recur_django.checkout")


@dataclass(frozen=True)
class ReturnState:
    """What the return page shows: ``state`` is "success", "processing" or "failed"."""

    state: str
    transaction: Transaction


def confirm_return(owner: Any, session_id: str) -> ReturnState | None:
    """Handle a buyer coming back from Recur with ``session_id``, acting for ``owner``.

    Returns None when ``owner`` has no transaction with that session (another owner's, or
    unknown). Otherwise retrieves the session and, when it is complete, fulfils the
    transaction through :func:`fulfil` (safe if the webhook already did). Never raises for
    API trouble: the page then says "processing" and the webhook finishes the job.
    """
    if not session_id or not is_owner(owner):
        return None
    txn = Transaction.objects.filter(checkout_session_id=session_id, owner_id=owner.pk).first()
    if txn is None:
        return None
    if txn.status == Transaction.Status.COMPLETED:
        return ReturnState("success", txn)
    try:
        session = get_client().checkout_sessions.retrieve(session_id)
    except RecurError as exc:
        logger.warning(
            "Could not retrieve checkout session for %s: %s", txn.public_id, type(exc).__name__
        )
        return ReturnState(_state_of(txn), txn)
    data = CheckoutData.from_session(session)
    status = str(getattr(session, "status", "") or "").strip().lower()
    if status in {"complete", "completed", "paid", "succeeded"}:
        try:
            # The session was just retrieved with the secret key: it is Recur's own answer.
            result = fulfil(txn, session_data=data, source="return_page", confirmed=data)
        except FulfilmentRejected as exc:
            logger.warning("Return page did not fulfil %s: %s", txn.public_id, exc)
            txn.refresh_from_db()
            return ReturnState(_state_of(txn), txn)
        except OperationalError as exc:
            # The webhook is writing the same rows (a busy SQLite file, a lock timeout):
            # it completes the payment, so the buyer sees "processing" instead of an error.
            logger.warning("Return page could not fulfil %s now: %s", txn.public_id, exc)
            return ReturnState(_state_of(txn), txn)
        return ReturnState("success", result.transaction)
    if data.outcome in FAILED_STATUS:
        try:
            result = mark_failed(
                txn,
                reason=f"checkout session {status}",
                outcome=data.outcome,
                session_data=data,
                source="return_page",
            )
            return ReturnState(_state_of(result.transaction), result.transaction)
        except FulfilmentRejected as exc:
            logger.warning("Return page did not update %s: %s", txn.public_id, exc)
        except OperationalError as exc:
            logger.warning("Return page could not update %s now: %s", txn.public_id, exc)
            return ReturnState(_state_of(txn), txn)
    txn.refresh_from_db()
    return ReturnState(_state_of(txn), txn)


def _state_of(txn: Transaction) -> str:
    if txn.status == Transaction.Status.COMPLETED:
        return "success"
    if txn.status == Transaction.Status.PENDING:
        return "processing"
    return "failed"
