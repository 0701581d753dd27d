from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """An emitted webhook event; ``body`` holds the exact bytes that are signed and sent."""

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    timestamp = models.DateTimeField(_("timestamp"))
    data = models.JSONField(_("data"))
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"

    def envelope(self) -> dict[str, object]:
        return dict(json.loads(self.body))


class WebhookDelivery(models.Model):
    """One delivery of an event to the webhook URL, retried on failure."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    url = models.CharField(_("URL"), max_length=2000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    sort_key = models.BigIntegerField(default=0, help_text=_("Delivery order (lowest first)."))
    bad_signature = models.BooleanField(default=False)
    not_before = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sort_key", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event.type} -> {self.url} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: status, response snippet, duration."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    response_snippet = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
