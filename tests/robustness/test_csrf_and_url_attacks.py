"""Cross-site requests without ``CsrfViewMiddleware``, and hostile URLs.

CSRF: every state-changing view of ours checks the token itself, so a site that leaves
``CsrfViewMiddleware`` out of ``MIDDLEWARE`` is still safe; the webhook is the only exempt
view and it answers nothing unsigned.

URLs: one rule (``recur_django.safe_urls``) decides what we redirect to (same-site) and what
we link to (``http(s)``). A ``javascript:`` (or ``data:``, ``vbscript:``, obfuscated…) URL
coming back from Recur is stored but never becomes a link or a redirect.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
import responses
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from recur_django.client.types import parse_payment_link
from recur_django.models import Customer, PaymentLink, Transaction, WebhookEvent
from recur_django.payment_links import upsert_payment_link
from recur_django.portal import MissingReturnURLError, start_portal_session
from recur_django.safe_urls import is_http_url, linkable_url, same_site_url
from tests.robustness.conftest import assert_error_shape
from tests.settings import RECUR

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
EVIL = "https://evil.example"
CSRF_TOKEN = "a" * 32  # an unmasked secret: what the cookie holds and the form echoes

#: URLs that must never become a link or a redirect target.
UNSAFE_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript\x00:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "///evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example\\x",
    "https:evil.example",
    "https:///evil.example",
    "https:/\\evil.example",
    "https://[::1",
    "ftp://evil.example/",
    "mailto:a@evil.example",
    "file:///etc/passwd",
    "http\t://evil.example",
    "https://exam\tple.com/",
    "https://example.com/\u202egnp.exe",
    "",
]

#: Same-site attempts (as ``return_url``, ``next``, ``success_url`` or ``Referer``).
OFF_SITE = [
    *UNSAFE_URLS,
    EVIL,
    EVIL + "/",
    "https://testserver.evil.example/",
    "http://testserver:81/",
    "/\t/evil.example",
    "relative/path",
    "?next=x",
]


def normalised(value: str) -> str:
    """What a browser makes of an attribute value: entities decoded, tab/CR/LF dropped."""
    text = html.unescape(value)
    return re.sub(r"[\t\n\r]", "", text).strip("\x00- ").lower()


def link_targets(page: str) -> list[str]:
    return [
        normalised(v)
        for v in re.findall(r'(?:href|src|action|data-copy)\s*=\s*"([^"]*)"', page, re.I)
    ]


def assert_no_dangerous_link(page: str) -> None:
    for target in link_targets(page):
        assert not target.startswith(("javascript:", "data:", "vbscript:")), target
        assert "evil.example" not in target, target


@pytest.fixture
def no_csrf_middleware(settings: Any) -> None:
    """A project that forgot ``CsrfViewMiddleware``."""
    settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != CSRF_MIDDLEWARE]
    assert CSRF_MIDDLEWARE not in settings.MIDDLEWARE


def cross_site_browser(user: Any) -> Client:
    """The victim's logged-in browser, submitting a form an attacker's page built."""
    # SERVER_NAME: the emulator accepts success/cancel/return URLs on its own (loopback) host.
    browser = Client(enforce_csrf_checks=True, SERVER_NAME="localhost")
    browser.force_login(user)
    return browser


def with_token(browser: Client) -> dict[str, str]:
    browser.cookies[django_settings.CSRF_COOKIE_NAME] = CSRF_TOKEN
    return {"csrfmiddlewaretoken": CSRF_TOKEN}


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_urls_are_not_http_urls(url: str) -> None:
    assert not is_http_url(url)
    assert linkable_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://checkout.recur.tw/cs_1",
        "HTTPS://Checkout.Recur.TW/cs_1?a=b#c",
        "http://localhost:8000/_recur/checkout/cs_1",
        "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
        "https://[::1]:8000/x",
        "https://商店.example/付款",
    ],
)
def test_http_urls_are_linkable(url: str) -> None:
    assert is_http_url(url)
    assert linkable_url(url) == url


def test_site_paths_are_linkable_but_not_http_urls() -> None:
    assert linkable_url("/pricing/") == "/pricing/"
    assert not is_http_url("/pricing/")
    assert linkable_url(None) is None and linkable_url(5) is None


@pytest.mark.parametrize("url", OFF_SITE)
@pytest.mark.parametrize("secure", [False, True])
def test_same_site_rule_refuses_everything_off_site(url: str, secure: bool) -> None:
    request = RequestFactory().get("/", secure=secure)
    assert same_site_url(request, url) is None


@pytest.mark.parametrize(
    ("url", "secure", "expected"),
    [
        ("/account/", False, "/account/"),
        ("  /account/?tab=billing#x ", False, "/account/?tab=billing#x"),
        ("http://testserver/account/", False, "http://testserver/account/"),
        ("https://testserver/account/", True, "https://testserver/account/"),
        ("http://testserver/account/", True, None),  # downgrade from https
        ("/帳戶/", False, "/帳戶/"),
        ("/my page/", False, "/my page/"),  # a browser sends /my%20page/
    ],
)
def test_same_site_rule_keeps_this_site(url: str, secure: bool, expected: str | None) -> None:
    request = RequestFactory().get("/", secure=secure)
    assert same_site_url(request, url) == expected


def test_there_is_one_same_site_implementation() -> None:
    """The checkout view, the portal view and the REST API all call safe_urls."""
    from pathlib import Path

    import recur_django

    root = Path(recur_django.__file__).parent
    users = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "url_has_allowed_host_and_scheme" in path.read_text(encoding="utf-8")
    )
    assert users == ["safe_urls.py"]


# ---------------------------------------------------------------- CSRF without middleware


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [EVIL, None])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_cross_site_checkout_without_csrf_middleware_is_403(
    recur_emulator: Any, user: Any, no_csrf_middleware: None, origin: str | None, accept: str
) -> None:
    from recur_django.emulator.models import CheckoutSession

    browser = cross_site_browser(user)
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    response = browser.post(
        reverse("recur:checkout"), {"product": "prod_ebook"}, HTTP_ACCEPT=accept, **extra
    )
    assert response.status_code == 403
    assert not Transaction.objects.exists()
    assert not CheckoutSession.objects.exists()

    # The same browser posting our own form (with the token) does start a checkout.
    response = browser.post(
        reverse("recur:checkout"), {"product": "prod_ebook", **with_token(browser)}
    )
    assert response.status_code == 303
    assert Transaction.objects.count() == 1 and CheckoutSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [EVIL, None])
def test_cross_site_portal_without_csrf_middleware_is_403(
    recur_emulator: Any, user: Any, no_csrf_middleware: None, origin: str | None
) -> None:
    from recur_django.emulator.models import Customer as EmulatedCustomer
    from recur_django.emulator.models import PortalSession

    now = timezone.now()
    EmulatedCustomer.objects.create(id="cus_csrf", email=user.email, created_at=now, updated_at=now)
    Customer.objects.create(owner=user, recur_id="cus_csrf", email=user.email)
    browser = cross_site_browser(user)
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    for accept in ("text/html", "application/json"):
        response = browser.post(
            reverse("recur:portal"), {"return_url": "/"}, HTTP_ACCEPT=accept, **extra
        )
        assert response.status_code == 403
    assert not PortalSession.objects.exists()

    response = browser.post(reverse("recur:portal"), with_token(browser))
    assert response.status_code == 303
    assert PortalSession.objects.count() == 1


@pytest.mark.django_db
def test_cross_site_rest_api_without_csrf_middleware_is_403(
    user: Any, no_csrf_middleware: None
) -> None:
    """DRF's SessionAuthentication enforces CSRF itself for cookie-authenticated calls."""
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    for name, body in (
        ("recur-api:checkout-sessions", {"product": "prod_ebook"}),
        ("recur-api:portal-sessions", {}),
    ):
        response = api.post(reverse(name), body, format="json", HTTP_ORIGIN=EVIL)
        body_json = assert_error_shape(response, 403)
        assert body_json["error"]["code"] == "csrf_failed"
    assert not Transaction.objects.exists()


def _our_url_names() -> list[tuple[str, list[str]]]:
    from recur_django import urls as recur_urls
    from recur_django.api import urls as api_urls

    names: list[tuple[str, list[str]]] = []
    for namespace, module in (("recur", recur_urls), ("recur-api", api_urls)):
        for pattern in module.urlpatterns:
            assert isinstance(pattern, URLPattern) and not isinstance(pattern, URLResolver)
            names.append((f"{namespace}:{pattern.name}", list(pattern.pattern.converters)))
    return names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), _our_url_names())
def test_no_view_of_ours_accepts_a_cross_site_post(
    user: Any, no_csrf_middleware: None, name: str, kwargs: list[str]
) -> None:
    """Every URL of recur_django: a tokenless cross-site POST changes nothing."""
    browser = cross_site_browser(user)
    url = reverse(name, kwargs={key: "x" for key in kwargs})
    response = browser.post(url, {"product": "prod_ebook"}, HTTP_ORIGIN=EVIL)
    if name == "recur:webhook":  # csrf_exempt on purpose: only a valid signature counts
        assert 400 <= response.status_code < 500 and response.status_code != 404
        assert not WebhookEvent.objects.exists()
    else:
        assert response.status_code in (403, 405), (name, response.status_code)
    assert not Transaction.objects.exists()


def test_checkout_view_keeps_non_atomic_requests_under_csrf_protect() -> None:
    from recur_django.views.checkout import CheckoutView

    view = CheckoutView.as_view()
    assert view._non_atomic_requests == {"default"}  # type: ignore[attr-defined]
    assert not getattr(view, "csrf_exempt", False)


def test_the_webhook_is_our_only_csrf_exempt_view() -> None:
    from django.urls import get_resolver

    exempt = []
    for name, kwargs in _our_url_names():
        path = reverse(name, kwargs={key: "x" for key in kwargs})
        view = get_resolver().resolve(path).func
        cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
        is_drf = cls is not None and hasattr(cls, "get_authenticators")
        if getattr(view, "csrf_exempt", False) and not is_drf:  # DRF checks in its auth
            exempt.append(name)
    assert exempt == ["recur:webhook"]


@pytest.mark.django_db
def test_admin_sync_without_csrf_middleware_is_403(
    admin_user: Any, no_csrf_middleware: None
) -> None:
    browser = cross_site_browser(admin_user)
    response = browser.post(reverse("admin:recur_django_paymentlink_sync"), HTTP_ORIGIN=EVIL)
    assert response.status_code == 403


# ---------------------------------------------------------------- URLs from Recur

MALICIOUS_FROM_RECUR = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
]


def _link_body(url: str) -> dict[str, Any]:
    return {
        "id": "plink_evil",
        "object": "payment_link",
        "url": url,
        "url_id": "evil",
        "active": True,
        "product_id": "prod_ebook",
        "created_at": "2025-01-01T00:00:00Z",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("url", MALICIOUS_FROM_RECUR)
def test_admin_shows_a_non_http_payment_link_url_as_flagged_text(
    admin_client: Any, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="recur_django.safe_urls"):
        link = upsert_payment_link(parse_payment_link(_link_body(url)))
    assert PaymentLink.objects.get(pk=link.pk).url == url  # stored as Recur sent it
    assert any("plink_evil" in r.getMessage() for r in caplog.records)

    for page_url in (
        reverse("admin:recur_django_paymentlink_changelist"),
        reverse("admin:recur_django_paymentlink_change", args=[link.pk]),
    ):
        response = admin_client.get(page_url)
        assert response.status_code == 200
        page = response.content.decode()
        assert_no_dangerous_link(page)
        assert "recur-unsafe-url" in page


@pytest.mark.django_db
def test_admin_still_links_an_http_payment_link(admin_client: Any) -> None:
    link = upsert_payment_link(parse_payment_link(_link_body("https://recur.tw/l/ok")))
    page = admin_client.get(reverse("admin:recur_django_paymentlink_changelist")).content
    assert b'href="https://recur.tw/l/ok"' in page
    assert b"recur-unsafe-url" not in page
    assert link.url == "https://recur.tw/l/ok"


def _recur_answers_checkout_with(emulator: Any, mock: responses.RequestsMock, url: str) -> None:
    mock.add_passthru(re.compile(r".*"))
    now = timezone.now()
    mock.add(
        "POST",
        emulator.base_url + "/v1/checkout/sessions",
        json={
            "id": "cs_evil",
            "object": "checkout.session",
            "url": url,
            "status": "OPEN",
            "mode": "PAYMENT",
            "amount": 590,
            "currency": "TWD",
            "expires_at": (now + timedelta(hours=1)).isoformat(),
        },
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", MALICIOUS_FROM_RECUR)
def test_checkout_never_redirects_to_a_non_http_url_from_recur(
    recur_emulator: Any, user: Any, url: str
) -> None:
    browser = Client()
    browser.force_login(user)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _recur_answers_checkout_with(recur_emulator, mock, url)
        page = browser.post(reverse("recur:checkout"), {"product": "prod_ebook"})
        as_json = browser.post(
            reverse("recur:checkout"),
            {"product": "prod_ebook"},
            content_type="application/json",
        )
    assert page.status_code == 502 and not page.has_header("Location")
    assert_no_dangerous_link(page.content.decode())
    body = assert_error_shape(as_json, 502)
    assert body["error"]["code"] == "service_unavailable"
    assert "evil" not in as_json.content.decode() and "script" not in as_json.content.decode()
    assert set(Transaction.objects.values_list("status", flat=True)) == {"failed"}
    assert not Transaction.objects.filter(checkout_url=url).exists()


@pytest.mark.django_db(transaction=True)
def test_rest_api_checkout_refuses_a_non_http_url_from_recur(
    recur_emulator: Any, user: Any
) -> None:
    api = APIClient()
    api.force_authenticate(user)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _recur_answers_checkout_with(recur_emulator, mock, "javascript:alert(1)")
        response = api.post(
            reverse("recur-api:checkout-sessions"), {"product": "prod_ebook"}, format="json"
        )
    body = assert_error_shape(response, 502)
    assert body["error"]["code"] == "recur_error"
    assert "javascript" not in response.content.decode()


def _portal_body(url: str) -> dict[str, Any]:
    return {
        "id": "portal_session_evil",
        "object": "portal.session",
        "url": url,
        "customer_id": "cus_alice",
        "return_url": "http://testserver/",
        "status": "active",
        "expires_at": "2025-01-01T01:00:00Z",
    }


PORTAL_API = RECUR["API_BASE"] + "/v1/portal/sessions"


@pytest.fixture
def portal_api() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def customer_user(db: None) -> Any:
    user = get_user_model().objects.create_user("carol", "carol@example.com", "pw")
    Customer.objects.create(owner=user, recur_id="cus_alice", email=user.email)
    return user


@pytest.mark.parametrize("url", MALICIOUS_FROM_RECUR)
def test_portal_never_redirects_to_a_non_http_url_from_recur(
    portal_api: Any, customer_user: Any, url: str
) -> None:
    portal_api.post(PORTAL_API, json=_portal_body(url))
    browser = Client()
    browser.force_login(customer_user)
    page = browser.post(reverse("recur:portal"))
    assert page.status_code == 503 and not page.has_header("Location")
    assert_no_dangerous_link(page.content.decode())
    as_json = browser.post(reverse("recur:portal"), HTTP_ACCEPT="application/json")
    assert assert_error_shape(as_json, 503)["error"]["code"] == "portal_unavailable"
    api = APIClient()
    api.force_authenticate(customer_user)
    response = api.post(reverse("recur-api:portal-sessions"), {}, format="json")
    assert assert_error_shape(response, 503)["error"]["code"] == "portal_unavailable"
    for answer in (as_json, response):
        assert "script" not in answer.content.decode()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example"])
def test_start_portal_session_refuses_a_non_http_return_url(
    portal_api: Any, customer_user: Any, url: str
) -> None:
    portal_api.post(PORTAL_API, json=_portal_body("https://portal.recur.tw/s/1"))
    with pytest.raises(MissingReturnURLError):
        start_portal_session(customer_user, return_url=url)
    assert len(portal_api.calls) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("field", ["success_url", "cancel_url"])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "vbscript:x"])
def test_start_checkout_refuses_a_non_http_success_or_cancel_url(
    recur_emulator: Any, user: Any, field: str, url: str
) -> None:
    from recur_django.checkout import start_checkout
    from recur_django.emulator.models import CheckoutSession

    request = RequestFactory().post("/")
    with pytest.raises(ValueError, match="http"):
        start_checkout(user, "prod_ebook", request=request, **{field: url})
    assert not Transaction.objects.exists()
    assert not CheckoutSession.objects.exists()


@pytest.mark.django_db
def test_portal_page_never_links_a_non_http_pricing_url(user: Any, settings: Any) -> None:
    settings.RECUR = {**settings.RECUR, "PRICING_URL": "javascript:alert(1)"}
    browser = Client()
    browser.force_login(user)
    page = browser.post(reverse("recur:portal"))
    assert page.status_code == 404  # no Recur customer yet: the "see plans" page
    assert_no_dangerous_link(page.content.decode())
    assert 'href="/"' in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [u for u in OFF_SITE if u])  # empty means "the default"
def test_rest_api_refuses_off_site_return_and_success_urls(user: Any, url: str) -> None:
    api = APIClient()
    api.force_authenticate(user)
    for name, field, extra in (
        ("recur-api:portal-sessions", "return_url", {}),
        ("recur-api:checkout-sessions", "success_url", {"product": "prod_ebook"}),
        ("recur-api:checkout-sessions", "cancel_url", {"product": "prod_ebook"}),
    ):
        response = api.post(reverse(name), {field: url, **extra}, format="json")
        body = assert_error_shape(response, 400)
        assert field in body["error"]["fields"], (name, field, url)
    assert not Transaction.objects.exists()
