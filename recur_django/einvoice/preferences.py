"""The buyer's invoice choice at checkout, remembered per billing owner.

When e-invoicing is on (``RECUR["EINVOICE"]`` set) every checkout carries a validated
:class:`~recur_django.einvoice.choice.InvoiceChoice`:

- the six ``invoice_*`` fields of the request, when it sends any (validated by
  :func:`~recur_django.einvoice.choice.validate_invoice_choice`, existence checks included
  but bounded by :data:`VERIFY_SECONDS`), remembered as the owner's preference;
- else the owner's remembered :class:`~recur_django.models.InvoicePreference`;
- else the default (a member carrier keyed by the owner's e-mail address), not remembered.

:func:`checkout_choice` validates the request's choice (or raises ``ValidationError``,
keyed by field: the views answer 400 ``invalid_invoice``); :func:`default_choice` is what
a checkout without one stores; :func:`remember` upserts the owner's preference;
:func:`error_fields` turns the ``ValidationError`` into ``{field: [messages]}``. When
e-invoicing is off every function answers ``None`` and the fields are ignored.

The existence checks ask the provider over the network: never call :func:`checkout_choice`
or :func:`validate` inside a database transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from recur_django.einvoice import factory
from recur_django.einvoice.choice import FIELDS, InvoiceChoice, validate_invoice_choice
from recur_django.models import InvoicePreference
from recur_django.owners import owner_email, owner_name
from recur_django.transaction_state import warn_if_in_transaction

if TYPE_CHECKING:
    from collections.abc import Callable

    from recur_django.einvoice.backends.base import EInvoiceBackend

logger = logging.getLogger("recur_django.einvoice")

#: The error code of an invalid or contradictory choice (HTTP 400).
INVALID_INVOICE = "invalid_invoice"
INVALID_INVOICE_MESSAGE = _("Check the invoice details.")

#: How long a checkout waits for the provider's barcode / love-code check before going on
#: without it (the check is never a hard gate).
VERIFY_SECONDS = 3.0

_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="recur-einvoice-check")


def has_invoice_fields(data: Mapping[str, Any] | None) -> bool:
    """Whether ``data`` (a form's POST, a JSON body) carries any non-empty invoice field."""
    if not isinstance(data, Mapping):
        return False
    return any(data.get(field) not in (None, "") for field in FIELDS)


def validate(owner: Any, data: Mapping[str, Any], *, verify: bool = True) -> InvoiceChoice:
    """``data``'s six fields as the owner's choice (the owner's e-mail and name attached),
    or ``ValidationError`` keyed by field. ``verify``: ask the provider whether a mobile
    barcode or love code exists, waiting at most :data:`VERIFY_SECONDS`."""
    backend = _bounded_backend() if factory.is_enabled() else None
    if verify and backend is not None:
        warn_if_in_transaction("the e-invoice existence check")
    return validate_invoice_choice(
        data,
        email=owner_email(owner),
        name=owner_name(owner),
        backend=backend,
        verify=verify and backend is not None,
    )


def checkout_choice(
    owner: Any, data: Mapping[str, Any] | None = None, *, verify: bool = True
) -> InvoiceChoice | None:
    """The invoice choice the request makes for ``owner``'s checkout, validated.

    ``None`` when e-invoicing is off, or when the request carries no invoice field: then
    ``start_checkout`` stores the owner's remembered choice, else the default (member
    carrier), and remembers nothing. ``ValidationError`` (keyed by the request field
    names) when the fields are invalid or contradictory, or when the request carries none
    and no choice applies (an owner without an e-mail address and no preference must
    choose).
    """
    if not factory.is_enabled():
        return None
    if has_invoice_fields(data):
        return validate(owner, cast("Mapping[str, Any]", data), verify=verify)
    if remembered_choice(owner) is None:
        validate(owner, {}, verify=False)  # raises when the default cannot apply
    return None


def remembered_choice(owner: Any) -> InvoiceChoice | None:
    """The owner's remembered choice (with its e-mail and name), or ``None``."""
    preference = InvoicePreference.for_owner(owner)
    if preference is None:
        return None
    return preference.as_choice(email=owner_email(owner), name=owner_name(owner))


def default_choice(owner: Any) -> InvoiceChoice | None:
    """What a checkout without invoice fields uses for ``owner`` (server-side code):
    the remembered choice, else the default when it applies; ``None`` when e-invoicing is
    off or no choice applies (an owner without an e-mail address and no preference)."""
    if not factory.is_enabled():
        return None
    remembered = remembered_choice(owner)
    if remembered is not None:
        return remembered
    try:
        return validate(owner, {}, verify=False)
    except ValidationError:
        return None


def remember(owner: Any, choice: InvoiceChoice) -> InvoicePreference:
    """Upsert ``owner``'s preference with ``choice`` (unchanged rows are not written)."""
    preference = InvoicePreference.for_owner(owner)
    if preference is not None and preference.as_fields() == choice.as_fields():
        return preference
    preference, _created = InvoicePreference.objects.update_or_create(
        owner=owner, defaults=choice.attribute_values()
    )
    return preference


def initial_fields(owner: Any) -> dict[str, str]:
    """The six fields to prefill a form with: the remembered choice, else the defaults."""
    remembered = remembered_choice(owner)
    return (remembered or InvoiceChoice()).as_fields()


def error_fields(exc: ValidationError) -> dict[str, list[str]]:
    """``{field: [messages]}`` of a ``ValidationError`` from :func:`validate`."""
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"invoice_kind": [str(m) for m in exc.messages]}


def invalid_invoice_error(exc: ValidationError) -> dict[str, Any]:
    """The ``error`` of a 400 ``invalid_invoice`` for ``exc`` (from :func:`validate`):
    ``{"code", "message", "fields"}``; logs which fields were refused (not their values)."""
    fields = error_fields(exc)
    logger.info("Invoice choice refused: invalid fields %s", ", ".join(sorted(fields)))
    return {"code": INVALID_INVOICE, "message": error_message(fields), "fields": fields}


def error_message(fields: Mapping[str, list[str]]) -> str:
    """One sentence for the ``message`` of a 400 ``invalid_invoice``."""
    first = next((messages[0] for messages in fields.values() if messages), "")
    base = str(INVALID_INVOICE_MESSAGE)
    return f"{base} {first}" if first else base


# -- existence checks with a deadline ---------------------------------------------------


class _Bounded:
    """The configured backend, its existence checks cut off after :data:`VERIFY_SECONDS`
    ("cannot tell": the buyer is not blocked)."""

    def __init__(self, backend: EInvoiceBackend) -> None:
        self._backend = backend

    def validate_choice(self, choice: InvoiceChoice) -> Mapping[str, Any]:
        return self._backend.validate_choice(choice)

    def check_barcode(self, code: str) -> bool | None:
        return _within(self._backend.check_barcode, code, "barcode")

    def check_love_code(self, code: str) -> bool | None:
        return _within(self._backend.check_love_code, code, "love code")


def _within(check: Callable[[str], bool | None], code: str, what: str) -> bool | None:
    future = _checks.submit(check, code)
    try:
        return future.result(timeout=VERIFY_SECONDS)
    except FutureTimeout:
        logger.info("E-invoice %s check gave no answer within %g s: skipped.", what, VERIFY_SECONDS)
    except Exception as exc:  # a backend that breaks its "never raises" promise
        logger.warning("E-invoice %s check failed: %s", what, type(exc).__name__)
    return None


def _bounded_backend() -> EInvoiceBackend:
    return cast("EInvoiceBackend", _Bounded(factory.get_backend()))
