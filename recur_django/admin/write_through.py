"""What the admin's write-through forms share (payment links, promotion codes).

Such a form validates locally, then calls Recur during validation (``_post_clean``),
outside any database transaction (the admin opens none around it). Only Recur's answer is
stored. A refused write re-renders the form with Recur's own words and leaves the stored
row untouched; a write Recur accepted but we failed to store is repaired by reading the
object back from Recur at once, and the admin says so.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recur_django.client.errors import InvalidRequestError, RecurError

__all__ = ["MetadataField", "WriteThroughForm", "db_error_text", "recur_error_message"]

logger = logging.getLogger("recur_django.admin")


def recur_error_message(exc: RecurError) -> str:
    """A one-line message for people, carrying what Recur (or the emulator) said."""
    detail = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None) or exc.__class__.__name__
    if not status and isinstance(exc, InvalidRequestError):  # refused before sending
        return gettext("Not sent to Recur: %(message)s") % {"message": detail}
    if not status:
        return gettext("Could not reach Recur: %(message)s") % {"message": detail}
    values = {"status": status, "code": code, "message": detail}
    if status >= 500:
        return gettext("Recur failed (HTTP %(status)s, %(code)s): %(message)s") % values
    return gettext("Recur refused the request (HTTP %(status)s, %(code)s): %(message)s") % values


def db_error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


class MetadataField(forms.JSONField):
    """A JSON object (``{"key": "value"}``); empty means no metadata."""

    default_error_messages = {
        "not_object": _('Metadata must be a JSON object, like {"campaign": "spring"}.'),
    }

    def prepare_value(self, value: Any) -> Any:
        if value is None or value == {}:
            return ""
        return super().prepare_value(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # redisplay what was typed, as Django does for bad JSON
            return forms.fields.InvalidJSONInput(data)

    def to_python(self, value: Any) -> Any:
        try:
            value = super().to_python(value)
        except RecursionError:  # json.loads on very deeply nested input
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(self.error_messages["not_object"], code="not_object")
        return value


class WriteThroughForm(forms.ModelForm):
    """A model form whose save is a Recur API write, made once local validation passed.

    Subclasses give :meth:`write_to_recur` (returns the row stored from Recur's answer),
    :meth:`repair` (reads back an object Recur accepted but we failed to store),
    ``not_stored`` (the service's exception for that case), ``error_fields`` (words in a
    Recur error message that point at a field) and ``nothing_saved_message``.
    """

    #: The row stored from Recur's answer once the write succeeded.
    saved: Any = None
    #: Set when the write needed a repair (Recur accepted, the first local write failed).
    repair_note: str | None = None
    not_stored: type[Exception] = Exception
    error_fields: tuple[tuple[str, str], ...] = ()
    nothing_saved_message: Any = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What is stored now, to put back on the instance if Recur refuses the edit.
        self._stored = {
            name: copy.deepcopy(getattr(self.instance, name))
            for name in self._meta.fields or ()
            if hasattr(self.instance, name)
        }

    def write_to_recur(self) -> Any:
        raise NotImplementedError

    def repair(self, exc: Any) -> tuple[Any, str]:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            self._restore_instance()
            return
        try:
            self.saved = self.write_to_recur()
        except self.not_stored as exc:
            self.saved, note = self.repair(exc)
            if self.saved is None:
                self._restore_instance()
                self.add_error(None, note)
            else:
                self.repair_note = note
        except RecurError as exc:
            logger.warning("Recur refused a %s write: %s", self._meta.model._meta.model_name, exc)
            self._restore_instance()
            self._add_recur_error(exc)

    def _restore_instance(self) -> None:
        """Undo ``construct_instance``: the page must not show typed values as Recur's."""
        for name, value in self._stored.items():
            setattr(self.instance, name, value)

    def _add_recur_error(self, exc: RecurError) -> None:
        message = recur_error_message(exc)
        text = (getattr(exc, "message", None) or "").lower()
        if getattr(exc, "status", None) in (400, 404, 422):
            for word, field in self.error_fields:
                if word in text and field in self.fields:
                    self.add_error(field, message)
                    break
            else:
                self.add_error(None, message)
        else:
            self.add_error(None, message)
        self.add_error(None, str(self.nothing_saved_message))
