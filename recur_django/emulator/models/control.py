from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The stored response of a request made with an ``Idempotency-Key``."""

    scope = models.CharField(max_length=64, help_text=_("Hash of the API key."))
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="recur_emulator_idem_unique")
        ]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self) -> str:
        return self.key


class Fault(models.Model):
    """An injected fault; ``remaining`` counts down as it fires."""

    kind = models.CharField(max_length=30)
    remaining = models.PositiveIntegerField(default=1)
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("fault")
        verbose_name_plural = _("faults")

    def __str__(self) -> str:
        return f"{self.kind} x{self.remaining}"


class ClockState(models.Model):
    """Singleton row: how far the emulator's clock runs ahead of real time."""

    offset_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clock")

    def __str__(self) -> str:
        return f"+{self.offset_seconds:.0f}s"
