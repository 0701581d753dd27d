"""What the payment-link admin tells people: Recur's own words, plurals, why nothing
happened, and never an unsaved value shown as if Recur had it; plus the repair of a link
Recur accepted but the database failed to store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection
from django.urls import reverse

from recur_django import payment_links as service
from recur_django.models import PaymentLink
from tests.payment_links.test_admin import ADD_URL, LIST_URL, add_data, change_data, change_url


def _action(staff: Any, action: str, links: list[PaymentLink]) -> str:
    page = staff.post(
        LIST_URL, {"action": action, "_selected_action": [link.pk for link in links]}, follow=True
    )
    assert page.status_code == 200
    return page.content.decode()


def test_messages_count_links_with_plurals(staff: Any, recur_emulator: Any) -> None:
    one, two = (service.create_payment_link(product_id="prod_ebook") for _ in range(2))
    assert "Deactivated 1 payment link on Recur." in _action(staff, "deactivate_links", [one])
    html = _action(staff, "activate_links", [one, two])
    assert "Activated 1 payment link on Recur." in html
    html = _action(staff, "deactivate_links", [one, two])
    assert "Deactivated 2 payment links on Recur." in html


def test_a_bulk_action_that_changes_nothing_says_why(staff: Any, recur_emulator: Any) -> None:
    links = [service.create_payment_link(product_id="prod_ebook") for _ in range(2)]
    html = _action(staff, "activate_links", links)
    assert "Nothing to activate: the 2 selected payment links are already active." in html
    for link in links:
        service.deactivate_payment_link(link)
    html = _action(staff, "deactivate_links", links[:1])
    assert "Nothing to deactivate: the 1 selected payment link is already inactive." in html
    html = _action(staff, "forget_missing_links", links)
    assert "Nothing removed: Recur still returns every selected link." in html
    assert PaymentLink.objects.count() == 2


def test_the_success_url_field_is_wide(staff: Any, recur_emulator: Any) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    for url in (ADD_URL, change_url(link)):
        html = staff.get(url).content.decode()
        assert 'class="recur-wide-url"' in html and 'size="80"' in html
        assert "input.recur-wide-url { width: min(60em, 100%)" in html


def test_the_error_carries_what_recur_said(staff: Any, recur_emulator: Any) -> None:
    staff.get(ADD_URL)  # products now cached
    recur_emulator.fault("500", count=5)
    response = staff.post(ADD_URL, add_data())
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Recur failed (HTTP 500, internal_error): Injected fault: 500 (500)." in errors
    assert "Nothing was saved" in errors
    assert not PaymentLink.objects.exists()


def test_a_failed_edit_does_not_show_the_unsaved_values_as_recurs(
    staff: Any, recur_emulator: Any
) -> None:
    link = service.create_payment_link(product_id="prod_ebook", max_completions=5)
    recur_emulator.fault("500", count=5)
    response = staff.post(change_url(link), change_data(link, max_completions="7"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "HTTP 500" in " ".join(form.non_field_errors())
    # The read-only "completions / max" figure is still what Recur has, not what was typed.
    assert form.instance.max_completions == 5
    html = response.content.decode()
    assert "0 / 5" in html and "0 / 7" not in html
    link.refresh_from_db()
    assert link.max_completions == 5
    from recur_django.emulator.models import PaymentLink as EmulatorLink

    assert EmulatorLink.objects.get(id=link.recur_id).max_completions == 5


@contextmanager
def failing_link_writes(times: int) -> Iterator[list[str]]:
    """Make the next ``times`` INSERT/UPDATEs of our payment-link table fail, as a full
    disk or a lock timeout would (Django's documented ``execute_wrapper`` hook)."""
    failed: list[str] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        verb = sql.lstrip().split(" ", 1)[0].upper()
        ours = verb in ("INSERT", "UPDATE") and '"recur_django_paymentlink"' in sql
        if ours and len(failed) < times:
            failed.append(sql)
            raise OperationalError("disk I/O error (simulated)")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


def test_a_link_recur_created_but_we_failed_to_store_is_read_back(
    staff: Any, recur_emulator: Any
) -> None:
    staff.get(ADD_URL)  # products now cached
    with failing_link_writes(1) as failed:
        response = staff.post(ADD_URL, add_data(promotion_code="SPRING"), follow=True)
    assert failed, "the local write was never attempted"
    html = response.content.decode()
    assert "Storing it here failed at first" in html and "read back from Recur" in html
    link = PaymentLink.objects.get()
    assert link.promotion_code == "SPRING"
    assert [r.id for r in recur_emulator.client.payment_links.list(limit=10).data] == [
        link.recur_id
    ]


def test_when_the_repair_fails_too_the_admin_says_not_to_repeat(
    staff: Any, recur_emulator: Any
) -> None:
    staff.get(ADD_URL)
    with failing_link_writes(10):
        response = staff.post(ADD_URL, add_data())
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Do not repeat the change" in errors and "Sync from Recur" in errors
    assert not PaymentLink.objects.exists()
    remote = recur_emulator.client.payment_links.list(limit=10).data
    assert len(remote) == 1 and remote[0].id in errors
    # The sync the message points at brings it in.
    staff.post(reverse("admin:recur_django_paymentlink_sync"))
    assert PaymentLink.objects.get().recur_id == remote[0].id


def test_an_edit_recur_accepted_is_read_back_when_storing_failed(
    staff: Any, recur_emulator: Any
) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    with failing_link_writes(1):
        response = staff.post(change_url(link), change_data(link, promotion_code="LATE"))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.promotion_code == "LATE"


def test_a_deactivation_recur_accepted_is_read_back_when_storing_failed(
    staff: Any, recur_emulator: Any
) -> None:
    link = service.create_payment_link(product_id="prod_ebook")
    with failing_link_writes(1):
        html = _action(staff, "deactivate_links", [link])
    assert "read back from Recur" in html
    link.refresh_from_db()
    assert link.active is False
