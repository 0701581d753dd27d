"""System checks of how a project wires recur-django in (ids ``recur.E012``, ``recur.W010``).

- ``recur.E012``: ``recur:webhook`` does not reverse — ``include("recur_django.urls")`` is
  missing from the URLconf (or mounted without its ``recur`` namespace), so Recur has
  nowhere to deliver and no payment is ever recorded.
- ``recur.W010``: a top-level setting whose name is one letter away from ``RECUR`` or
  ``RECUR_EMULATOR`` (``RECURR``, ``RECUR_EMULATER``): Django ignores it silently, so
  recur-django runs with none of its values.

The checks of the values inside ``RECUR`` are in :mod:`recur_django.checks`.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse

#: The top-level settings recur-django reads.
SETTING_NAMES = ("RECUR", "RECUR_EMULATOR")
#: How alike a name must be to one of :data:`SETTING_NAMES` to be called a misspelling.
SIMILARITY = 0.8


@register(Tags.urls, "recur")
def check_webhook_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``recur:webhook`` must reverse: the endpoint Recur delivers every payment to."""
    try:
        reverse("recur:webhook")
    except NoReverseMatch:
        pass
    except Exception:  # a URLconf that cannot be imported: Django's own URL checks say why
        return []
    else:
        return []
    return [
        Error(
            "The URL 'recur:webhook' does not reverse: recur-django's URLs are not mounted, so "
            "Recur cannot deliver webhooks and no payment is ever recorded.",
            hint='Add path("billing/", include("recur_django.urls")) to your ROOT_URLCONF '
            "(any prefix; keep the include's own 'recur' namespace).",
            id="recur.E012",
        )
    ]


@register("recur")
def check_setting_names(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A top-level setting named almost like ``RECUR``/``RECUR_EMULATOR`` is a typo."""
    messages: list[CheckMessage] = []
    for name in sorted(n for n in dir(settings) if n.isupper() and n not in SETTING_NAMES):
        close = difflib.get_close_matches(name, SETTING_NAMES, n=1, cutoff=SIMILARITY)
        if close:
            messages.append(
                Warning(
                    f"settings.{name} is not a setting recur-django reads; it is ignored.",
                    hint=f"Did you mean {close[0]}?",
                    id="recur.W010",
                )
            )
    return messages
