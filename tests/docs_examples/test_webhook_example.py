import pytest

from recur_django.models import Transaction
from recur_django.testing import checkout_completed, post_event


@pytest.fixture
def pending_txn(django_user_model):
    """A checkout your site started: what start_checkout() stores before calling Recur."""
    user = django_user_model.objects.create_user("amy", "amy@example.com", "pw")
    return Transaction.objects.create(
        owner=user,
        user=user,
        product_id="prod_credits_100",
        mode=Transaction.Mode.PAYMENT,
        amount=100,
        checkout_session_id="cs_test_1",
    )


@pytest.mark.django_db
def test_points_are_credited(client, pending_txn, django_capture_on_commit_callbacks):
    event = checkout_completed(transaction=pending_txn)  # what Recur sends when it is paid
    with django_capture_on_commit_callbacks(execute=True):  # signals run after commit
        assert post_event(client, event).json()["status"] == "processed"
    pending_txn.refresh_from_db()
    assert pending_txn.status == "completed"
