"""Where the hosted pages may send a browser: the one rule for success, cancel and return URLs.

A publishable key is public, so anyone can create a checkout session. Without this rule
its ``success_url`` could be any site, and the emulator's origin an open redirect. A URL is
accepted when its host is the host the API request came to (the emulator's own host) or
matches ``RECUR_EMULATOR["ALLOWED_REDIRECT_HOSTS"]`` (entries as in ``ALLOWED_HOSTS``,
``.example.com`` covering subdomains; ``*`` is ignored). Checkout URLs must also be HTTPS,
as Recur requires, except on loopback hosts (127.0.0.0/8, ::1, localhost).

Django's test client host, ``testserver``, counts as local too: it is accepted over plain
HTTP without being listed, so ``client.post(reverse("recur:checkout"))`` works against the
``recur_emulator`` fixture with no setting. (No browser can reach that name.)
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host

from recur_django.emulator.api.errors import invalid
from recur_django.emulator.conf import emulator_settings

PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
#: The host Django's test client sends requests to.
TEST_CLIENT_HOST = "testserver"


def is_loopback(hostname: str) -> bool:
    host = hostname.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts() -> list[str]:
    value = emulator_settings.ALLOWED_REDIRECT_HOSTS
    hosts = [value] if isinstance(value, str) else list(value or [])
    return [h.lower() for h in hosts if isinstance(h, str) and h and h != "*"]


def check_url(name: str, url: str, request: HttpRequest, *, https: bool = False) -> str:
    """``url`` if the hosted pages may redirect to it; raises ``invalid_request`` otherwise."""
    if not url:
        return url
    parts = urlsplit(url.replace(PLACEHOLDER, "x"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"{name} must be an absolute http(s) URL.")
    # Browsers read a backslash as "/" and skip user info ("https://evil\\@shop/" goes to evil).
    if "\\" in url or "@" in parts.netloc or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise invalid(f"{name} must not contain backslashes, spaces or user info.")
    hostname = (parts.hostname or "").lower()
    local = is_loopback(hostname) or hostname == TEST_CLIENT_HOST
    if https and parts.scheme != "https" and not local:
        raise invalid(f"{name} must be an HTTPS URL (http:// only for localhost/127.0.0.1/::1).")
    try:
        parts.port  # noqa: B018  raises on a malformed port
    except ValueError:
        raise invalid(f"{name} has an invalid port.") from None
    own_host = split_domain_port(request.get_host())[0]
    host = f"[{hostname}]" if ":" in hostname else hostname  # IPv6 as ALLOWED_HOSTS writes it
    if host in (own_host, TEST_CLIENT_HOST) or validate_host(host, allowed_hosts()):
        return url
    raise invalid(
        f"{name} must point at this site ({own_host}) or at a host listed in "
        "RECUR_EMULATOR['ALLOWED_REDIRECT_HOSTS']."
    )
