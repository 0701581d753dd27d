"""The buyer's invoice choice, as data, and the one function that validates it.

Checkout forms, the REST API and the preference view send the same six fields::

    invoice_kind       member (default) | mobile | certificate | donation | company
    invoice_carrier    the mobile barcode or the citizen certificate number
    invoice_love_code  the charity's love code (donation)
    invoice_ubn        the company's 統一編號 (company)
    invoice_title      the company name printed on the invoice (company)
    invoice_address    the address printed on it (company; ECPay requires it)

:func:`validate_invoice_choice` turns them into an :class:`InvoiceChoice` or raises one
``ValidationError`` whose ``message_dict`` names the offending fields by those names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recur_django.einvoice import factory, validators

if TYPE_CHECKING:
    from recur_django.einvoice.backends.base import EInvoiceBackend


class InvoiceKind(models.TextChoices):
    """Where the invoice goes: a carrier (member, mobile, certificate), a charity, a company."""

    MEMBER = "member", _("Member carrier (by e-mail)")
    MOBILE = "mobile", _("Mobile barcode")
    CERTIFICATE = "certificate", _("Citizen digital certificate")
    DONATION = "donation", _("Donate to a charity")
    COMPANY = "company", _("Company (unified business number)")


#: The request field names, in form order.
FIELDS = (
    "invoice_kind",
    "invoice_carrier",
    "invoice_love_code",
    "invoice_ubn",
    "invoice_title",
    "invoice_address",
)
TITLE_MAX_LENGTH = 60
ADDRESS_MAX_LENGTH = 100


@dataclass(frozen=True)
class InvoiceChoice:
    """What the buyer chose, normalised and valid (build it with
    :func:`validate_invoice_choice`). ``email`` and ``name`` are the buyer's, from the
    account, not from the form: providers mail the invoice and key member carriers by
    e-mail."""

    kind: str = InvoiceKind.MEMBER.value
    carrier: str = ""  # mobile barcode or citizen certificate number
    love_code: str = ""
    ubn: str = ""
    title: str = ""  # company name
    address: str = ""
    email: str = ""
    name: str = ""

    @property
    def is_b2b(self) -> bool:
        """A company invoice: three-part, with the UBN and the tax shown apart."""
        return self.kind == InvoiceKind.COMPANY

    @property
    def is_donation(self) -> bool:
        return self.kind == InvoiceKind.DONATION

    @property
    def is_printed(self) -> bool:
        """Printed on paper: a company invoice (it carries no carrier)."""
        return self.kind == InvoiceKind.COMPANY

    def as_fields(self) -> dict[str, str]:
        """The six request fields (to remember the choice, or to fill a form with it)."""
        values = asdict(self)
        return {field: str(values[attribute]) for field, attribute in ATTRIBUTES.items()}

    def attribute_values(self) -> dict[str, str]:
        """The six choice attributes by name (``kind``, ``carrier``, …): the field names of
        the models that store a choice (``InvoicePreference``, ``EInvoice``)."""
        return {attribute: str(getattr(self, attribute)) for attribute in ATTRIBUTES.values()}

    @classmethod
    def from_fields(
        cls, fields: Mapping[str, Any], *, email: str = "", name: str = ""
    ) -> InvoiceChoice:
        """A choice stored earlier as its six request fields (a transaction's
        ``invoice_choice``), not validated again; an unknown or missing kind is a member
        carrier."""
        values = {
            attribute: str(fields.get(field) or "").strip()
            for field, attribute in ATTRIBUTES.items()
        }
        if values["kind"] not in InvoiceKind.values:
            values["kind"] = InvoiceKind.MEMBER.value
        return cls(**values, email=email, name=name)

    def with_buyer(self, *, email: str | None = None, name: str | None = None) -> InvoiceChoice:
        """The same choice for a buyer whose e-mail address or name changed."""
        return replace(
            self,
            email=self.email if email is None else email.strip(),
            name=self.name if name is None else name.strip(),
        )


#: Request field -> InvoiceChoice attribute (also the field name of the models storing one).
ATTRIBUTES = {
    "invoice_kind": "kind",
    "invoice_carrier": "carrier",
    "invoice_love_code": "love_code",
    "invoice_ubn": "ubn",
    "invoice_title": "title",
    "invoice_address": "address",
}

#: The fields each kind takes besides the kind itself.
ALLOWED: dict[str, frozenset[str]] = {
    InvoiceKind.MEMBER: frozenset(),
    InvoiceKind.MOBILE: frozenset({"invoice_carrier"}),
    InvoiceKind.CERTIFICATE: frozenset({"invoice_carrier"}),
    InvoiceKind.DONATION: frozenset({"invoice_love_code"}),
    InvoiceKind.COMPANY: frozenset({"invoice_ubn", "invoice_title", "invoice_address"}),
}

_REQUIRED: dict[tuple[str, str], Promise] = {
    (InvoiceKind.MOBILE, "invoice_carrier"): _("Enter your mobile barcode."),
    (InvoiceKind.CERTIFICATE, "invoice_carrier"): _(
        "Enter your citizen digital certificate number."
    ),
    (InvoiceKind.DONATION, "invoice_love_code"): _("Enter the charity's love code."),
    (InvoiceKind.COMPANY, "invoice_ubn"): _("Enter the company's unified business number."),
    (InvoiceKind.COMPANY, "invoice_title"): _("Enter the company name to print on the invoice."),
}


def _not_allowed(field: str, kind: str) -> Promise:
    """Why ``field`` contradicts ``kind`` (the providers' combination rules)."""
    if field == "invoice_ubn":
        if kind == InvoiceKind.DONATION:
            return _("A donated invoice cannot carry a unified business number.")
        return _("Only a company invoice carries a unified business number: choose “company”.")
    if field == "invoice_carrier":
        if kind == InvoiceKind.COMPANY:
            return _("A company invoice is printed: it cannot go to a carrier.")
        if kind == InvoiceKind.DONATION:
            return _("A donated invoice goes to the charity: it takes no carrier.")
        return _("A member-carrier invoice takes no barcode or certificate number.")
    if field == "invoice_love_code":
        if kind == InvoiceKind.COMPANY:
            return _("A company invoice cannot be donated.")
        return _("Only a donated invoice takes a love code: choose “donate”.")
    if field == "invoice_title":
        return _("Only a company invoice carries a company name.")
    return _("Only a company invoice is printed with an address.")


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: Any, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def absorb(self, field: str, error: ValidationError) -> None:
        self.by_field.setdefault(field, []).extend(error.error_list)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def validate_invoice_choice(
    data: Mapping[str, Any],
    *,
    email: str = "",
    name: str = "",
    backend: EInvoiceBackend | None = None,
    verify: bool = False,
) -> InvoiceChoice:
    """The buyer's choice from the six request fields, or ``ValidationError``.

    ``data``: a form's ``request.POST``, a JSON body or any mapping; missing and empty
    fields are the same; ``invoice_kind`` defaults to ``member``. Values are normalised
    (stripped; barcode and certificate upper-cased). ``email``/``name`` are the buyer's,
    from the account.

    Refused, each under its field's name in ``exc.message_dict``: an unknown kind; a
    field the kind requires missing or malformed (validators); a field that contradicts
    the kind (a UBN on a donation, a carrier on a printed company invoice, a love code on
    anything but a donation…); a member carrier without an e-mail address (under
    ``invoice_kind``); then the backend's own rules (``backend.validate_choice``), e.g.
    ECPay's address for a company invoice. ``backend`` defaults to the configured one when
    e-invoicing is on.

    ``verify=True`` also asks the provider whether the mobile barcode or love code exists
    (a network call: never inside a database transaction). A provider that cannot tell
    (``None``: MOF maintenance) does not block the buyer.
    """
    errors = _Errors()
    values = _texts(data, errors)
    kind = values["invoice_kind"].lower() or InvoiceKind.MEMBER
    if kind not in InvoiceKind.values:
        errors.add(
            "invoice_kind",
            _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(InvoiceKind.values)},
            "invalid_choice",
        )
        errors.raise_any()
    kind = InvoiceKind(kind)
    carrier_format: validators.Field = (
        "citizen_certificate" if kind == InvoiceKind.CERTIFICATE else "mobile_barcode"
    )
    clean = {
        "invoice_carrier": validators.normalize(carrier_format, values["invoice_carrier"]),
        "invoice_love_code": validators.normalize("love_code", values["invoice_love_code"]),
        "invoice_ubn": validators.normalize("ubn", values["invoice_ubn"]),
        "invoice_title": values["invoice_title"].strip(),
        "invoice_address": values["invoice_address"].strip(),
    }
    for field, value in clean.items():
        if field in errors.by_field:
            continue
        if value and field not in ALLOWED[kind]:
            errors.add(field, _not_allowed(field, kind), "not_allowed")
        elif not value and (kind, field) in _REQUIRED:
            errors.add(field, _REQUIRED[(kind, field)], "required")
        elif value:
            _check_format(field, kind, value, errors)
    email = (email or "").strip()
    if kind == InvoiceKind.MEMBER and not email:
        errors.add(
            "invoice_kind",
            _(
                "A member carrier is keyed by your e-mail address, and your account has "
                "none: choose another kind of invoice."
            ),
            "email_required",
        )
    errors.raise_any()

    choice = InvoiceChoice(
        kind=kind.value,
        carrier=clean["invoice_carrier"],
        love_code=clean["invoice_love_code"],
        ubn=clean["invoice_ubn"],
        title=clean["invoice_title"],
        address=clean["invoice_address"],
        email=email,
        name=(name or "").strip(),
    )
    backend = backend if backend is not None else _configured_backend()
    if backend is not None:
        for field, messages in backend.validate_choice(choice).items():
            for message in [messages] if isinstance(messages, str | Promise) else messages:
                errors.add(field, message, "provider_rule")
        errors.raise_any()
        if verify:
            _verify_existence(choice, backend, errors)
            errors.raise_any()
    return choice


def _texts(data: Mapping[str, Any], errors: _Errors) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in FIELDS:
        value = data.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a JSON client's UBN or love code as a number
        if value is not None and not isinstance(value, str):
            errors.add(field, _("Enter text."), "invalid")
            value = None
        values[field] = (value or "").strip()
    return values


def _check_format(field: str, kind: str, value: str, errors: _Errors) -> None:
    try:
        if field == "invoice_carrier":
            if kind == InvoiceKind.CERTIFICATE:
                validators.validate_citizen_certificate(value)
            else:
                validators.validate_mobile_barcode(value)
        elif field == "invoice_love_code":
            validators.validate_love_code(value)
        elif field == "invoice_ubn":
            validators.validate_ubn(value)
    except ValidationError as exc:
        errors.absorb(field, exc)
    limit = {"invoice_title": TITLE_MAX_LENGTH, "invoice_address": ADDRESS_MAX_LENGTH}.get(field)
    if limit is not None and len(value) > limit:
        errors.add(
            field,
            _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
            % {"limit": limit, "length": len(value)},
            "max_length",
        )


def _verify_existence(choice: InvoiceChoice, backend: EInvoiceBackend, errors: _Errors) -> None:
    if choice.kind == InvoiceKind.MOBILE and backend.check_barcode(choice.carrier) is False:
        errors.add(
            "invoice_carrier",
            _("This mobile barcode is not registered with the Ministry of Finance."),
            "unknown_mobile_barcode",
        )
    if choice.kind == InvoiceKind.DONATION and backend.check_love_code(choice.love_code) is False:
        errors.add("invoice_love_code", _("No charity has this love code."), "unknown_love_code")


def _configured_backend() -> EInvoiceBackend | None:
    return factory.get_backend() if factory.is_enabled() else None
