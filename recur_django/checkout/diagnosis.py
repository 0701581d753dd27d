"""Why Recur refused to start a checkout, in words a developer can act on.

The shopper only ever reads "This product cannot be purchased right now"; the log line (and,
under ``DEBUG``, the error page) carries :func:`refusal_cause`. The commonest cause on a new
deployment: Recur requires HTTPS success and cancel URLs, and the site built ``http://``
ones — it is served over plain HTTP, or a proxy ends TLS and Django is not told
(``SECURE_PROXY_SSL_HEADER``), so ``request.build_absolute_uri()`` says ``http://``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from recur_django.client.errors import AuthenticationError, InvalidRequestError, RecurError

#: Hosts Recur's sandbox (and the emulator) accept plain-HTTP URLs for.
LOCAL_HOSTS = ("localhost", "testserver")


def is_local_host(hostname: str) -> bool:
    """Loopback (``localhost``, 127.0.0.0/8, ``::1``) or Django's test client host."""
    host = hostname.strip("[]").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_url(*urls: str) -> str | None:
    """The first of ``urls`` that is ``http://`` on a host that is not local, if any."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "http" and not is_local_host(parts.hostname or ""):
            return url
    return None


def refusal_cause(exc: RecurError, success_url: str, cancel_url: str) -> str:
    """One sentence naming why the checkout did not start (no secret in it)."""
    said = exc.message or type(exc).__name__
    url = plain_http_url(success_url, cancel_url)
    if isinstance(exc, InvalidRequestError) and url is not None:
        return (
            f"Recur refused the return URL {url} ({said}): Recur requires HTTPS return URLs. "
            "Serve the site over HTTPS; behind a proxy or load balancer that ends TLS, set "
            "SECURE_PROXY_SSL_HEADER (and have the proxy send X-Forwarded-Proto) so Django "
            "builds https:// URLs."
        )
    if isinstance(exc, AuthenticationError):
        return f"Recur refused the secret key ({said}): check RECUR['SECRET_KEY']."
    return f"Recur refused the checkout: {said}"
