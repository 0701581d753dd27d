import pytest

from recur_django.models import Transaction
from recur_django.testing import checkout_completed, post_event, run_webhook_tasks


@pytest.fixture
def task_mode(settings):
    settings.RECUR = {**settings.RECUR, "WEBHOOK_PROCESSING": "task"}


@pytest.mark.django_db
def test_points_are_credited_by_the_worker(client, django_user_model, task_mode):
    user = django_user_model.objects.create_user("amy", "amy@example.com", "pw")
    txn = Transaction.objects.create(
        user=user, product_id="prod_credits_100", amount=100, checkout_session_id="cs_test_1"
    )
    answer = post_event(client, checkout_completed(transaction=txn)).json()
    assert answer["status"] == "received"  # stored; a worker would apply it

    assert run_webhook_tasks() == {answer["id"]: "processed"}  # what the worker does
    txn.refresh_from_db()
    assert txn.status == "completed"
