"""Task mode with real ``db_worker`` processes on PostgreSQL (run by test_task_worker.py).

Not collected by the main run (no ``test_`` prefix): a child pytest runs this file with
``tests.task_settings`` (django-tasks-db installed, task mode on). The tests use
``transactional_db``, so the endpoint's INSERTs and the enqueued tasks are committed and
visible to the worker processes, which connect to the same test database (its name is
passed to them in PGDATABASE).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from recur_django import signals
from recur_django.models import Transaction, WebhookEvent
from recur_django.webhooks import deferred, drain
from tests.benchmarks.apps import count_signals
from tests.benchmarks.webhook_data import Delivery, seed_pending, signed_deliveries
from tests.recur_helpers import SignalRecorder

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signal_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RECUR_BENCH_SIGNAL_DIR", str(tmp_path))
    return tmp_path


def start_worker(signal_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.task_settings",
        "PGDATABASE": connection.settings_dict["NAME"],
        "RECUR_BENCH_SIGNAL_DIR": str(signal_dir),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "django", "db_worker", "--interval", "0.05"]
    return subprocess.Popen(
        [*command, "--no-startup-delay", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        worker.wait(30)


def wait_for(condition: Callable[[], bool], timeout: float, workers: list) -> None:
    began = time.monotonic()
    while not condition():
        for worker in workers:
            assert worker.poll() is None, f"a worker exited with {worker.returncode}"
        assert time.monotonic() - began < timeout, "the workers did not finish in time"
        time.sleep(0.1)


def received() -> int:
    return WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).count()


def ready_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


def post(client: Client, delivery: Delivery) -> None:
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in delivery.headers.items()
        if k != "Content-Type"
    }
    response = client.post(
        "/billing/webhook/", data=delivery.body, content_type="application/json", **extra
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] in ("received", "duplicate")


def shuffled_with_duplicates(deliveries: list[Delivery], seed: int) -> list[Delivery]:
    """30 % duplicates (each a second delivery of an event), 10 % of positions swapped."""
    rng = random.Random(seed)
    stream = list(deliveries) + rng.sample(deliveries, k=len(deliveries) * 3 // 10)
    rng.shuffle(stream[len(deliveries) :])  # duplicates arrive after their original…
    for _ in range(len(stream) // 20):  # …except where 10 % of positions are swapped
        i, j = rng.randrange(len(stream)), rng.randrange(len(stream))
        stream[i], stream[j] = stream[j], stream[i]
    return stream


def assert_each_applied_once(
    deliveries: list[Delivery], signal_dir: Path, *, killed: int = 0
) -> None:
    """Every event applied once and each completed transaction announced once; with
    ``killed`` workers SIGKILLed, each may have died between a batch's commit and its
    signals (after-commit signals are not durable): that many batches may go unannounced."""
    ids = [d.transaction_id for d in deliveries]
    events = WebhookEvent.objects.filter(event_id__in=[d.event_id for d in deliveries])
    assert events.count() == len(deliveries)
    assert set(events.values_list("status", flat=True)) == {WebhookEvent.Status.PROCESSED}
    assert sorted(set(events.values_list("attempts", flat=True))) == [1]
    completed = Transaction.objects.filter(public_id__in=ids, status="completed").count()
    assert completed == len(deliveries)
    signals = count_signals(str(signal_dir))
    assert set(signals) <= set(ids), "only these transactions announced"
    unannounced = len(set(ids) - set(signals))
    assert unannounced <= killed * drain.BATCH, "every completed transaction announced"
    assert max(signals.values()) == 1, "no transaction announced twice"


def test_thousand_events_with_duplicates_and_reordering(client, signal_dir):
    deliveries = signed_deliveries("tw", seed_pending("tw", 1000))
    stream = shuffled_with_duplicates(deliveries, seed=12)
    workers = [start_worker(signal_dir), start_worker(signal_dir)]
    try:
        seen: set[str] = set()
        with SignalRecorder(signals.webhook_received) as received_signals:
            for delivery in stream:
                post(client, delivery)
                if delivery.event_id in seen:
                    # A second wake, racing the first on the other worker.
                    assert deferred.wake(force=True)
                seen.add(delivery.event_id)
        wait_for(lambda: received() == 0 and ready_tasks() == 0, 240, workers)
    finally:
        for worker in workers:
            stop(worker)
    assert_each_applied_once(deliveries, signal_dir)
    announced = sorted(call["event"].event_id for call in received_signals.calls)
    assert announced == sorted(d.event_id for d in deliveries), "webhook_received once each"


def test_worker_killed_mid_batch_then_restarted(client, signal_dir):
    # Enough events that the worker is still busy when it is killed, even on a loaded
    # machine where this process polls late (a worker applies a few hundred a second).
    deliveries = signed_deliveries("tk", seed_pending("tk", 1000))
    for delivery in deliveries:
        post(client, delivery)
    assert received() == len(deliveries)
    worker = start_worker(signal_dir)
    try:
        wait_for(lambda: received() <= len(deliveries) - 30, 120, [worker])
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    left = received()
    assert 0 < left < len(deliveries), "killed mid-batch"

    worker = start_worker(signal_dir)
    try:
        # The wake being run when the worker died stays "running" in the task table: it is
        # never picked again. Its batch was not committed: those events are RECEIVED again,
        # drained by the next wake (here the stale sweep's).
        wait_for(lambda: ready_tasks() == 0, 120, [worker])
        out = StringIO()
        call_command("recur_replay", "--stale", "--older-than", "0", stdout=out)
        assert "stale event(s)" in out.getvalue() or "No stale events" in out.getvalue()
        wait_for(lambda: received() == 0 and ready_tasks() == 0, 120, [worker])
    finally:
        stop(worker)
    assert_each_applied_once(deliveries, signal_dir, killed=1)


def test_the_endpoint_writes_one_row(client, monkeypatch):
    """The event is its own queue entry: one INSERT in autocommit, one commit; a wake task
    at most once per second per process."""
    from django_tasks_db.models import DBTaskResult

    first, second = signed_deliveries("tx", seed_pending("tx", 2))
    commits: list[bool] = []
    real_commit = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: commits.append(True) or real_commit())
    inserts: list[str] = []

    def watch(execute, sql, params, many, context):
        if sql.startswith("INSERT"):
            inserts.append(sql.split()[2])
        return execute(sql, params, many, context)

    monkeypatch.setattr(deferred, "_last_wake", [time.monotonic()])  # a worker is awake
    with connection.execute_wrapper(watch):
        post(client, first)
    assert inserts == [connection.ops.quote_name(WebhookEvent._meta.db_table)]
    assert commits == [] and DBTaskResult.objects.count() == 0  # autocommit: no COMMIT call
    monkeypatch.setattr(deferred, "_last_wake", [float("-inf")])  # none woken lately
    post(client, second)
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("drain_webhook_events")
    (until,) = task.args_kwargs["args"]
    assert until > time.time()  # the worker keeps looking until then
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"received"}


def test_a_failed_enqueue_still_keeps_the_event(client, monkeypatch):
    """The wake fails; the event is stored all the same, for the next wake or --stale."""
    from django_tasks_db.models import DBTaskResult

    (delivery,) = signed_deliveries("tf", seed_pending("tf", 1))

    def refuse(*args, **kwargs):
        raise RuntimeError("queue refused")

    monkeypatch.setattr(type(deferred.drain_webhook_events.get_backend()), "enqueue", refuse)
    monkeypatch.setattr(deferred, "_last_wake", [float("-inf")])
    post(client, delivery)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED
    assert DBTaskResult.objects.count() == 0
    assert deferred.stale_events(older_than=0) == [delivery.event_id]
