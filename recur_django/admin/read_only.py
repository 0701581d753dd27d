"""The read-only admin bases of recur_django, and the links between their pages.

Rows written from Recur's events (customers, subscriptions, transactions, webhook events)
are viewable, never edited by hand: Recur is the source of truth.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from recur_django.read_only_admin import ReadOnlyModelAdmin


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """Viewable, never added, edited or deleted through the admin."""

    deletable = False


class ReadOnlyTabularInline(admin.TabularInline):
    """An inline list of related rows, each linking to its own page."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def change_link(obj: Model | None, text: Any = None) -> str:
    """A link to ``obj``'s admin page; its text alone when it has none; "—" for no object."""
    if obj is None:
        return "—"
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(text if text is not None else obj)
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


def changelist_link(model: type[Model], text: Any, **params: Any) -> str:
    """A link to ``model``'s list filtered by ``params`` (e.g. ``customer__id__exact=3``)."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(params), text)
