"""Management commands with bad arguments, unknown ids and unreachable URLs: a
CommandError with a clear message, never a traceback."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from recur_django.models import WebhookEvent

pytestmark = pytest.mark.django_db


def run(*args, **options):
    with pytest.raises(CommandError) as info:
        call_command(*args, **options)
    message = str(info.value)
    assert message and "Traceback" not in message
    return message


def test_replay_without_ids():
    assert "event ids" in run("recur_replay")


def test_replay_unknown_ids():
    assert "evt_nope" in run("recur_replay", "evt_nope", "\u4e2d" * 300)


def stored(event_id: str, body: bytes, headers) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=event_id,
        type="checkout.completed",
        body=body,
        headers=headers,
        payload=None,
        status=WebhookEvent.Status.FAILED,
        error="boom",
        traceback="Traceback ...",
    )


@pytest.mark.parametrize(
    "body, headers",
    [
        (b"", {}),
        (b"\xff\xfe not json", {"X-Recur-Signature": "abc"}),
        (b"[]", {"X-Recur-Signature": "x" * 5000}),
        (b"{}", ["not", "a", "mapping"]),
        (b"{}", "a string"),
        (b"{}", {"X-Recur-Signature": 12345}),
    ],
)
def test_replay_of_a_corrupt_stored_event_reports_it(body, headers, capsys):
    stored("evt_corrupt", body, headers)
    call_command("recur_replay", "evt_corrupt")
    out = capsys.readouterr().out
    assert "evt_corrupt: unverified" in out or "evt_corrupt: invalid" in out
    assert WebhookEvent.objects.get(event_id="evt_corrupt").body == body


def test_replay_of_a_signed_but_invalid_body_reports_invalid(capsys):
    from recur_django.testing import sign

    body = b'{"id": "evt_bad", "type": "x", "data": "not an object"}'
    stored("evt_bad", body, {"X-Recur-Signature": sign(body, "whsec_test_secret")})
    call_command("recur_replay", "evt_bad")
    assert "evt_bad: invalid" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["nodot", "--url", "http://127.0.0.1:1/x"],
        ["has space.x", "--url", "http://127.0.0.1:1/x"],
        ["a." + "x" * 200, "--url", "http://127.0.0.1:1/x"],
        ["checkout.completed", "--url", "ftp://example.com/"],
        ["checkout.completed", "--url", "not a url"],
        ["checkout.completed", "--url", "http://[::1"],
        ["checkout.completed", "--url", "http://"],
        ["checkout.completed", "--url", "http://127.0.0.1:1/x"],
        ["checkout.completed", "--url", "http://127.0.0.1:1/x", "--timeout", "-1"],
        ["checkout.completed", "--url", "http://127.0.0.1:1/x", "--timeout", "nan"],
        ["checkout.completed", "--url", "http://127.0.0.1:1/x", "--timeout", "0"],
        ["checkout.completed", "--url", "http://127.0.0.1:1/x", "--transaction", "txn_nope"],
        ["checkout.completed", "--url", "http://exa mple.com/x"],
    ],
)
def test_trigger_bad_arguments(args):
    run("recur_trigger", *args)


def test_trigger_without_a_secret(settings):
    settings.RECUR = {k: v for k, v in settings.RECUR.items() if k != "WEBHOOK_SECRET"}
    assert "secret" in run("recur_trigger", "checkout.completed", "--url", "http://127.0.0.1:1/")


def test_sync_commands_with_recur_unreachable():
    assert "connect" in run("recur_sync_subscriptions").lower()
    assert "connect" in run("recur_sync_payment_links").lower()


@pytest.mark.parametrize("size", ["0", "-5", "101"])
def test_sync_subscriptions_bad_page_size(size):
    assert "page-size" in run("recur_sync_subscriptions", "--page-size", size)


def test_sync_subscriptions_with_a_bad_api_base(settings):
    settings.RECUR = {**settings.RECUR, "API_BASE": "not a url"}
    run("recur_sync_subscriptions")


def test_sync_payment_links_with_a_bad_api_base(settings):
    settings.RECUR = {**settings.RECUR, "API_BASE": "http://[::1"}
    run("recur_sync_payment_links")


def test_sync_without_a_secret_key(settings):
    settings.RECUR = {**settings.RECUR, "SECRET_KEY": ""}
    run("recur_sync_subscriptions")
    run("recur_sync_payment_links")


def test_expire_runs_on_an_empty_table(capsys):
    call_command("recur_expire")
    call_command("recur_expire", "--dry-run")
    assert "0 transaction" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["advance"],
        ["advance", "--days", "-1"],
        ["advance", "--days", "nan"],
        ["advance", "--days", "inf"],
        ["advance", "--days", "1e12"],
        ["advance", "--hours", "1e300"],
        ["fail-card", "cus_nobody"],
        ["fail-card", ""],
    ],
)
def test_emulator_command_bad_arguments(args):
    run("recur_emulator", *args)
