from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from recur_django.models.payment import Payment


class BillingOverview(Payment):
    """No table of its own: the admin entry of the billing overview page."""

    class Meta:
        proxy = True
        verbose_name = _("billing overview")
        verbose_name_plural = _("billing overview")
