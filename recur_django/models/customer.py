from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from recur_django.owners import owner_model_label


class Customer(models.Model):
    """Maps a billing owner (a user, or ``RECUR["OWNER_MODEL"]``) to a Recur customer
    (``cus_…``); ``owner.recur_customer`` is the other way."""

    owner = models.OneToOneField(
        owner_model_label(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recur_customer",
        verbose_name=_("owner"),
    )
    recur_id = models.CharField(_("Recur customer id"), max_length=64, unique=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    external_id = models.CharField(_("external id"), max_length=128, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.recur_id} ({self.email})" if self.email else self.recur_id
