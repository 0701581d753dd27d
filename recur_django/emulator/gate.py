"""The one gate of the emulator: closed unless DEBUG or ``ENABLED`` is True.

The emulator accepts fake payments and has a control endpoint; it is a test double and
must never answer on a production site, even when its URLs are included, nor move its
clock or flip cards from ``manage.py recur_emulator`` there. Every URL passes
:func:`emulator_view` and the management command :func:`require_open`: one rule
(:attr:`~recur_django.emulator.conf.EmulatorSettings.enabled`), checked per request and
per command, so ``override_settings`` in tests (and a settings change) takes effect at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from recur_django.emulator.conf import emulator_settings

View = Callable[..., HttpResponseBase]

#: Why the emulator refuses while the gate is closed (an HTTP 404's text, a command's error).
CLOSED_MESSAGE = (
    "The Recur emulator is disabled: set DEBUG=True or RECUR_EMULATOR['ENABLED'] = True "
    "(never in production)."
)


class EmulatorClosed(Exception):
    """The emulator was asked to act while it is disabled."""


def require_open() -> None:
    """Raise :class:`EmulatorClosed` unless the emulator may act here (DEBUG or ENABLED)."""
    if not emulator_settings.enabled:
        raise EmulatorClosed(CLOSED_MESSAGE)


def emulator_view(view: View) -> View:
    """Wrap ``view``: 404 while the emulator is disabled; never behind a login.

    The hosted pages stand in for Recur's own domain and the API authenticates by key,
    so ``LoginRequiredMiddleware`` must not send their visitors to the site's login page.
    """

    @functools.wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            require_open()
        except EmulatorClosed as exc:
            raise Http404(str(exc)) from None
        return view(request, *args, **kwargs)

    return login_not_required(gated)
