"""The read-only ``ModelAdmin`` rules shared by recur_django's admin and the emulator's.

It imports only Django, so the emulator's admin can build on it without loading the
app's admin package (which registers the app's models). The app's admins use
:class:`recur_django.admin.read_only.ReadOnlyAdmin`, a subclass.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewable, never added or edited through the admin; deleted only when ``deletable``."""

    deletable = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)
