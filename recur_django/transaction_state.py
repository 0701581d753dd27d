"""Is a database transaction open? Recur must never be called inside one.

A Recur call inside ``atomic()`` (or under ``ATOMIC_REQUESTS``) holds SQLite's write lock
or PostgreSQL's row locks for the length of a network round trip, and rows written before
the call (a pending Transaction) stay invisible to the webhook Recur sends meanwhile.
recur_django's own views are exempt from ``ATOMIC_REQUESTS``; the service functions that
call Recur log a warning when a caller runs them inside a transaction.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger("recur_django")


def in_open_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    """True when application code holds a transaction open on ``using``.

    The atomic blocks Django's ``TestCase`` (and pytest-django's ``db`` fixture) open
    around every test do not count: they never commit, so nothing waits on them.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        return False
    blocks = getattr(connection, "atomic_blocks", None)
    if not blocks:
        return True
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def warn_if_in_transaction(action: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Log a warning when ``action`` (about to call Recur) runs inside a transaction."""
    if in_open_transaction(using):
        logger.warning(
            "%s was called inside an open database transaction: the Recur call holds its "
            "locks meanwhile. Call it outside atomic() (use transaction.non_atomic_requests "
            "on a view under ATOMIC_REQUESTS).",
            action,
        )
