"""Settings of the example shop: recur-django against the built-in Recur emulator.

Everything Recur-related is in ``RECUR`` (what a real site sets) and ``RECUR_EMULATOR``
(the local stand-in for Recur that answers on ``/_recur/``). To run against the real Recur,
remove the emulator from INSTALLED_APPS and urls.py, drop ``API_BASE`` and put your own keys
in ``RECUR``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "example-project-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "recur_django",
    "recur_django.emulator",
    "example_project.shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # templates/recur_django/base.html: the shop layout
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# IMMEDIATE transactions make concurrent writers (the return page and a webhook arriving
# at the same moment) wait for the lock instead of failing with "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Taipei"

STATIC_URL = "/static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "shop:account"
LOGOUT_REDIRECT_URL = "shop:pricing"


def demo_port() -> str:
    """The port the demo is served on: RECUR_DEMO_PORT when set (`make demo PORT=8123` sets
    it for the server), else the port `make demo` recorded in .demo-port next to the
    database — so a later `manage.py recur_emulator advance` reaches the running demo with
    no variable — else 8000."""
    port = os.environ.get("RECUR_DEMO_PORT", "").strip()
    if not port:
        try:
            port = (BASE_DIR / ".demo-port").read_text().strip()
        except OSError:
            port = ""
    return port if port.isdigit() else "8000"


# The address the demo is served on. The API base (the emulator mounted on this same server)
# and the emulator's webhook URL both follow it.
DEMO_BASE_URL = f"http://127.0.0.1:{demo_port()}"

# --- recur-django -----------------------------------------------------------------------
# A real site reads these from the environment: sk_test_… / sk_live_… and the endpoint's
# whsec_… secret. Here they are the emulator's demo keys.
RECUR = {
    "SECRET_KEY": "sk_test_demo",
    "PUBLISHABLE_KEY": "pk_test_demo",
    "WEBHOOK_SECRET": "whsec_demo",
    "API_BASE": f"{DEMO_BASE_URL}/_recur",  # the emulator; omit for https://api.recur.tw
    "CHECKOUT_CANCEL_URL": "/",
    "PORTAL_RETURN_URL": "/account/",
    "PRICING_URL": "/",
    # Billing decisions (checkout expiry, period ends) follow the emulator's clock, so
    # `recur_emulator advance --days 31` moves the shop's "now" too. Drop it in production.
    "CLOCK": "recur_django.emulator.clock.now",
    # Taiwan e-invoices (統一發票), issued through ECPay's B2C API: here the emulator's
    # ECPay-compatible endpoint with ECPay's public sandbox merchant. Buyers choose their
    # carrier, donation or company invoice at checkout. Delete this key to turn it off.
    "EINVOICE": {
        "BACKEND": "recur_django.einvoice.backends.ecpay.ECPayBackend",
        "OPTIONS": {
            "MERCHANT_ID": "2000132",
            "HASH_KEY": "ejCk326UnaZWKisg",
            "HASH_IV": "q9jcZX8Ib9LM8wYk",
            "API_BASE": f"{DEMO_BASE_URL}/_recur/einvoice",  # omit for ECPay's stage host
            "TIMEOUT": 5,
        },
    },
}

# --- the Recur emulator (development only) ----------------------------------------------
# It answers only while DEBUG is True (RECUR_EMULATOR["ENABLED"] unset): including its URLs
# unconditionally in urls.py is safe, they are 404 on a site running with DEBUG=False.
RECUR_EMULATOR = {
    # The shop may be browsed as localhost or 127.0.0.1 while it calls the emulator on
    # 127.0.0.1: success, cancel and portal return URLs may point at either.
    "ALLOWED_REDIRECT_HOSTS": ["127.0.0.1", "localhost"],
    "SECRET_KEYS": ["sk_test_demo"],
    "PUBLISHABLE_KEYS": ["pk_test_demo"],
    "WEBHOOK_SECRET": "whsec_demo",
    "WEBHOOK_URL": f"{DEMO_BASE_URL}/billing/webhook/",
    "WEBHOOK_DELIVERY": "background",
    # Prices are whole New Taiwan dollars (TWD has no cents).
    "PRODUCTS": [
        {
            "id": "prod_pro_monthly",
            "slug": "pro-monthly",
            "name": "Pro (monthly)",
            "description": "Everything in Pro, billed every month.",
            "type": "SUBSCRIPTION",
            "billing_period": "MONTHLY",
            "price": 299,
            "currency": "TWD",
            "product_family": "pro",
            # One plan per family: a Pro subscriber changes plan in the portal.
            "metadata": {"productFamily": "pro"},
        },
        {
            "id": "prod_pro_yearly",
            "slug": "pro-yearly",
            "name": "Pro (yearly)",
            "description": "Everything in Pro, two months free.",
            "type": "SUBSCRIPTION",
            "billing_period": "YEARLY",
            "price": 2990,
            "currency": "TWD",
            "product_family": "pro",
            "metadata": {"productFamily": "pro"},
        },
        {
            "id": "prod_ebook",
            "slug": "ebook",
            "name": "Django billing e-book",
            "description": "A one-time purchase: yours to keep.",
            "type": "ONE_TIME",
            "price": 590,
            "currency": "TWD",
        },
        {
            "id": "prod_credits_100",
            "slug": "credits-100",
            "name": "100 credits",
            "description": "A top-up of 100 credits.",
            "type": "CREDITS",
            "price": 100,
            "currency": "TWD",
        },
        {
            "id": "prod_credits_1000",
            "slug": "credits-1000",
            "name": "1,000 credits",
            "description": "A top-up of 1,000 credits, 10% off.",
            "type": "CREDITS",
            "price": 900,
            "currency": "TWD",
            "credits": 1000,  # what one purchase grants (default: one credit per NT$)
        },
    ],
    # A coupon for promotion codes made in the admin (Recur billing -> Promotion codes).
    "COUPONS": [
        {"id": "cpn_demo_20", "name": "20% off", "discount_type": "PERCENTAGE", "percent_off": 20}
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"recur_django": {"handlers": ["console"], "level": "INFO"}},
}

# `manage.py test` forces DEBUG=False, which makes the checks warn about what is deliberate in
# this demo (the emulator, its plain-HTTP API bases, test keys, the e-invoice sandbox
# merchant). `manage.py check` still runs them all.
# The demo's INFO lines (each webhook processed) are for a person watching runserver; the
# tests assert on what they need with assertLogs, so their run prints only real problems.
if sys.argv[1:2] == ["test"]:
    SILENCED_SYSTEM_CHECKS = [
        "recur.W003",
        "recur.W008",
        "recur.W030",  # the e-invoice sandbox merchant
        "recur.W031",  # the emulator's e-invoice endpoint (plain HTTP)
        "recur_emulator.W001",
    ]
    LOGGING["loggers"]["recur_django"]["level"] = "WARNING"
