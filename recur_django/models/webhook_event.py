from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One webhook delivery, stored as received before it is acted on.

    ``status`` is RECEIVED while a stored event waits to be processed (never a duplicate:
    a redelivery or replay processes it), then PROCESSED, IGNORED or FAILED. ``retryable``
    is set by the pipeline: True for a failure from an unexpected error (Recur's
    redelivery applies it again), False for a permanent rejection.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    event_id = models.CharField(_("event id"), max_length=128, unique=True)
    type = models.CharField(_("type"), max_length=128, db_index=True)
    body = models.BinaryField(_("raw body"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    payload = models.JSONField(_("payload"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    retryable = models.BooleanField(
        _("retryable"),
        default=False,
        help_text=_("A failure from an unexpected error: a redelivery applies it again."),
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="recur_evt_status_received"),
        ]
        permissions = [("replay_webhookevent", _("Can replay webhook events"))]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"

    @property
    def pending(self) -> bool:
        """Stored but not applied yet (RECEIVED), or failed in a way worth retrying."""
        return self.status == self.Status.RECEIVED or (
            self.status == self.Status.FAILED and self.retryable
        )
