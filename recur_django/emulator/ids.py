"""Random public ids shaped like Recur's (``cs_…``, ``cus_…``, ``sub_…``)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 20) -> str:
    """``prefix`` + ``_`` + ``length`` random Base62 characters."""
    return f"{prefix}_{short_code(length)}"


def short_code(length: int = 15) -> str:
    """A Base62 code, as Recur uses for payment-link ``url_id``."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
