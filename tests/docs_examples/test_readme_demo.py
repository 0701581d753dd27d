"""The README's first commands, followed literally on another port: ``make demo PORT=…`` in
a copy of the project, a subscription bought on the running demo, then the README's next
command exactly as written — and the renewal reaches the demo on its own port.

Runs the demo (runserver, a real server process) with the project's ``.venv``; skipped
when that virtualenv or ``make`` is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
STARTUP = 240  # seconds: migrations on a fresh database, on a loaded 2-core machine

pytestmark = pytest.mark.skipif(
    not (VENV_PYTHON.exists() and shutil.which("make")),
    reason="needs the project's .venv (make venv) and make",
)


def readme_commands() -> list[str]:
    """The lines of the README's ``sh`` block that starts the demo, comments included."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    block = next((b for b in blocks if "\nmake demo" in f"\n{b}"), None)
    assert block, "the README has no sh block with make demo"
    return [line for line in block.splitlines() if line.strip()]


def next_command_after_make_demo() -> str:
    lines = readme_commands()
    index = next(i for i, line in enumerate(lines) if line.startswith("make demo"))
    return lines[index + 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clone(target: Path) -> Path:
    """What a fresh clone has (the example project without its database), sharing .venv."""
    target.mkdir()
    shutil.copytree(
        ROOT / "example_project",
        target / "example_project",
        ignore=shutil.ignore_patterns("db.sqlite3", ".demo-port", "__pycache__"),
    )
    for name in ("Makefile", "README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, target / name)
    for name in (".venv", "scripts", "recur_django", "tests"):
        (target / name).symlink_to(ROOT / name)
    return target


def clean_environment() -> dict[str, str]:
    """The developer's shell: no test settings, no demo port."""
    drop = {"DJANGO_SETTINGS_MODULE", "RECUR_DEMO_PORT", "PYTHONPATH"}
    return {key: value for key, value in os.environ.items() if key not in drop}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """``make demo PORT=<free port>`` running in a copy of the project."""
    project = clone(tmp_path / "clone")
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    # -o venv: the shared .venv is built already; the demo target itself runs as written.
    server = subprocess.Popen(
        ["make", "-o", "venv", "demo", f"PORT={port}"],
        cwd=project,
        env=clean_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("the demo did not start:\n" + (tmp_path / "demo.log").read_text())
                time.sleep(0.5)
        yield project, port
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


def query(project: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(project / "example_project" / "db.sqlite3", timeout=20) as db:
        return list(db.execute(sql))


def wait_for(project: Path, sql: str, what: str, timeout: float = 60) -> list[tuple[object, ...]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(project, sql)
        if rows:
            return rows
        time.sleep(0.5)
    raise AssertionError(f"no {what} in the demo's database after {timeout} s")


def subscribe(port: int) -> None:
    """Buy Pro (monthly) on the running demo's emulator, as its hosted page would."""
    base = f"http://127.0.0.1:{port}/_recur"
    session = requests.post(
        f"{base}/v1/checkout/sessions",
        json={
            "product_id": "prod_pro_monthly",
            "success_url": f"http://127.0.0.1:{port}/",
            "cancel_url": f"http://127.0.0.1:{port}/",
            "customer_email": "renewing@example.com",
        },
        headers={"Authorization": "Bearer sk_test_demo"},
        timeout=30,
    )
    assert session.status_code == 200, session.text
    paid = requests.post(
        f"{base}/checkout/{session.json()['id']}/pay",
        data={"card_number": "4147631000000001"},
        allow_redirects=False,
        timeout=30,
    )
    assert paid.status_code == 303, paid.text


def test_the_readme_next_command_renews_on_the_demo_port(demo: tuple[Path, int]) -> None:
    project, port = demo
    command = next_command_after_make_demo()
    assert "RECUR_DEMO_PORT" not in command and "8000" not in command

    subscribe(port)
    wait_for(
        project,
        "SELECT recur_id FROM recur_django_subscription WHERE status = 'ACTIVE'",
        "active subscription (the purchase's webhooks)",
    )

    done = subprocess.run(
        command,
        shell=True,
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not accepted" not in done.stdout, done.stdout
    assert f"127.0.0.1:{port}" not in done.stderr

    wait_for(
        project,
        "SELECT recur_id FROM recur_django_payment WHERE kind = 'renewal' AND status = 'paid'",
        "paid renewal (the renewal's webhooks, delivered to the demo's port)",
    )
    sent_to = {row[0] for row in query(project, "SELECT url FROM recur_emulator_webhookdelivery")}
    assert sent_to == {f"http://127.0.0.1:{port}/billing/webhook/"}
    pending = query(
        project, "SELECT COUNT(*) FROM recur_emulator_webhookdelivery WHERE status != 'SUCCEEDED'"
    )
    assert pending == [(0,)]
