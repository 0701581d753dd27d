"""Settings for the test suite. ``RECUR_TEST_DB=postgres`` selects PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Taipei"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
USE_I18N = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "recur_django",
    "recur_django.emulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

DATABASES: dict[str, dict[str, Any]]
if os.environ.get("RECUR_TEST_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "recur_django"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "test.sqlite3",
            "TEST": {"NAME": os.environ.get("RECUR_TEST_SQLITE", "")},
        }
    }
    # RECUR_TEST_SQLITE_MODE=IMMEDIATE (with a file in RECUR_TEST_SQLITE): the documented
    # production mode, used by tests/robustness/test_no_recur_call_in_transaction.py.
    if os.environ.get("RECUR_TEST_SQLITE_MODE"):
        DATABASES["default"]["OPTIONS"] = {
            "transaction_mode": os.environ["RECUR_TEST_SQLITE_MODE"],
            "timeout": 2,
        }

RECUR = {
    "SECRET_KEY": "sk_test_tests",
    "PUBLISHABLE_KEY": "pk_test_tests",
    "WEBHOOK_SECRET": "whsec_test_secret",
    "API_BASE": "http://127.0.0.1:1/_recur",  # replaced by the emulator fixture
    "TIMEOUT": (2.0, 5.0),
    "MAX_RETRIES": 2,
    "MAX_RETRY_WAIT": 0.05,
}

RECUR_EMULATOR: dict[str, Any] = {
    # DEBUG is False here (as under pytest-django): the emulator serves only when enabled.
    "ENABLED": True,
    # Off-site hosts the tests' success/cancel/return URLs use (the emulator's own host is
    # always allowed).
    "ALLOWED_REDIRECT_HOSTS": ["shop.example"],
    "SECRET_KEYS": ["sk_test_tests"],
    "PUBLISHABLE_KEYS": ["pk_test_tests"],
    "WEBHOOK_SECRET": "whsec_test_secret",
    "WEBHOOK_URL": None,
}

# Django 6.1 configures mail through MAILERS (EMAIL_BACKEND is deprecated there); the test
# runner swaps in the in-memory backend either way.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
}

SILENCED_SYSTEM_CHECKS = ["recur.W003", "recur.W008", "recur_emulator.W001"]

# Products the emulator serves in tests (whole TWD).
RECUR_EMULATOR["PRODUCTS"] = [
    {
        "id": "prod_pro_monthly",
        "slug": "pro-monthly",
        "name": "Pro (monthly)",
        "type": "SUBSCRIPTION",
        "billing_period": "MONTHLY",
        "price": 299,
        "currency": "TWD",
        "product_family": "pro",
    },
    {
        "id": "prod_pro_yearly",
        "slug": "pro-yearly",
        "name": "Pro (yearly)",
        "type": "SUBSCRIPTION",
        "billing_period": "YEARLY",
        "price": 2990,
        "currency": "TWD",
        "product_family": "pro",
    },
    {
        "id": "prod_ebook",
        "slug": "ebook",
        "name": "Django billing e-book",
        "type": "ONE_TIME",
        "price": 590,
        "currency": "TWD",
    },
    {
        "id": "prod_credits_100",
        "slug": "credits-100",
        "name": "100 credits",
        "type": "CREDITS",
        "price": 100,
        "currency": "TWD",
    },
    {
        "id": "prod_credits_1000",
        "slug": "credits-1000",
        "name": "1,000 credits",
        "type": "CREDITS",
        "price": 1000,
        "currency": "TWD",
    },
]
