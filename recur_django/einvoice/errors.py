"""Every error an e-invoice backend raises. No Django import (third parties test alone).

::

    EInvoiceError                 base; .code, .message, .retryable, .ask_first
    ├── ProviderRefused           a definitive refusal (RtnCode / Status): not retried blindly
    │   └── DuplicateReference    the relate number was used already: ask ``query``
    ├── AnswerLost                the request may have reached the provider: ask, then retry
    ├── ProviderUnavailable       surely not done (refused connection, DNS): retry later
    └── ConfigurationError        the backend's options are wrong (missing credentials…)

``ask_first`` is True where the operation may have happened (or the reference was used):
ask the provider (``backend.query``) before anything is sent again. ``retryable`` is True
where sending again later is safe once the provider said it has nothing. Messages come
from the provider or from us, never contain a HashKey or HashIV, and are safe to log.
"""

from __future__ import annotations

__all__ = [
    "AnswerLost",
    "ConfigurationError",
    "DuplicateReference",
    "EInvoiceError",
    "ProviderRefused",
    "ProviderUnavailable",
]


class EInvoiceError(Exception):
    """Base of every e-invoice backend error.

    Attributes:
        code: the provider's code (``"1600003"``, ``"LIB10003"``…) or ours
            (``"timeout"``, ``"http_502"``, ``"bad_answer"``…).
        message: human-readable, without secrets.
        retryable: sending again later is safe (after asking, when ``ask_first``).
        ask_first: the operation may have happened: ask the provider before retrying.
    """

    retryable: bool = False
    ask_first: bool = False

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ProviderRefused(EInvoiceError):
    """The provider answered and refused (``RtnCode`` ≠ 1, ``Status`` ≠ ``SUCCESS``…).

    Definitive for this request: sending it again unchanged gets the same answer. Store
    the message for a person (or fix the data) instead of retrying blindly.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=str(code))


class DuplicateReference(ProviderRefused):
    """A refusal that means "this relate number was used already".

    The invoice may well exist (an earlier attempt whose answer was lost): ask
    ``backend.query(relate_number)`` and complete the row from its answer. Catch it before
    :class:`ProviderRefused`.
    """

    ask_first = True

    def __init__(self, code: str, message: str, *, relate_number: str = "") -> None:
        super().__init__(code, message)
        self.relate_number = relate_number


class AnswerLost(EInvoiceError):
    """The request may have reached the provider and been carried out, but no usable
    answer came back: a read timeout, a dropped connection, a 5xx, an answer that does not
    decode or verify. Ask the provider (``query``) before sending it again."""

    retryable = True
    ask_first = True


class ProviderUnavailable(EInvoiceError):
    """The request surely did not reach the provider (connection refused, DNS failure,
    connect timeout, rate limited before processing): try again later."""

    retryable = True


class ConfigurationError(EInvoiceError, ValueError):
    """The backend's ``OPTIONS`` are unusable (missing credentials, a key of the wrong
    length, an API base that is not a URL). The system checks report it."""
