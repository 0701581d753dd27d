"""Checks for what a new user trips on: one report per cause under ``check --deploy``, the
emulator's clock without the emulator, misspelt top-level settings, a missing URLconf
include, and secrets pasted with whitespace around them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from recur_django.conf import recur_settings
from recur_django.emulator.conf import emulator_settings

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------- check --deploy: once


def ids(*, deploy: bool, tags: list[str]) -> list[str]:
    messages = checks.run_checks(tags=tags, include_deployment_checks=deploy)
    return [str(m.id) for m in messages]


def test_check_deploy_reports_the_installed_emulator_once() -> None:
    with override_settings(DEBUG=False):
        deploy = ids(deploy=True, tags=["recur_emulator"])
        plain = ids(deploy=False, tags=["recur_emulator"])
    assert deploy.count("recur_emulator.E001") == 1
    assert "recur_emulator.W001" not in deploy
    assert plain == ["recur_emulator.W001"]  # without --deploy the warning still says it


def test_check_deploy_command_output_names_one_emulator_id() -> None:
    with (
        override_settings(DEBUG=False, SILENCED_SYSTEM_CHECKS=[]),
        pytest.raises(SystemCheckError) as raised,
    ):
        call_command("check", deploy=True, fail_level="ERROR", tags=["recur_emulator"])
    output = str(raised.value)
    assert "recur_emulator.E001" in output
    assert "recur_emulator.W001" not in output


# ----------------------------------------------------------------- the emulator's clock


def run_check_without_the_emulator(recur: dict[str, Any], urls: str = "") -> str:
    """``manage.py check`` in a fresh process whose INSTALLED_APPS lack the emulator."""
    script = textwrap.dedent(
        f"""
        import django
        from django.conf import settings
        from django.urls import include, path

        settings.configure(
            INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "recur_django"],
            DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}},
            RECUR={recur!r},
            ROOT_URLCONF="__main__",
            SECRET_KEY="not-secret",
        )
        django.setup()
        urlpatterns = [{urls}]  # after setup(): the include imports recur_django's views
        from django.core.management import call_command
        call_command("check")
        print("CHECK PASSED")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    return done.stdout + done.stderr


KEYS = {"SECRET_KEY": "sk_test_x", "WEBHOOK_SECRET": "whsec_x"}
INCLUDE = 'path("billing/", include("recur_django.urls"))'


def test_the_emulator_clock_without_the_emulator_is_a_check_error_not_a_crash() -> None:
    output = run_check_without_the_emulator(
        {**KEYS, "CLOCK": "recur_django.emulator.clock.now"}, INCLUDE
    )
    assert "Conflicting" not in output and "Traceback" not in output.split("SystemCheckError")[-1]
    assert "recur.E006" in output
    assert "'recur_django.emulator' is not in INSTALLED_APPS" in output
    assert "CHECK PASSED" not in output


def test_without_the_emulator_and_with_the_include_check_passes() -> None:
    assert "CHECK PASSED" in run_check_without_the_emulator(KEYS, INCLUDE)


def test_the_clock_refuses_the_emulator_clock_without_the_emulator_at_run_time() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from recur_django import clock

    with (
        override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "recur_django"]),
        pytest.raises(ImproperlyConfigured, match=r"recur_django\.emulator"),
    ):
        clock.clock_function("recur_django.emulator.clock.now")


# ----------------------------------------------------------------- recur:webhook reverses


def test_a_missing_urlconf_include_is_a_check_error() -> None:
    output = run_check_without_the_emulator(KEYS, urls="")
    assert "recur.E012" in output
    assert 'include("recur_django.urls")' in output
    assert "CHECK PASSED" not in output


@pytest.mark.urls("tests.emulator.urls_without_emulator")
def test_the_include_check_passes_when_the_webhook_reverses() -> None:
    from recur_django.wiring_checks import check_webhook_url

    assert check_webhook_url() == []


def test_the_include_check_fails_without_the_include() -> None:
    from recur_django.wiring_checks import check_webhook_url

    with override_settings(ROOT_URLCONF="tests.test_checks_newcomer"):
        (message,) = check_webhook_url()
    assert message.id == "recur.E012" and message.level == checks.ERROR
    assert "recur:webhook" in message.msg


urlpatterns: list[Any] = []  # the URLconf of the test above: nothing mounted


# ----------------------------------------------------------------- misspelt top-level settings


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("RECURR", "RECUR"),
        ("RECUR_EMULATER", "RECUR_EMULATOR"),
        ("RECUR_EMULATORS", "RECUR_EMULATOR"),
    ],
)
def test_a_misspelt_top_level_setting_gets_a_did_you_mean(name: str, meant: str) -> None:
    from recur_django.wiring_checks import check_setting_names

    with override_settings(**{name: {"SECRET_KEY": "sk_test_x"}}):
        (message,) = check_setting_names()
    assert message.id == "recur.W010" and message.level == checks.WARNING
    assert name in message.msg and f"Did you mean {meant}?" == message.hint


def test_the_right_names_and_unrelated_settings_get_no_warning() -> None:
    from recur_django.wiring_checks import check_setting_names

    with override_settings(RECURSION_DEPTH=3, SECURE_REFERRER_POLICY="same-origin"):
        assert check_setting_names() == []


def test_the_wiring_checks_are_registered() -> None:
    with override_settings(RECURR={}):
        assert "recur.W010" in ids(deploy=False, tags=["recur"])


# ----------------------------------------------------------------- secrets with whitespace


def test_secrets_are_stripped_of_surrounding_whitespace() -> None:
    recur = {
        "SECRET_KEY": " sk_test_x\n",
        "PUBLISHABLE_KEY": "pk_test_x ",
        "WEBHOOK_SECRET": "whsec_x\n",
    }
    with override_settings(RECUR=recur):
        assert recur_settings.SECRET_KEY == "sk_test_x"
        assert recur_settings.PUBLISHABLE_KEY == "pk_test_x"
        assert recur_settings.WEBHOOK_SECRETS == ["whsec_x"]
    with override_settings(RECUR={**recur, "WEBHOOK_SECRET": ["whsec_new ", "\twhsec_old"]}):
        assert recur_settings.WEBHOOK_SECRETS == ["whsec_new", "whsec_old"]
    with override_settings(
        RECUR_EMULATOR={"WEBHOOK_SECRET": "whsec_x\n", "SECRET_KEYS": ["sk_x "]}
    ):
        assert emulator_settings.webhook_secret == "whsec_x"
        assert emulator_settings.secret_keys == ["sk_x"]


@pytest.mark.django_db
def test_a_webhook_secret_with_a_trailing_newline_still_verifies(client) -> None:
    from recur_django.testing import make_event, post_event

    event = make_event("customer.created", {"id": "cus_ws_1", "email": "ws@example.com"})
    with override_settings(RECUR={**KEYS, "WEBHOOK_SECRET": "whsec_x\n"}):
        response = post_event(client, event, secret="whsec_x")
    assert response.status_code == 200, response.content


def test_checks_read_the_stripped_secrets() -> None:
    from recur_django.checks import check_emulator_agreement, check_recur_setting_values

    recur = {**KEYS, "WEBHOOK_SECRET": "whsec_x \n", "API_BASE": "http://127.0.0.1:8000/_recur"}
    emulator = {"SECRET_KEYS": ["sk_test_x"], "WEBHOOK_SECRET": "whsec_x"}
    with override_settings(RECUR=recur, RECUR_EMULATOR=emulator, DEBUG=True):
        assert [m.id for m in check_recur_setting_values()] == []
        assert check_emulator_agreement() == []
