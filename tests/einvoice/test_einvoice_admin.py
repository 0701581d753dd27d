"""E-invoices in the admin: the read-only list (filters, search, VAT periods), the inlines,
and the actions' confirmation pages and permissions."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from recur_django.admin.einvoice import parse_period
from recur_django.einvoice.rules import TAIPEI, Period
from recur_django.models import Customer, EInvoice, EInvoiceAllowance, Payment
from tests.einvoice.conftest import ECPAY_OPTIONS
from tests.settings import RECUR

pytestmark = pytest.mark.django_db

ECPAY = "recur_django.einvoice.backends.ecpay.ECPayBackend"
EINVOICING = {**RECUR, "EINVOICE": {"BACKEND": ECPAY, "OPTIONS": ECPAY_OPTIONS}}
JAN = datetime(2026, 1, 20, 10, tzinfo=TAIPEI)
MAR = datetime(2026, 3, 2, 10, tzinfo=TAIPEI)
# Before the January-February period's void deadline (March 13, Taipei), and after it.
BEFORE_CUTOFF = datetime(2026, 3, 10, tzinfo=TAIPEI)
AFTER_CUTOFF = datetime(2026, 3, 14, tzinfo=TAIPEI)


def invoice(recur_id, status, *, number="", issued_at=None, amount=299, owner=None, **fields):
    customer = fields.pop("customer", None)
    payment = Payment.objects.create(
        recur_id=recur_id,
        kind="renewal",
        status="paid",
        amount=amount,
        customer=customer,
        owner=owner,
        paid_at=issued_at or JAN,
    )
    return EInvoice.objects.create(
        payment=payment,
        relate_number=f"R{recur_id.upper().replace('_', '')}",
        status=status,
        number=number,
        issued_at=issued_at,
        amount=amount,
        **fields,
    )


@pytest.fixture
def invoices(user):
    customer = Customer.objects.create(owner=user, recur_id="cus_amy", email="amy@example.com")
    jan = invoice(
        "in_jan", "issued", number="AB10000001", issued_at=JAN, owner=user, customer=customer
    )
    mar = invoice(
        "in_mar",
        "issued",
        number="CD20000002",
        issued_at=MAR,
        kind="company",
        ubn="22099131",
        amount=1050,
    )
    pending = invoice("in_pending", "pending", owner=user, customer=customer)
    failed = invoice("in_failed", "failed", last_error="[10000016] Refused by the provider.")
    EInvoiceAllowance.objects.create(
        einvoice=mar, number="2026030212345678", amount=50, status="issued"
    )
    return jan, mar, pending, failed


def url(name, *args):
    return reverse(f"admin:recur_django_{name}", args=args)


def page(client, name, *args, **query):
    response = client.get(url(name, *args), query)
    assert response.status_code == 200
    return response.content.decode()


def shown(html):
    """The invoice numbers and relate numbers listed on a change list."""
    return {
        token for token in ("AB10000001", "CD20000002", "RINPENDING", "RINFAILED") if token in html
    }


# --- the list ------------------------------------------------------------------------------


def test_list_shows_number_amount_owner_and_links_the_payment(staff_client, invoices):
    html = page(staff_client, "einvoice_changelist")
    assert shown(html) == {"AB10000001", "CD20000002", "RINPENDING", "RINFAILED"}
    assert "NT$1,050" in html and "NT$299" in html
    assert "alice" in html  # the owner
    assert "in_jan" in html  # the payment column


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "pending"}, {"RINPENDING"}),
        ({"status__exact": "failed"}, {"RINFAILED"}),
        ({"kind__exact": "company"}, {"CD20000002"}),
        ({"period": "20260102"}, {"AB10000001"}),
        ({"period": "20260304"}, {"CD20000002"}),
        ({"period": "20260506"}, set()),
        ({"period": "junk"}, set()),  # bad input: nothing matches, no error
        ({"period": "20260203"}, set()),  # not a period (it starts in an odd month)
    ],
)
def test_filters(staff_client, invoices, query, expected):
    assert shown(page(staff_client, "einvoice_changelist", **query)) == expected


def test_the_period_filter_offers_the_periods_present(staff_client, invoices):
    html = page(staff_client, "einvoice_changelist")
    assert "?period=20260102" in html and "2026-01/02" in html
    assert "?period=20260304" in html and "2026-03/04" in html
    assert "?period=20260506" not in html


def test_a_period_follows_taiwans_calendar(staff_client, db):
    """17:00 UTC on February 28 is 01:00 on March 1 in Taipei: the March-April period."""
    invoice(
        "in_late",
        "issued",
        number="EF30000003",
        issued_at=datetime.fromisoformat("2026-02-28T17:00:00+00:00"),
    )
    assert "EF30000003" in page(staff_client, "einvoice_changelist", period="20260304")
    assert "EF30000003" not in page(staff_client, "einvoice_changelist", period="20260102")


def test_parse_period():
    assert parse_period("20261112") == Period(2026, 11)
    for bad in ("", None, "2026010", "20260203", "2026-1/2", "99990102x", "00000102"):
        assert parse_period(bad) is None


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("AB10000001", {"AB10000001"}),
        ("RINFAILED", {"RINFAILED"}),
        ("cus_amy", {"AB10000001", "RINPENDING"}),
        ("amy@example.com", {"AB10000001", "RINPENDING"}),
        ("alice", {"AB10000001", "RINPENDING"}),  # the owner (a user here)
    ],
)
def test_search(staff_client, invoices, term, expected):
    assert shown(page(staff_client, "einvoice_changelist", q=term)) == expected


def test_the_list_queries_are_bounded(staff_client, invoices, django_assert_max_num_queries):
    for n in range(30):
        invoice(f"in_more_{n}", "issued", number=f"GH{n:08d}", issued_at=MAR)
    with django_assert_max_num_queries(12):
        page(staff_client, "einvoice_changelist")


# --- read-only pages and inlines -----------------------------------------------------------


def test_rows_are_read_only():
    for model in (EInvoice, EInvoiceAllowance):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(None)
        assert not model_admin.has_change_permission(None)
        assert not model_admin.has_delete_permission(None)


def test_invoice_page_shows_its_allowances_and_payment(staff_client, invoices):
    mar = invoices[1]
    html = page(staff_client, "einvoice_change", mar.pk)
    assert "2026030212345678" in html and "NT$50" in html  # the allowance inline
    assert "NT$1,000" in html  # what further allowances may take
    assert url("payment_change", mar.payment.pk) in html
    assert "22099131" in html


def test_invoice_page_shows_the_void_deadline_as_a_local_time(staff_client, invoices):
    jan = invoices[0]
    html = page(staff_client, "einvoice_change", jan.pk)
    # 23:59:59 Taipei on March 13 (TIME_ZONE is Asia/Taipei), as the page's other times.
    assert "March 13, 2026, 11:59 p.m." in html
    assert "+00:00" not in html


def test_payment_page_shows_its_invoice(staff_client, invoices):
    jan = invoices[0]
    html = page(staff_client, "payment_change", jan.payment.pk)
    assert "AB10000001" in html and url("einvoice_change", jan.pk) in html


def test_allowance_list_and_page(staff_client, invoices):
    allowance = EInvoiceAllowance.objects.get()
    html = page(staff_client, "einvoiceallowance_changelist", q="CD20000002")
    assert "2026030212345678" in html and "NT$50" in html
    html = page(staff_client, "einvoiceallowance_change", allowance.pk)
    assert url("einvoice_change", invoices[1].pk) in html


# --- actions: permission and confirmation --------------------------------------------------


def act(client, action, rows, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [row.pk for row in rows], **extra}
    return client.post(url("einvoice_changelist"), data)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def viewer(client):
    """A staff user who may view e-invoices, not change them."""
    user = get_user_model().objects.create_user("viewer", "viewer@example.com", "pw")
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_einvoice", "view_einvoiceallowance"])
    )
    client.force_login(user)
    return client


@override_settings(RECUR=EINVOICING)
def test_actions_need_the_change_permission(viewer, invoices):
    html = page(viewer, "einvoice_changelist")
    assert "retry_invoices" not in html and "void_invoices" not in html
    response = act(viewer, "void_invoices", [invoices[0]], post="yes", reason="wrong buyer")
    assert "Void these invoices" not in response.content.decode()  # no page, nothing done
    assert EInvoice.objects.get(pk=invoices[0].pk).status == "issued"
    viewer_user = get_user_model().objects.get(username="viewer")
    viewer_user.user_permissions.add(Permission.objects.get(codename="change_einvoice"))
    html = page(viewer, "einvoice_changelist")
    assert "retry_invoices" in html and "void_invoices" in html and "allow_invoice" in html
    assert "retry_allowances" in page(viewer, "einvoiceallowance_changelist")


@override_settings(RECUR=EINVOICING)
def test_retry_asks_first_and_leaves_issued_invoices_alone(staff_client, invoices):
    jan, _mar, pending, failed = invoices
    response = act(staff_client, "retry_invoices", [jan, pending, failed])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ask the provider again" in html
    todo = html.split('class="recur-einvoice-todo"')[1].split("</ul>")[0]
    assert "RINPENDING" in todo and "RINFAILED" in todo and "AB10000001" not in todo
    assert "AB10000001: neither pending nor failed" in html
    assert html.count(f'name="{ACTION_CHECKBOX_NAME}"') == 3
    assert 'name="post" value="yes"' in html


@override_settings(RECUR=EINVOICING)
def test_retry_with_nothing_to_retry_says_why(staff_client, invoices):
    response = act(staff_client, "retry_invoices", [invoices[0]])
    assert response.status_code == 302
    assert messages_of(response) == ["AB10000001: neither pending nor failed (Issued)"]


@override_settings(RECUR={**EINVOICING, "CLOCK": lambda: BEFORE_CUTOFF})
def test_void_asks_for_a_reason(staff_client, invoices):
    jan, mar, pending, _failed = invoices
    response = act(staff_client, "void_invoices", [jan, mar, pending])
    html = response.content.decode()
    assert response.status_code == 200 and 'name="reason"' in html and 'maxlength="20"' in html
    todo = html.split('class="recur-einvoice-todo"')[1].split("</ul>")[0]
    assert "AB10000001" in todo and "CD20000002" not in todo
    assert "CD20000002: it has allowances" in html
    assert "RINPENDING (pending): not issued" in html
    response = act(staff_client, "void_invoices", [jan], post="yes", reason="   ")
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert EInvoice.objects.get(pk=jan.pk).status == "issued"


@override_settings(RECUR={**EINVOICING, "CLOCK": lambda: AFTER_CUTOFF})
def test_void_after_the_cutoff_is_refused(staff_client, invoices):
    response = act(staff_client, "void_invoices", [invoices[0]])
    assert response.status_code == 302
    assert messages_of(response) == [
        "AB10000001: past its void deadline; refund it with an allowance"
    ]


@override_settings(RECUR=EINVOICING)
def test_allowance_asks_for_an_amount_within_what_remains(staff_client, invoices):
    mar = invoices[1]
    response = act(staff_client, "allow_invoice", [mar])
    html = response.content.decode()
    assert response.status_code == 200 and 'name="amount"' in html and "NT$1,000" in html
    for bad, error in (("1001", "At most NT$1,000"), ("0", "greater than or equal to 1"),
                       ("ten", "Enter a whole number")):  # fmt: skip
        response = act(staff_client, "allow_invoice", [mar], post="yes", amount=bad)
        assert response.status_code == 200 and error in response.content.decode()
    assert EInvoiceAllowance.objects.count() == 1


@override_settings(RECUR=EINVOICING)
def test_allowance_needs_exactly_one_issued_invoice(staff_client, invoices):
    jan, mar, pending, _failed = invoices
    response = act(staff_client, "allow_invoice", [jan, mar])
    assert response.status_code == 302
    assert messages_of(response) == ["Select exactly one e-invoice for an allowance."]
    response = act(staff_client, "allow_invoice", [pending])
    assert messages_of(response)[-1] == "RINPENDING (pending): not issued (Pending)"


def test_actions_while_einvoicing_is_off_send_nothing(staff_client, invoices):
    response = act(staff_client, "retry_invoices", [invoices[2]])
    assert response.status_code == 302
    assert messages_of(response) == [
        "E-invoicing is off (RECUR['EINVOICE'] is not set): nothing was sent."
    ]


@override_settings(RECUR={**EINVOICING, "CLOCK": lambda: BEFORE_CUTOFF})
@pytest.mark.parametrize(("status", "blocks"), [("failed", True), ("voided", False)])
def test_an_allowance_not_voided_blocks_a_void(staff_client, invoices, status, blocks):
    jan = invoices[0]
    EInvoiceAllowance.objects.create(einvoice=jan, amount=10, status=status)
    response = act(staff_client, "void_invoices", [jan])
    if blocks:
        assert messages_of(response) == [
            "AB10000001: it has allowances: void them at the provider first"
        ]
    else:
        assert response.status_code == 200 and 'name="reason"' in response.content.decode()
