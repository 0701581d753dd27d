"""One plan per family under races (issue 17, finding 5), against the emulator over HTTP.

At most one live subscription checkout per buyer and plan family: four simultaneous
checkouts open one Recur session (the others get ``409 checkout_in_progress`` with the
open session to resume), a paid checkout whose subscription is not mirrored yet holds the
family (``409 already_subscribed``), and an open session past its expiry does not block.

The threads need a database several connections can write: PostgreSQL, or SQLite on a
file. On the in-memory SQLite of the normal run, :func:`test_races_on_a_file_sqlite_database`
runs this module again in a child pytest on a file database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django import signals
from recur_django.checkout import start_checkout
from recur_django.emulator import clock as emulator_clock
from recur_django.emulator.models import CheckoutSession
from recur_django.models import Transaction
from recur_django.plans import AlreadySubscribed, CheckoutInProgress
from tests.recur_helpers import SignalRecorder, envelope, post_event, run_together

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
FILE_SQLITE = bool(os.environ.get("RECUR_TEST_SQLITE"))
THREADS_CAN_WRITE = connection.vendor == "postgresql" or FILE_SQLITE


def buyer_client(user) -> Client:
    client = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    client.force_login(user)
    return client


def start(user, product: str = "pro-monthly", **kwargs):
    """``start_checkout`` with absolute URLs (on a host the emulator redirects to)."""
    urls = {"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/"}
    return start_checkout(user, product, **urls, **kwargs)


def checkout(client: Client, product: str = "pro-monthly"):
    return client.post(
        reverse("recur:checkout"), {"product": product}, content_type="application/json"
    )


@pytest.mark.skipif(not THREADS_CAN_WRITE, reason="runs on PostgreSQL and in the child below")
def test_four_simultaneous_checkouts_open_one_session(recur_emulator, user):
    clients = [buyer_client(user) for _ in range(4)]
    responses = run_together(lambda i: checkout(clients[i]), 4)
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], [
        r.content for r in responses
    ]
    [started] = [r.json() for r in responses if r.status_code == 200]
    refused = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {e["code"] for e in refused} == {"checkout_in_progress"}
    assert {e["transaction_id"] for e in refused} == {started["transaction_id"]}
    assert CheckoutSession.objects.count() == 1  # one session opened on Recur
    assert Transaction.objects.count() == 1
    # Once the winner's session is stored, a further attempt is offered it to resume.
    again = checkout(buyer_client(user)).json()["error"]
    assert again["code"] == "checkout_in_progress" and again["url"] == started["url"]


@pytest.mark.skipif(not THREADS_CAN_WRITE, reason="runs on PostgreSQL and in the child below")
def test_family_members_race_too(recur_emulator, user):
    """A monthly and a yearly plan of one family, started together: one session."""
    from recur_django.emulator.models import Product
    from recur_django.emulator.services.catalog import ensure_products
    from recur_django.products import clear_cache

    ensure_products()
    Product.objects.filter(id__in=["prod_pro_monthly", "prod_pro_yearly"]).update(
        metadata={"productFamily": "pro"}
    )
    clear_cache()
    clients = [buyer_client(user) for _ in range(4)]
    plans = ["pro-monthly", "pro-yearly", "pro-monthly", "pro-yearly"]
    responses = run_together(lambda i: checkout(clients[i], plans[i]), 4)
    clear_cache()
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert CheckoutSession.objects.count() == 1


def test_races_on_a_file_sqlite_database(tmp_path: Path) -> None:
    """SQLite: the threaded tests above, in a child pytest on a file database."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL runs the threaded tests directly")
    if FILE_SQLITE:
        pytest.skip("this is the child run")
    env = {
        **os.environ,
        "RECUR_TEST_SQLITE": str(tmp_path / "races.sqlite3"),
        # The documented production mode: each transaction takes the write lock first.
        "RECUR_TEST_SQLITE_MODE": "IMMEDIATE",
    }
    env.pop("RECUR_TEST_DB", None)
    module = Path(__file__).relative_to(ROOT)
    nodes = [
        f"{module}::test_four_simultaneous_checkouts_open_one_session",
        f"{module}::test_family_members_race_too",
    ]
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *nodes,
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert f"{len(nodes)} passed" in child.stdout, child.stdout[-3000:]


def test_an_open_checkout_is_offered_to_resume(recur_emulator, user):
    client = buyer_client(user)
    first = checkout(client).json()
    refused = checkout(client)
    assert refused.status_code == 409
    assert refused.json()["error"]["url"] == first["url"]
    page = client.post(reverse("recur:checkout"), {"product": "pro-monthly"})
    assert page.status_code == 409
    html = page.content.decode()
    assert "Your checkout is still open" in html and first["url"] in html
    api = APIClient(SERVER_NAME="localhost")
    api.force_authenticate(user)
    rest = api.post(
        reverse("recur-api:checkout-sessions"), {"product": "pro-monthly"}, format="json"
    )
    assert rest.status_code == 409
    assert rest.json()["error"] == {
        "code": "checkout_in_progress",
        "message": rest.json()["error"]["message"],
        "url": first["url"],
        "transaction_id": first["transaction_id"],
    }
    # One-time products and card set-ups are not plans: never held up.
    assert checkout(client, "ebook").status_code == 200
    assert start(user, "prod_pro_monthly", mode="setup").mode == "SETUP"


def test_a_paid_checkout_holds_its_family_until_mirrored_and_after(recur_emulator, user):
    client = buyer_client(user)
    first = checkout(client).json()
    txn = Transaction.objects.get(public_id=first["transaction_id"])
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    # Only the checkout's own event arrives; the subscription's are still on their way.
    paid = recur_emulator.events("checkout.completed")[-1]["data"]
    assert post_event(Client(), envelope("checkout.completed", paid)).status_code == 200
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED and txn.subscription_id

    held = checkout(client)
    assert held.status_code == 409
    error = held.json()["error"]
    assert error["code"] == "already_subscribed"
    assert error["subscription_id"] == txn.subscription_id
    assert Transaction.objects.count() == 1  # the refused claim left nothing behind
    with pytest.raises(AlreadySubscribed):
        start(user)

    recur_emulator.deliver()  # the subscription is mirrored now: the plan itself holds it
    assert checkout(client).json()["error"]["code"] == "already_subscribed"
    assert CheckoutSession.objects.count() == 1


def test_an_open_session_past_its_expiry_does_not_block(recur_emulator, user):
    first = start(user)
    with pytest.raises(CheckoutInProgress):
        start(user)
    assert first.expires_at is not None
    recur_emulator.advance(seconds=(first.expires_at - emulator_clock.now()).total_seconds() + 60)
    with SignalRecorder(signals.transaction_failed) as failed:
        second = start(user)
    first.refresh_from_db()
    assert first.status == Transaction.Status.EXPIRED
    assert [c["transaction"].pk for c in failed.calls] == [first.pk]
    assert second.status == Transaction.Status.PENDING and second.checkout_url
    assert second.expires_at - emulator_clock.now() > timedelta(hours=1)
