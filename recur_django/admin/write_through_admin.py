"""The base of the admins whose rows are written through the Recur API (payment links,
promotion codes).

Saving is done by the form (:class:`~recur_django.admin.write_through.WriteThroughForm`),
which writes to Recur while it validates and stores Recur's answer; "delete" deactivates
on Recur and keeps the local record; a "Sync from Recur" button mirrors every object.

No Recur call happens inside a database transaction: the add, change and delete views run
without the admin's ``atomic()`` block, and every URL of these admins is exempt from
``ATOMIC_REQUESTS``. Each local write is then its own short transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from recur_django.admin.write_through import recur_error_message
from recur_django.client.errors import NotFoundError, RecurError


class WriteThroughAdmin(admin.ModelAdmin):
    """Subclasses give the attributes below; their bulk actions use :meth:`_set_active`,
    :meth:`_sync` and :meth:`_forget_missing`."""

    #: The service's "Recur accepted the write, storing its answer failed" exception …
    not_stored: type[Exception] = Exception
    #: … and its repair: ``repair_unstored(exc) -> (row or None, note)`` (a staticmethod).
    repair_unstored: Callable[[Any], tuple[Any, str]]
    #: The service's deactivate(row) (a staticmethod): what "delete" does.
    deactivate: Callable[[Any], Any]
    missing_message: Any = ""  # the row vanished meanwhile
    deactivated_message: Any = ""  # takes %(object)s
    deactivate_title: Any = ""
    #: "%(object)s: Recur does not know this … (%(message)s)." for a 404 in a bulk action.
    unknown_message: Any = ""

    def repair(self, exc: Any) -> tuple[Any, str]:
        return self.repair_unstored(exc)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """Deactivate on Recur instead of deleting; raises ``RecurError`` on failure."""
        self.deactivate(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Deactivate each active row on Recur instead of deleting rows."""
        self._apply(request, queryset.filter(active=True), self.deactivate)

    def sync_from_recur(self, request: HttpRequest, queryset: Any = None) -> None:
        raise NotImplementedError

    def _url(self, name: str, *args: Any) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args)

    @csrf_protect_m
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The admin's add/change view without its ``atomic()`` block.

        The form calls Recur while it validates; holding a transaction open across that
        call would keep SQLite's write lock (or PostgreSQL's row locks) for its whole
        length. The only local writes are the row stored from Recur's answer and the
        admin log entry, each committed on its own.
        """
        view = self._changeform_view  # type: ignore[attr-defined]
        return view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        # The form already wrote to Recur and stored the response during validation.
        if form.saved is None:  # pragma: no cover - guarded by form validation
            raise PermissionDenied("Nothing was saved on Recur.")
        if form.repair_note:
            self.message_user(request, form.repair_note, messages.WARNING)
        return form.saved

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: the row was stored from Recur's response."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """These rows have no related objects to save."""

    # -- delete = deactivate ------------------------------------------------------

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # "Delete" deactivates; an inactive row has nothing left to deactivate.
        if obj is not None and not obj.active:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # ``action_location`` exists from Django 6.1; pass it on only when given.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location)  # type: ignore[call-arg]
        actions.pop("delete_selected", None)  # replaced by "deactivate"
        return actions

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Confirm, then deactivate on Recur; the local record stays (inactive)."""
        if request.method == "POST":
            obj = self.get_object(request, object_id)
            if obj is None:
                self.message_user(request, self.missing_message, messages.WARNING)
                return HttpResponseRedirect(self._url("changelist"))
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied
            change_url = self._url("change", obj.pk)
            try:
                self.delete_model(request, obj)
            except self.not_stored as exc:
                repaired, note = self.repair(exc)
                self.message_user(request, note, messages.WARNING if repaired else messages.ERROR)
                if repaired is None:
                    return HttpResponseRedirect(change_url)
            except RecurError as exc:
                self.message_user(request, recur_error_message(exc), messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.log_change(request, obj, [{"changed": {"fields": ["active"]}}])
            self.message_user(request, self.deactivated_message % {"object": obj}, messages.SUCCESS)
            return HttpResponseRedirect(self._url("changelist"))
        context = {"title": self.deactivate_title, **(extra_context or {})}
        return super().delete_view(request, object_id, context)

    # -- "Sync from Recur" button (works with an empty list) ----------------------

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        urls = [
            path(
                "sync/",
                self.admin_site.admin_view(require_POST(self.sync_view)),
                name=f"{opts.app_label}_{opts.model_name}_sync",
            )
        ]
        # Every view here may call Recur: never inside ATOMIC_REQUESTS' transaction.
        aliases = {DEFAULT_DB_ALIAS, router.db_for_write(self.model)}
        patterns = urls + super().get_urls()
        for pattern in patterns:
            for alias in aliases:
                transaction.non_atomic_requests(using=alias)(pattern.callback)
        return patterns

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {"can_sync": self.has_change_permission(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def sync_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        self.sync_from_recur(request)
        return HttpResponseRedirect(self._url("changelist"))

    # -- bulk actions ---------------------------------------------------------------

    def _apply(self, request: HttpRequest, objects: Iterable[Any], func: Callable) -> int:
        """``func(obj)`` for each object (a Recur call each); a message per failure; how
        many succeeded (a write Recur accepted but we failed to store counts once
        repaired)."""
        done = 0
        for obj in objects:
            try:
                func(obj)
            except NotFoundError as exc:
                message = self.unknown_message % {"object": obj, "message": exc.message or exc}
                self.message_user(request, message, messages.ERROR)
            except self.not_stored as exc:
                repaired, note = self.repair(exc)
                level = messages.WARNING if repaired else messages.ERROR
                self.message_user(request, format_html("{}: {}", obj, note), level)
                done += repaired is not None
            except RecurError as exc:
                self.message_user(
                    request, format_html("{}: {}", obj, recur_error_message(exc)), messages.ERROR
                )
            else:
                done += 1
        return done

    def _set_active(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        active: bool,
        func: Callable,
        done_message: Any,
        nothing_message: Any,
    ) -> None:
        """Apply ``func`` to the selected rows not yet ``active``; say how many changed
        (``done_message % {"count": …}``), or, when every selected row already was, that
        there was nothing to do (``nothing_message % {"count": selected}``)."""
        todo = list(queryset.filter(active=not active))
        done = self._apply(request, todo, func)
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        elif not todo:
            count = queryset.count()
            self.message_user(request, nothing_message % {"count": count}, messages.WARNING)

    def _sync(self, request: HttpRequest, sync: Callable[[], Any], synced_message: Any) -> None:
        """Run the service's ``sync()``; ``synced_message`` takes ``seen``, ``created``,
        ``updated`` and ``missing``."""
        try:
            result = sync()
        except RecurError as exc:
            self.message_user(request, recur_error_message(exc), messages.ERROR)
            return
        counts = {
            "seen": result.seen,
            "created": result.created,
            "updated": result.updated,
            "missing": result.missing,
        }
        self.message_user(request, synced_message % counts, messages.SUCCESS)

    def _forget_missing(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        nothing_message: Any,
        removed_message: Any,
    ) -> None:
        """Delete the selected rows a sync marked missing from Recur (local only)."""
        count, _details = queryset.filter(missing_from_recur=True).delete()
        if not count:
            self.message_user(request, nothing_message, messages.WARNING)
            return
        self.message_user(request, removed_message % {"count": count})
