"""DRF permissions backed by the local entitlement mirror."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from recur_django.entitlements import has_entitlement
from recur_django.owners import owner_for_request


class HasEntitlement(BasePermission):
    """Allow only requests whose owner (:func:`~recur_django.owners.owner_for_request`) is
    entitled to the view's ``required_product`` (slug/id or a list).

    Use ``permission_classes = [HasEntitlement]`` with ``required_product`` on the view,
    or ``HasEntitlement.for_product("pro-monthly")`` without it. ``None`` = any product.
    """

    message = _("An active subscription is required.")
    code = "subscription_required"
    products: tuple[str, ...] | None = None

    @classmethod
    def for_product(cls, *products: str) -> type[HasEntitlement]:
        """A subclass bound to ``products`` (any of them grants access)."""
        return type("HasEntitlement", (cls,), {"products": products})

    def has_permission(self, request: Request, view: Any) -> bool:
        products = self.products
        if products is None:
            products = getattr(view, "required_product", None)
        return has_entitlement(owner_for_request(request), products)
