"""The e-invoice provider interface. No Django import: a backend can be tested alone.

A backend is a class taking the ``OPTIONS`` mapping of ``RECUR["EINVOICE"]``::

    class MyBackend(EInvoiceBackend):
        name = "myprovider"

        def issue(self, request: IssueRequest) -> IssuedInvoice: ...
        def query(self, relate_number, *, amount=None) -> ProviderInvoice | None: ...
        def void(self, number, issued_at, reason) -> None: ...
        def allowance(self, request: AllowanceRequest) -> IssuedAllowance: ...
        def void_allowance(self, invoice_number, allowance_number, reason) -> None: ...

and optionally ``validate_choice``, ``check_barcode``, ``check_love_code``, ``close`` and
the two configuration facts the system checks read (``uses_test_credentials``,
``uses_test_host``).

Failures raise the errors of :mod:`recur_django.einvoice.errors` — and only those (a
programming error such as an over-long relate number is a ``ValueError`` before anything
is sent). The caller's rules, which every backend must make possible:

- **Issue exactly once.** ``relate_number`` is the caller's unique reference. After
  :class:`~recur_django.einvoice.errors.AnswerLost` or
  :class:`~recur_django.einvoice.errors.DuplicateReference`, ask ``query(relate_number)``
  first: a :class:`ProviderInvoice` means it was issued (use it), ``None`` means it was
  not (issuing again is safe).
- **Void**: after ``AnswerLost``, ``query`` tells (``ProviderInvoice.voided``).
- **Allowance**: providers take no reference for an allowance, so after ``AnswerLost``
  compare ``query(...).remaining_allowance`` with what the caller's own books expect:
  the invoice's amount minus every allowance already recorded. If it is lower by this
  allowance's amount, the allowance was made (its number then comes from the provider's
  dashboard); if it is unchanged, it was not. ``remaining_allowance`` is ``None`` where
  the provider does not report it (ezPay): leave such an allowance for a person.
- Never call a backend inside a database transaction: call, then write.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from recur_django.einvoice.errors import ConfigurationError
from recur_django.einvoice.rules import TaxSplit, tax_split

if TYPE_CHECKING:
    from recur_django.einvoice.choice import InvoiceChoice

__all__ = [
    "AllowanceRequest",
    "EInvoiceBackend",
    "InvoiceItem",
    "IssueRequest",
    "IssuedAllowance",
    "IssuedInvoice",
    "ProviderInvoice",
    "TaxSplit",
    "as_int",
    "clean_reason",
    "tax_split",
]

RELATE_NUMBER_PATTERN = re.compile(r"[A-Za-z0-9]{1,30}")
INVOICE_NUMBER_PATTERN = re.compile(r"[A-Z]{2}[0-9]{8}")
DEFAULT_TIMEOUT = (5.0, 30.0)


@dataclass(frozen=True)
class InvoiceItem:
    """One line: ``count`` x ``unit_price`` (tax-inclusive whole TWD) = ``amount`` (the
    providers refuse a line that does not multiply out)."""

    name: str
    count: int
    unit_price: int
    amount: int
    unit: str = "式"

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError("an item needs a name")
        for attribute in ("count", "unit_price", "amount"):
            value = getattr(self, attribute)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"item {attribute} must be a non-negative int, not {value!r}")
        if self.count == 0:
            raise ValueError("item count must be at least 1")
        if self.count * self.unit_price != self.amount:
            raise ValueError(f"item amount {self.amount} is not {self.count} x {self.unit_price}")


def _check_items(items: tuple[InvoiceItem, ...], amount: int, what: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"{what} amount must be a positive int of TWD, not {amount!r}")
    if not items:
        raise ValueError(f"{what} needs at least one item")
    if any(not isinstance(item, InvoiceItem) for item in items):
        raise TypeError("items must be InvoiceItem instances")
    if sum(item.amount for item in items) != amount:
        raise ValueError(
            f"the items' amounts add up to {sum(i.amount for i in items)}, not {amount}"
        )


@dataclass(frozen=True)
class IssueRequest:
    """What to invoice.

    ``relate_number``: the caller's unique reference (≤ 30 letters and digits; some
    providers take fewer: ``backend.max_relate_number_length``). ``amount``: the
    tax-inclusive total in whole TWD, equal to the items' amounts.
    """

    relate_number: str
    choice: InvoiceChoice
    items: tuple[InvoiceItem, ...]
    amount: int

    def __post_init__(self) -> None:
        if not isinstance(self.relate_number, str) or not RELATE_NUMBER_PATTERN.fullmatch(
            self.relate_number
        ):
            raise ValueError(
                f"relate_number must be 1 to 30 letters or digits, not {self.relate_number!r}"
            )
        object.__setattr__(self, "items", tuple(self.items))
        _check_items(self.items, self.amount, "an invoice's")

    @property
    def tax(self) -> TaxSplit:
        """The 5 % split of ``amount`` (shown apart on a B2B invoice)."""
        return tax_split(self.amount)


@dataclass(frozen=True)
class IssuedInvoice:
    """The provider's answer to an issue: ``number`` (``AB12345678``), ``random_number``
    (4 digits), ``issued_at`` (aware, UTC). ``raw`` is the decrypted answer (no secrets)."""

    number: str
    random_number: str
    issued_at: datetime
    relate_number: str
    amount: int
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class ProviderInvoice:
    """An invoice as the provider knows it (``query``).

    ``amount`` is tax-inclusive. ``remaining_allowance``: what allowances may still take
    (the amount minus standing allowances), or ``None`` where the provider does not say.
    """

    number: str
    random_number: str
    issued_at: datetime
    relate_number: str
    amount: int
    voided: bool
    remaining_allowance: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class AllowanceRequest:
    """An allowance (折讓) of ``amount`` (tax-inclusive) against an issued invoice.

    ``email``: where the provider sends the allowance notice (none when empty).
    """

    invoice_number: str
    invoice_issued_at: datetime
    relate_number: str
    amount: int
    items: tuple[InvoiceItem, ...]
    email: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if not INVOICE_NUMBER_PATTERN.fullmatch(str(self.invoice_number)):
            raise ValueError(f"not an invoice number: {self.invoice_number!r}")
        object.__setattr__(self, "items", tuple(self.items))
        _check_items(self.items, self.amount, "an allowance's")

    @property
    def tax(self) -> TaxSplit:
        return tax_split(self.amount)


@dataclass(frozen=True)
class IssuedAllowance:
    """The provider's answer to an allowance: its ``number``, the ``amount`` allowed, and
    ``remaining`` (what the invoice may still allow, when the provider says)."""

    number: str
    invoice_number: str
    amount: int
    issued_at: datetime
    remaining: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


class EInvoiceBackend(abc.ABC):
    """Base class of provider backends; see the module docstring for the rules.

    Subclasses keep credentials in private attributes: ``repr()`` and every error and log
    line show the merchant id at most.
    """

    #: Short provider name the caller stores with each invoice ("ecpay", "ezpay").
    name: ClassVar[str] = ""
    #: The longest relate number the provider takes.
    max_relate_number_length: ClassVar[int] = 30

    def __init__(self, options: Mapping[str, Any]) -> None:
        if not isinstance(options, Mapping):
            raise ConfigurationError("OPTIONS must be a mapping.")
        self._options = dict(options)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} merchant={self.merchant_id!r}>"

    # -- options --------------------------------------------------------------------

    @property
    def merchant_id(self) -> str:
        return str(self._options.get("MERCHANT_ID") or "")

    def option(self, name: str, default: Any = None) -> Any:
        """``OPTIONS[name]``, ``default`` when missing or empty."""
        value = self._options.get(name)
        return default if value in (None, "") else value

    def required_options(self, *names: str, secret: tuple[str, ...] = ()) -> dict[str, str]:
        """The named options (and the ``secret`` ones) as text; ConfigurationError naming
        every one missing. Secret options are removed from the options kept on the backend:
        keep them in private attributes."""
        wanted = (*names, *secret)
        missing = [name for name in wanted if not str(self.option(name, "")).strip()]
        if missing:
            raise ConfigurationError(
                f"{type(self).__name__} needs OPTIONS {', '.join(missing)}.",
                code="missing_credentials",
            )
        values = {name: str(self.option(name)).strip() for name in wanted}
        for name in secret:
            self._options.pop(name, None)
        return values

    def timeout_option(self) -> tuple[float, float]:
        """``OPTIONS["TIMEOUT"]``: seconds (one number for connecting and reading, or a
        ``(connect, read)`` pair); default ``(5.0, 30.0)``."""
        value = self.option("TIMEOUT", DEFAULT_TIMEOUT)
        pair = value if isinstance(value, list | tuple) else (value, value)
        if len(pair) != 2 or not all(_positive_number(v) for v in pair):
            raise ConfigurationError(
                f"OPTIONS TIMEOUT must be a positive number of seconds or a (connect, read) "
                f"pair, not {value!r}.",
                code="invalid_timeout",
            )
        return float(pair[0]), float(pair[1])

    def api_base_option(self, default: str) -> str:
        """``OPTIONS["API_BASE"]`` without a trailing slash; an http(s) URL."""
        base = str(self.option("API_BASE", default)).strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"OPTIONS API_BASE must be an http(s) URL, not {base!r}.", code="invalid_api_base"
            )
        return base

    # -- configuration facts the system checks read ---------------------------------

    @property
    def uses_test_credentials(self) -> bool:
        """The provider's public sandbox credentials (warned about with DEBUG off)."""
        return False

    @property
    def uses_test_host(self) -> bool:
        """A test host: the provider's stage host, or plain HTTP (the emulator)."""
        return False

    # -- the buyer's choice ----------------------------------------------------------

    def validate_choice(self, choice: InvoiceChoice) -> Mapping[str, Any]:
        """Extra rules of this provider: request field name -> message (or messages).

        Called with a choice that passed the common rules. Empty when all is well.
        """
        return {}

    # -- operations -------------------------------------------------------------------

    @abc.abstractmethod
    def issue(self, request: IssueRequest) -> IssuedInvoice:
        """Issue the invoice. ``AnswerLost`` / ``DuplicateReference``: ``query`` first."""

    @abc.abstractmethod
    def query(self, relate_number: str, *, amount: int | None = None) -> ProviderInvoice | None:
        """The invoice issued under ``relate_number``, or ``None`` when the provider has
        none. ``amount`` (tax-inclusive): required by providers that search by reference
        and amount (ezPay); pass it always."""

    @abc.abstractmethod
    def void(self, number: str, issued_at: datetime, reason: str) -> None:
        """Void (作廢) an issued invoice; ``reason`` is required by the providers."""

    @abc.abstractmethod
    def allowance(self, request: AllowanceRequest) -> IssuedAllowance:
        """Issue an allowance (折讓). After ``AnswerLost`` see the module docstring."""

    @abc.abstractmethod
    def void_allowance(self, invoice_number: str, allowance_number: str, reason: str) -> None:
        """Void an allowance (its amount may be allowed again)."""

    def check_barcode(self, code: str) -> bool | None:
        """Whether the mobile barcode exists; ``None`` when the check is unavailable
        (no such service, MOF maintenance, any failure). Never raises; never a hard gate."""
        return None

    def check_love_code(self, code: str) -> bool | None:
        """Whether a charity has this love code; ``None`` when unavailable. Never raises."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release pooled connections (the configured backend is closed on setting changes)."""


def clean_reason(reason: str, limit: int) -> str:
    """A void reason as providers take it: one line, at most ``limit`` characters;
    ValueError when empty (the providers require one)."""
    text = " ".join(str(reason or "").split())[:limit].strip()
    if not text:
        raise ValueError("a reason is required")
    return text


def as_int(value: Any, default: int = 0) -> int:
    """A provider's number (``10``, ``"10"``, ``"10.0"``) as an int; ``default`` otherwise."""
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
