"""What a buyer meets around checkout: login resumes the purchase, the return page's
not-found text, and the latest decline as the failure reason."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from recur_django.models import Transaction

pytestmark = pytest.mark.django_db


def test_logging_in_from_a_buy_button_resumes_the_checkout(client, user):
    response = client.post(
        reverse("recur:checkout"),
        {"product": "pro-monthly", "mode": "SUBSCRIPTION"},
        headers={"referer": "http://testserver/pricing/"},
    )
    assert response.status_code == 302
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert next_url == f"{reverse('recur:checkout')}?product=pro-monthly&mode=SUBSCRIPTION"
    assert client.get(next_url).status_code == 302  # still logged out: to the login page
    client.force_login(user)
    page = client.get(next_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="product" value="pro-monthly"' in html
    assert 'name="mode" value="SUBSCRIPTION"' in html
    assert "csrfmiddlewaretoken" in html and ".submit()" in html
    assert not Transaction.objects.exists()  # a GET never starts a checkout


def test_resume_page_escapes_what_it_echoes_and_waits_for_a_click_on_foreign_links(client, user):
    client.force_login(user)
    html = client.get(reverse("recur:checkout"), {"product": '"><script>x()</script>'})
    assert b"<script>x()" not in html.content
    assert b".submit()" not in html.content  # a link from elsewhere starts nothing by itself
    assert b'name="product"' in html.content
    assert client.get(reverse("recur:checkout"), {"product": "x" * 200}).status_code == 400


def test_return_page_not_found_speaks_of_the_return(client, user):
    client.force_login(user)
    response = client.get(reverse("recur:checkout-return"), {"session_id": "cs_unknown"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find this checkout" in html
    assert "could not start your checkout" not in html


def test_failure_reason_is_the_latest_decline(recur_emulator, user):
    browser = Client(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    browser.force_login(user)
    assert browser.post(reverse("recur:checkout"), {"product": "ebook"}).status_code == 303
    txn = Transaction.objects.get()
    recur_emulator.pay(txn.checkout_session_id, card="4000000000000002")
    recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == "failed" and "declined" in txn.failure_reason
    recur_emulator.pay(txn.checkout_session_id, card="4000000000000069")
    recur_emulator.deliver()
    txn.refresh_from_db()
    assert txn.status == "failed" and "expired" in txn.failure_reason
