from __future__ import annotations

from tests.ledger.conftest import deliver, sent  # noqa: F401  (the ledger's fixtures)
