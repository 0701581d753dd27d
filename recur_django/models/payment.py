"""The payment ledger: one :class:`Payment` per charge Recur reports, a :class:`Refund` per refund.

Identity of a charge
    Recur reports one renewal charge twice: as an invoice (``in_…``, ``invoice.*``) and as
    its order (``ord_…``, ``order.*``). Both describe ONE charge, so ``recur_id`` is the
    invoice id when any event of the charge names one, else the order id; ``order_id`` and
    ``invoice_id`` record both ids and are unique too, so whichever event arrives second
    finds the row instead of inserting a second one (the database refuses a duplicate).

Failed attempts
    A failed attempt is a ``failed`` status on the row of the order/invoice Recur names:
    when Recur retries under the same id and the retry succeeds, the same row becomes
    ``paid`` (paid wins whatever the delivery order; ``failed_at`` and ``failure_reason``
    stay as history). When Recur retries under a new id, the failed attempt keeps its own
    ``failed`` row.

Refunds
    A :class:`Refund` row per Recur refund id (unique) makes several partial refunds add up
    exactly once. A refund that arrives before its payment is kept with ``payment`` empty
    and the order/invoice id it names, and is attached when that payment's row appears.

Review
    ``review_reason`` (both models; blank when all is well) says why a row needs a human
    look: a charge that claims one of our transactions without naming its checkout
    session (recorded unattached), events of one charge that disagree on its amount or
    currency, a refund in another currency or of another customer than its payment. A
    payment flagged before it was announced announces nothing (nor do its refunds); a
    flagged refund counts nothing and announces nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.money import format_twd
from recur_django.owners import owner_model_label


class Payment(models.Model):
    """One charge Recur reported (paid or failed), with what was refunded of it."""

    class Kind(models.TextChoices):
        CHECKOUT = "checkout", _("Checkout")
        RENEWAL = "renewal", _("Renewal")
        VERIFICATION = "verification", _("Trial verification")
        PAYMENT_LINK = "payment_link", _("Payment link")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    recur_id = models.CharField(_("Recur id"), max_length=128, unique=True)
    order_id = models.CharField(_("order id"), max_length=128, unique=True, null=True, blank=True)
    invoice_id = models.CharField(
        _("invoice id"), max_length=128, unique=True, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.PositiveBigIntegerField(_("amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="TWD")
    refunded_amount = models.PositiveBigIntegerField(_("refunded amount"), default=0)
    # The highest refunded total Recur itself reported (invoice.refunded, refund
    # "refunded_total"); refunded_amount is the larger of it and the sum of our Refund rows.
    reported_refunded_total = models.PositiveBigIntegerField(
        _("refunded total reported by Recur"), default=0
    )
    customer = models.ForeignKey(
        "recur_django.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("customer"),
    )
    # Whose billing the charge is (its transaction's owner, else its customer's).
    owner = models.ForeignKey(
        owner_model_label(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recur_billed_payments",
        verbose_name=_("owner"),
    )
    # The person who acted (started the checkout), when known; see Payment.owner.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recur_payments",
        verbose_name=_("user"),
    )
    subscription = models.ForeignKey(
        "recur_django.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("subscription"),
    )
    transaction = models.ForeignKey(
        "recur_django.Transaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("transaction"),
    )
    payment_link = models.ForeignKey(
        "recur_django.PaymentLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payment link"),
    )
    checkout_session_id = models.CharField(
        _("checkout session id"), max_length=128, blank=True, db_index=True
    )
    product_id = models.CharField(_("product id"), max_length=128, blank=True)
    billing_reason = models.CharField(_("billing reason"), max_length=64, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    # Exactly-once markers for the signals (set under the row lock, never cleared).
    success_signaled = models.BooleanField(_("success signal sent"), default=False)
    failure_signaled = models.BooleanField(_("failure signal sent"), default=False)
    refund_signaled_amount = models.PositiveBigIntegerField(
        _("refunded amount announced"), default=0
    )
    review_reason = models.TextField(
        _("review reason"),
        blank=True,
        default="",
        db_default="",  # rows inserted by SQL (the webhook fast path) need no value
        help_text=_("Why this payment needs a look (blank when all is well)."),
    )
    raw = models.JSONField(_("raw data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="recur_pay_user_created"),
            models.Index(fields=["owner", "-created_at"], name="recur_pay_owner_created"),
            models.Index(fields=["status", "paid_at"], name="recur_pay_status_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.recur_id} ({self.status})"

    @property
    def display_amount(self) -> str:
        """The amount as people read it: ``NT$590``."""
        return format_twd(self.amount, self.currency)

    @property
    def is_paid(self) -> bool:
        """Whether the charge went through (refunds do not change this)."""
        return self.paid_at is not None

    @property
    def needs_review(self) -> bool:
        """Whether the ledger flagged this payment (see ``review_reason``)."""
        return bool(self.review_reason)


class Refund(models.Model):
    """One Recur refund (``re_…``); counted into its payment's ``refunded_amount`` once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    recur_id = models.CharField(_("Recur refund id"), max_length=128, unique=True)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("payment"),
    )
    # What the refund names, kept so a refund that arrives first finds its payment later.
    order_id = models.CharField(_("order id"), max_length=128, blank=True, db_index=True)
    invoice_id = models.CharField(_("invoice id"), max_length=128, blank=True, db_index=True)
    amount = models.PositiveBigIntegerField(_("amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="TWD")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    signaled = models.BooleanField(_("signal sent"), default=False)
    review_reason = models.TextField(
        _("review reason"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Why this refund was not applied to its payment (blank when it was)."),
    )
    raw = models.JSONField(_("raw data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.recur_id} ({self.status})"

    @property
    def counts(self) -> bool:
        """Whether this refund reduces its payment (pending or succeeded, not failed, and
        not held for review)."""
        return self.status != self.Status.FAILED and not self.review_reason
