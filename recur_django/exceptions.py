"""Every Django-side error recur_django raises, in one module with no project imports.

The client's errors (``RecurError`` and its subclasses) live in
:mod:`recur_django.client.errors`, which knows nothing of Django; these are the errors of
the webhook pipeline, fulfilment, the portal and the payment-link service. The modules
that raise them re-export them under their old names.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# --- webhooks --------------------------------------------------------------------------


class SignatureError(Exception):
    """The delivery's signature is missing, malformed or does not match."""


class EnvelopeError(ValueError):
    """The body is not a valid Recur event envelope."""


class EventRejected(Exception):
    """A permanent refusal of one event (wrong amount, unknown transaction, …).

    The event is kept as failed and not retryable; Recur gets a 2xx so it stops retrying.
    """


class EventIgnored(Exception):
    """A handler has nothing to do for this event; ``reason`` is stored on the event."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EventFlagged(EventRejected):
    """The event contradicts our evidence, and what it said was recorded for review (a
    flagged ``Payment``): it is stored failed with this reason, not retried, and — unlike
    a plain :class:`EventRejected` — what the ledger recorded is kept."""


class FulfilmentRejected(EventRejected):
    """The payment data contradicts the transaction (amount, product, session, customer)."""


class ForeignCharge(FulfilmentRejected):
    """The payment is not the transaction's: it does not name the checkout session we
    stored on it (or Recur says that session was not what paid). The charge is someone
    else's; the webhook records it unattached, flagged (:class:`EventFlagged`)."""


class ConfirmationNeeded(Exception):
    """Raised by a handler that needs Recur to confirm a fact before it can decide.

    ``kind`` names what is asked (one answer of each kind per delivery; see
    :mod:`recur_django.webhooks.confirmation`).
    """

    kind = "recur"

    def confirm(self) -> object:
        """Ask Recur (called with no transaction open); return what the handler needs."""
        raise NotImplementedError


class ConfirmationUnavailable(Exception):
    """Recur could not confirm (unreachable, error, or a transaction was open): retry later."""


class CustomerConflict(EventRejected):
    """An event names another Recur customer than the one we hold for its subscription or
    charge: it is stored failed, with this reason, and applies nothing."""


# --- billing owners --------------------------------------------------------------------


class BillingForbidden(PermissionDenied):
    """The user may not manage the billing of the owner the request acts for
    (``RECUR["CAN_MANAGE_BILLING"]``): HTTP 403 ``billing_forbidden``.

    A ``PermissionDenied``, so a site view that lets it escape answers 403 too.
    """

    code = "billing_forbidden"
    status = 403
    default_message: str | Promise = _("You cannot manage billing for this account.")

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


# --- portal ----------------------------------------------------------------------------


class PortalError(Exception):
    """The portal could not be opened; ``message`` is safe to show to the user."""

    code = "portal_unavailable"
    status = 503
    default_message: str | Promise = _(
        "The billing portal is not available right now. Please try again in a moment."
    )

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(str(self.message))


class NoCustomerError(PortalError):
    """The user has no Recur customer yet (nothing bought, nothing to manage)."""

    code = "no_customer"
    status = 404
    default_message = _(
        "You do not have a subscription yet, so there is no billing portal to open."
    )


class CustomerNotFoundError(PortalError):
    """Recur does not know the customer our mapping points at."""

    code = "customer_not_found"
    status = 404
    default_message = _(
        "Recur could not find your billing account. Please contact support so we can fix it."
    )


class MissingReturnURLError(PortalError):
    """Neither we nor the Recur portal configuration gave a return URL."""

    code = "missing_return_url"
    status = 503
    default_message = _(
        "The billing portal is not set up completely yet (it has no return address). "
        "Please contact support."
    )


# --- payment links ---------------------------------------------------------------------


class PaymentLinkNotStored(Exception):
    """Recur accepted a write, but storing its answer locally failed.

    ``recur_id`` names the link on Recur and ``error`` is the database error. Nothing is
    lost on Recur's side: :func:`~recur_django.payment_links.refresh_payment_link` (or the
    next sync) stores the link.
    """

    def __init__(self, recur_id: str, error: Exception) -> None:
        self.recur_id = recur_id
        self.error = error
        super().__init__(
            f"Recur accepted payment link {recur_id}, but storing it failed: "
            f"{type(error).__name__}: {error}"
        )


# --- promotion codes -------------------------------------------------------------------


class PromotionCodeNotStored(Exception):
    """Recur accepted a promotion-code write, but storing its answer locally failed.

    ``recur_id`` names the code on Recur and ``error`` is the database error;
    :func:`~recur_django.promotion_codes.refresh_promotion_code` (or the next sync) stores
    the code.
    """

    def __init__(self, recur_id: str, error: Exception) -> None:
        self.recur_id = recur_id
        self.error = error
        super().__init__(
            f"Recur accepted promotion code {recur_id}, but storing it failed: "
            f"{type(error).__name__}: {error}"
        )


# --- credits ---------------------------------------------------------------------------


class CreditsError(Exception):
    """A credits call that cannot succeed; ``message`` is safe to show to the owner."""

    code = "credits_unavailable"
    status = 400
    default_message: str | Promise = _("Your credits cannot be used right now.")

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class NoRecurCustomer(CreditsError):
    """The owner has no linked Recur customer yet, so it holds no credits."""

    code = "no_customer"
    status = 404
    default_message = _("You have no credits yet: buy a credit pack first.")


class InsufficientCredits(CreditsError):
    """Recur refused a deduction larger than the balance (its ``insufficient_balance``).

    ``amount`` is what was asked for; ``recur_message`` is Recur's own wording.
    """

    code = "insufficient_balance"
    status = 402
    default_message = _("You do not have enough credits for this.")

    def __init__(self, amount: int, recur_message: str = "") -> None:
        self.amount = amount
        self.recur_message = recur_message
        super().__init__()
