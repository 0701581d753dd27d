"""No Recur call happens inside an open database transaction.

Every flow that calls Recur from a request — the payment-link admin (add, edit,
deactivate, bulk action), the portal, checkout and its return page, and the REST API —
runs against the emulator over real HTTP with ``ATOMIC_REQUESTS=True``:

- on every database, a ``requests`` response hook on the client's session (a documented
  hook of ``requests``, installed through ``RecurClient.session``) records whether a
  transaction was open when each request went out: none may be;
- on SQLite, the same flows run again in a child pytest on a *file* database in
  ``IMMEDIATE`` mode, where a call inside a transaction holds the write lock the
  emulator (same database, own connection) needs: the call would fail with "database is
  locked". They must all succeed; the elapsed times are printed, not asserted. There, a
  lock held by another process shows that the admin's error carries what the emulator
  said ("database is locked").
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from recur_django.client_factory import get_client
from recur_django.emulator.models import Subscription as EmulatedSubscription
from recur_django.models import Customer, PaymentLink, Transaction
from recur_django.portal import start_portal_session
from recur_django.transaction_state import in_open_transaction

ROOT = Path(__file__).resolve().parents[2]
IMMEDIATE = os.environ.get("RECUR_TEST_SQLITE_MODE", "").upper() == "IMMEDIATE"


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ATOMIC_REQUESTS = True`` for the default database, as many sites set it."""
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


def _subscribed_user(emulator: Any) -> Any:
    user = get_user_model().objects.create_user("carol", "carol@example.com", "pw")
    session = emulator.client.checkout_sessions.create(
        product_id="prod_pro_monthly",
        success_url="https://shop.example/ok",
        cancel_url="https://shop.example/cancel",
        customer_email=user.email,
        external_customer_id=f"ext_{user.pk}",
    )
    assert emulator.pay(session.id).status_code == 303
    sub = EmulatedSubscription.objects.filter(customer__email=user.email).latest("id")
    Customer.objects.create(owner=user, recur_id=sub.customer.id, email=user.email)
    return user


def _timed(times: dict[str, float], name: str, call: Any) -> Any:
    started = time.perf_counter()
    result = call()
    times[name] = time.perf_counter() - started
    return result


def run_flows(emulator: Any, admin_client: Client) -> dict[str, float]:
    """Every request path that calls Recur; each must succeed. Returns elapsed seconds."""
    times: dict[str, float] = {}
    add = reverse("admin:recur_django_paymentlink_add")
    form = {
        "product_id": "prod_ebook",
        "collect_payment_method": "always",
        "promotion_code": "",
        "success_url": "https://shop.example/thanks",
        "max_completions": "",
        "metadata": "",
    }
    admin_client.get(add)  # the product list (a read)
    response = _timed(times, "admin add", lambda: admin_client.post(add, form))
    assert response.status_code == 302, response.content.decode()[:3000]
    link = PaymentLink.objects.get()

    change = reverse("admin:recur_django_paymentlink_change", args=[link.pk])
    edit = {
        "active": "on",
        "collect_payment_method": "always",
        "promotion_code": "SPRING",
        "success_url": "https://shop.example/thanks",
        "max_completions": "10",
        "metadata": "",
    }
    response = _timed(times, "admin edit", lambda: admin_client.post(change, edit))
    assert response.status_code == 302, response.content.decode()[:3000]
    link.refresh_from_db()
    assert (link.promotion_code, link.max_completions) == ("SPRING", 10)

    bulk = {"action": "deactivate_links", "_selected_action": [link.pk]}
    changelist = reverse("admin:recur_django_paymentlink_changelist")
    response = _timed(times, "admin bulk action", lambda: admin_client.post(changelist, bulk))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.active is False
    admin_client.post(changelist, {"action": "activate_links", "_selected_action": [link.pk]})
    delete = reverse("admin:recur_django_paymentlink_delete", args=[link.pk])
    response = _timed(times, "admin deactivate", lambda: admin_client.post(delete, {"post": "yes"}))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.active is False

    buyer = Client(SERVER_NAME="localhost")  # the emulator's host: return URLs are accepted
    buyer.force_login(_subscribed_user(emulator))
    response = _timed(times, "portal", lambda: buyer.post(reverse("recur:portal")))
    assert response.status_code == 303, response.content.decode()[:2000]
    assert "/_recur/" in response["Location"]

    checkout = reverse("recur:checkout")
    response = _timed(times, "checkout", lambda: buyer.post(checkout, {"product": "ebook"}))
    assert response.status_code == 303, response.content.decode()[:2000]
    txn = Transaction.objects.get(product_id="prod_ebook")
    assert emulator.pay(txn.checkout_session_id).status_code == 303
    back = reverse("recur:checkout-return") + f"?session_id={txn.checkout_session_id}"
    response = _timed(times, "checkout return", lambda: buyer.get(back))
    assert response.status_code == 200 and response.context["state"] == "success"

    api = reverse("recur-api:checkout-sessions")
    body = {"product": "credits-100"}
    response = _timed(
        times, "api checkout", lambda: buyer.post(api, body, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    portal = reverse("recur-api:portal-sessions")
    response = _timed(
        times, "api portal", lambda: buyer.post(portal, {}, content_type="application/json")
    )
    assert response.status_code == 201, response.content
    return times


def test_no_transaction_is_open_when_the_client_sends(
    recur_emulator: Any, admin_client: Client, atomic_requests: None
) -> None:
    sent: list[tuple[str, str, bool]] = []

    def record(response: Any, *args: Any, **kwargs: Any) -> None:
        request = response.request
        sent.append((request.method, request.path_url, connection.in_atomic_block))

    session = get_client().session
    session.hooks["response"].append(record)
    try:
        run_flows(recur_emulator, admin_client)
    finally:
        session.hooks["response"].remove(record)
    for prefix in ("/_recur/v1/payment-links", "/_recur/v1/portal", "/_recur/v1/checkout"):
        assert any(path.startswith(prefix) for _m, path, _open in sent), (prefix, sent)
    inside = [(method, path) for method, path, open_ in sent if open_]
    assert not inside, f"Recur called inside a transaction: {inside}"


@pytest.mark.skipif(not IMMEDIATE, reason="runs in the child pytest started below")
def test_flows_finish_on_file_sqlite_in_immediate_mode(
    recur_emulator: Any, admin_client: Client, atomic_requests: None
) -> None:
    assert connection.vendor == "sqlite"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert connection.settings_dict["TEST"]["NAME"], "needs a file database"
    times = run_flows(recur_emulator, admin_client)
    for name, seconds in times.items():
        print(f"IMMEDIATE-SQLITE {name}: {seconds:.3f} s")


@pytest.mark.skipif(not IMMEDIATE, reason="runs in the child pytest started below")
def test_the_admin_says_what_the_emulator_said_when_it_fails(
    recur_emulator: Any, admin_client: Client
) -> None:
    """Another process holds the write lock: the emulator cannot store the link, and the
    admin's error names the cause the emulator gave, not a bare "failed unexpectedly"."""
    add = reverse("admin:recur_django_paymentlink_add")
    admin_client.get(add)  # the product list, cached
    form = {"product_id": "prod_ebook", "collect_payment_method": "always", "metadata": ""}
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        response = admin_client.post(add, form)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Recur failed (HTTP 500, internal_error)" in errors, errors
    assert "OperationalError: database is locked" in errors, errors
    assert not PaymentLink.objects.exists()


def test_on_file_sqlite_in_immediate_mode(tmp_path: Path) -> None:
    """Run the flows in a child pytest on a file SQLite database in IMMEDIATE mode."""
    if connection.vendor != "sqlite":
        pytest.skip("the write-lock check is SQLite's; PostgreSQL is covered above")
    if IMMEDIATE:
        pytest.skip("this is the child run")
    env = {
        **os.environ,
        "RECUR_TEST_SQLITE": str(tmp_path / "immediate.sqlite3"),
        "RECUR_TEST_SQLITE_MODE": "IMMEDIATE",
    }
    env.pop("RECUR_TEST_DB", None)
    module = Path(__file__).relative_to(ROOT)
    nodes = [
        f"{module}::test_flows_finish_on_file_sqlite_in_immediate_mode",
        f"{module}::test_the_admin_says_what_the_emulator_said_when_it_fails",
    ]
    child = subprocess.run(
        [sys.executable, "-m", "pytest", *nodes, "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = [line for line in child.stdout.splitlines() if line.startswith("IMMEDIATE-SQLITE")]
    print("\n".join(figures))
    assert child.returncode == 0, child.stdout[-6000:] + child.stderr[-3000:]
    assert len(figures) >= 8, child.stdout[-3000:]
    assert f"{len(nodes)} passed" in child.stdout, child.stdout[-3000:]


@pytest.mark.django_db
def test_the_test_case_transaction_does_not_count() -> None:
    assert connection.in_atomic_block  # pytest-django's per-test transaction
    assert not in_open_transaction()
    with transaction.atomic():
        assert in_open_transaction()


def test_a_caller_inside_a_transaction_is_warned(
    recur_emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = _subscribed_user(recur_emulator)
    warning = "start_portal_session was called inside an open database transaction"
    with caplog.at_level(logging.WARNING, logger="recur_django"):
        start_portal_session(user, return_url="https://shop.example/")
        assert not any(warning in r.getMessage() for r in caplog.records)
        with transaction.atomic():
            start_portal_session(user, return_url="https://shop.example/")
    assert any(warning in r.getMessage() for r in caplog.records)
