"""The one rule for URLs we redirect to, link to or mail.

Two questions, each answered here and nowhere else:

- :func:`same_site_url` — may we send the browser to a URL the *request* named
  (``return_url``, ``next``, ``success_url``, a ``Referer``)? Only a path on this site, or an
  absolute URL on this host (``https`` when the request is secure). Everything else —
  another host, ``//host``, ``javascript:``, a control character — is refused.
- :func:`is_http_url` — may we turn a URL that *Recur* (or any stored data) gave us into an
  ``href``, a redirect or a link in an e-mail? Only an absolute ``http(s)`` URL with a host
  and nothing a browser would silently strip (tabs, newlines, other control or invisible
  formatting characters) or reinterpret (backslashes). ``javascript:``, ``data:``, ``vbscript:``,
  ``JAVASCRIPT:``, ``java\\tscript:`` and ``//host`` are all refused.

A refused URL from Recur is still stored as it came; it is shown as plain text with a
warning marker (:func:`unsafe_url_html`) and never redirected to.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("recur_django.safe_urls")

#: Longest URL we accept anywhere (the longest URL column we store is 2000 characters).
MAX_URL_LENGTH = 2000

HTTP_SCHEMES = ("http://", "https://")


def _has_hidden_characters(value: str) -> bool:
    """Control, format or non-space whitespace characters: browsers strip or reinterpret
    them (``java\tscript:`` runs as ``javascript:``). A plain space is percent-encoded."""
    return any(ch != " " and (ch.isspace() or unicodedata.category(ch)[0] == "C") for ch in value)


def is_http_url(value: Any) -> bool:
    """Whether ``value`` is an absolute ``http(s)`` URL we may link, redirect or mail to."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return False
    if _has_hidden_characters(value) or "\\" in value:
        return False
    if not value.lower().startswith(HTTP_SCHEMES):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(host)


def is_site_path(value: Any) -> bool:
    """Whether ``value`` is a path on this site (``/pricing/``), not ``//host`` or ``/\\host``."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_URL_LENGTH
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and "\\" not in value
        and not _has_hidden_characters(value)
    )


def linkable_url(value: Any) -> str | None:
    """``value`` when it may become an ``href``: an ``http(s)`` URL or a path on this site."""
    if is_http_url(value) or is_site_path(value):
        return str(value)
    return None


def same_site_url(request: HttpRequest, value: Any) -> str | None:
    """``value`` when it is a URL on the site ``request`` came to; ``None`` otherwise.

    A path (``/account/``) or an absolute URL whose host is this request's host; when the
    request is secure the URL must be ``https`` too. Not a string, empty, too long, another
    host, a scheme other than ``http(s)`` or a hidden character: ``None``.
    """
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return None
    value = value.strip()
    if not value or _has_hidden_characters(value) or "\\" in value:
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    if not (is_site_path(value) or is_http_url(value)):
        return None  # e.g. "pricing/": relative to the current path, not a place we know
    return value


def absolute_same_site_url(request: HttpRequest, value: Any) -> str | None:
    """:func:`same_site_url`, made absolute with this request's scheme and host."""
    url = same_site_url(request, value)
    return request.build_absolute_uri(url) if url is not None else None


def describe(value: Any, limit: int = 120) -> str:
    """A short, printable form of an untrusted URL for logs and the admin."""
    text = str(value)
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def flag_unsafe_url(value: Any, where: str) -> None:
    """Log that ``where`` holds a URL we will not link to or redirect to."""
    logger.warning(
        "Not an http(s) URL, never linked or redirected to: %s %s", where, describe(value)
    )


def unsafe_url_html(value: Any) -> SafeString:
    """``value`` as escaped text with a warning marker, never as a link."""
    return format_html(
        '<span class="recur-unsafe-url" title="{}">⚠ {}</span>',
        _("Not an http(s) URL: shown as text, not as a link."),
        describe(value, limit=MAX_URL_LENGTH),
    )
