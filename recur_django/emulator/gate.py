"""The one gate every emulator URL passes: closed unless DEBUG or ``ENABLED`` is True.

The emulator accepts fake payments and has a control endpoint; it is a test double and
must never answer on a production site, even when its URLs are included. The check runs
per request, so ``override_settings`` in tests (and a settings change) takes effect at once.
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


def emulator_view(view: View) -> View:
    """Wrap ``view``: 404 while the emulator is disabled; never behind a login.

    The hosted pages stand in for Recur's own domain and the API authenticates by key,
    so ``LoginRequiredMiddleware`` must not send their visitors to the site's login page.
    """

    @functools.wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not emulator_settings.enabled:
            raise Http404("The Recur emulator is disabled (DEBUG is False).")
        return view(request, *args, **kwargs)

    return login_not_required(gated)
