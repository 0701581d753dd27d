"""Throttles of the REST API; rates come from ``RECUR["API_THROTTLE_RATES"]``."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from recur_django.conf import recur_settings


class RecurRateThrottle(SimpleRateThrottle):
    """Base: ``rate_name`` picks the rate in ``RECUR["API_THROTTLE_RATES"]`` (None = off)."""

    rate_name = ""

    def get_rate(self) -> str | None:
        rates = recur_settings.get("API_THROTTLE_RATES") or {}
        return rates.get(self.rate_name)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        raise NotImplementedError


class RecurUserRateThrottle(RecurRateThrottle):
    """Authenticated users, per user (rate ``"user"``)."""

    scope = "recur_user"
    rate_name = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class RecurAnonRateThrottle(RecurRateThrottle):
    """Anonymous requests, per client address (rate ``"anon"``)."""

    scope = "recur_anon"
    rate_name = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RecurSessionRateThrottle(RecurRateThrottle):
    """Creating checkout/portal sessions (each calls Recur), per user (rate ``"sessions"``)."""

    scope = "recur_sessions"
    rate_name = "sessions"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ident = request.user.pk if request.user and request.user.is_authenticated else None
        return self.cache_format % {"scope": self.scope, "ident": ident or self.get_ident(request)}
