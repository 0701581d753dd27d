"""Two teams (Acme, Globex), an Acme admin and member, a Globex admin; browsers for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from recur_django import signals
from recur_django.models import Transaction
from tests.recur_helpers import SignalRecorder
from tests.teams.billing import SESSION_KEY
from tests.teams.models import Membership, Team

WATCHED = (
    "transaction_completed",
    "transaction_failed",
    "payment_succeeded",
    "payment_failed",
    "payment_refunded",
    "subscription_renewed",
    "subscription_changed",
    "trial_will_end",
)


def join(team: Team, username: str, role: str = Membership.Role.MEMBER) -> Any:
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
    Membership.objects.create(team=team, user=user, role=role)
    return user


@pytest.fixture
def acme(db) -> Team:
    return Team.objects.create(name="Acme", billing_email="billing@acme.example")


@pytest.fixture
def globex(db) -> Team:
    return Team.objects.create(name="Globex", billing_email="ap@globex.example")


@pytest.fixture
def ada(acme):
    """Acme's billing admin."""
    return join(acme, "ada", Membership.Role.ADMIN)


@pytest.fixture
def max_(acme):
    """An Acme member without billing rights."""
    return join(acme, "max")


@pytest.fixture
def gus(globex):
    """Globex's billing admin: an outsider to Acme."""
    return join(globex, "gus", Membership.Role.ADMIN)


def browser_for(user: Any, team: Team | None = None) -> Client:
    """A logged-in browser (loopback: the emulator accepts its http:// URLs) working in
    ``team`` (the site's team switcher stores it in the session)."""
    browser = Client(SERVER_NAME="localhost")
    browser.force_login(user)
    if team is not None:
        session = browser.session
        session[SESSION_KEY] = team.pk
        session.save()
    return browser


@pytest.fixture
def sent():
    """Every billing signal's sends, by name."""
    recorders = {name: SignalRecorder(getattr(signals, name)) for name in WATCHED}
    for recorder in recorders.values():
        recorder.__enter__()
    yield {name: recorder.calls for name, recorder in recorders.items()}
    for recorder in recorders.values():
        recorder.__exit__()


def start(browser: Client, product: str) -> Transaction:
    """POST recur:checkout as a form; the 303 goes to the emulator's hosted page."""
    response = browser.post(reverse("recur:checkout"), {"product": product})
    assert response.status_code == 303, response.content
    txn = Transaction.objects.latest("created_at")
    assert response["Location"] == txn.checkout_url
    return txn


def flush(recur_emulator: Any) -> None:
    deliveries = recur_emulator.deliver()
    assert all(d.status == "SUCCEEDED" for d in deliveries), [
        (d.event_id, d.status) for d in deliveries
    ]


def buy(recur_emulator: Any, browser: Client, product: str) -> Transaction:
    """Start a checkout in ``browser``, pay it on the hosted page, deliver the webhooks."""
    txn = start(browser, product)
    assert recur_emulator.pay(txn.checkout_session_id).status_code == 303
    flush(recur_emulator)
    txn.refresh_from_db()
    assert txn.status == Transaction.Status.COMPLETED
    return txn
