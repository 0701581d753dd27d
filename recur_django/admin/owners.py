"""Owners on the billing admin pages: searching customers, payments, subscriptions and
transactions by their billing owner (a user, or ``RECUR["OWNER_MODEL"]``'s team…)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from recur_django.owners import owner_model

#: Fields searched on an owner model whose admin declares no ``search_fields``.
FALLBACK_FIELDS = ("email", "username", "name")
LOOKUP_PREFIXES = ("=", "^", "@")


def owner_search_fields(site: admin.AdminSite, path: str) -> list[str]:
    """Search lookups over the owner at ``path`` (``"owner"``, ``"customer__owner"``): the
    owner model's own admin ``search_fields``, else its ``email``/``username``/``name``."""
    model = owner_model()
    registered = site._registry.get(model)
    fields = list(getattr(registered, "search_fields", None) or ())
    if not fields:
        names = {f.name for f in model._meta.concrete_fields}
        fields = [name for name in FALLBACK_FIELDS if name in names]
    searched = []
    for field in fields:
        prefix = field[0] if field[:1] in LOOKUP_PREFIXES else ""
        searched.append(f"{prefix}{path}__{field[len(prefix) :]}")
    return searched


class OwnerSearchMixin:
    """Adds the owner's fields (at ``owner_search_path``) to a ModelAdmin's search."""

    owner_search_path = "owner"
    admin_site: admin.AdminSite

    def get_search_fields(self, request: HttpRequest) -> Any:
        own = list(super().get_search_fields(request))  # type: ignore[misc]
        extra = owner_search_fields(self.admin_site, self.owner_search_path)
        return [*own, *(field for field in extra if field not in own)]
