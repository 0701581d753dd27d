"""Gunicorn servers and the concurrent load generator of the webhook benchmark.

The generator runs ``clients`` threads, each with its own ``http.client`` connection
(reopened automatically when gunicorn's sync workers close it after a response). Bodies and
signatures are built before the clock starts, so a client only sends and reads. Latency is
the time from sending a request to reading the whole response, queueing included.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks.webhook_data import Delivery

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LoadResult:
    """What one variant did in one round."""

    events: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    errors: int = 0
    first_error: str = ""
    client_cpu: float = 0.0  # CPU seconds the load generator itself used
    web_cpu: float = 0.0  # CPU seconds of every gunicorn process meanwhile
    db_cpu: float = 0.0  # CPU seconds of every PostgreSQL process meanwhile

    @property
    def client_share(self) -> float:
        """The generator's CPU as a share of one core while the load ran."""
        return self.client_cpu / self.seconds

    def per_event(self, seconds: float) -> float:
        """``seconds`` of CPU per event, in microseconds."""
        return seconds / self.events * 1e6

    @property
    def throughput(self) -> float:
        return self.events / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_path() -> str:
    """The project first, then what PYTHONPATH already holds (extra packages)."""
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


class Gunicorn:
    """``gunicorn`` with ``workers`` sync workers serving the benchmark settings."""

    def __init__(self, env: dict[str, str], workers: int = 4) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings"}
        self.env["PYTHONPATH"] = python_path()
        self.command = [
            sys.executable, "-m", "gunicorn", "tests.benchmarks.wsgi:application",
            "--workers", str(workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--backlog", "2048",
            "--timeout", "120", "--log-level", "warning",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/ready/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _client(
    port: int, path: str, work: list[Delivery], start: threading.Event, out: LoadResult
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = out.latencies
    start.wait()
    for delivery in work:
        began = time.perf_counter()
        try:
            conn.request("POST", path, body=delivery.body, headers=delivery.headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, reason = 0, f"{type(exc).__name__}: {exc}"
        else:
            reason = f"HTTP {status}"
        latencies.append(time.perf_counter() - began)
        if status != 200:
            out.errors += 1
            out.first_error = out.first_error or reason
    conn.close()


def run_load(port: int, path: str, deliveries: list[Delivery], clients: int) -> LoadResult:
    """POST every delivery to ``path`` from ``clients`` concurrent connections."""
    shares = [deliveries[i::clients] for i in range(clients)]
    parts = [LoadResult(len(share), 0.0) for share in shares]
    start = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(port, path, share, start, part))
        for share, part in zip(shares, parts, strict=True)
    ]
    for thread in threads:
        thread.start()
    before = cpu_by_process()
    began, cpu = time.perf_counter(), time.process_time()
    start.set()
    for thread in threads:
        thread.join()
    result = LoadResult(len(deliveries), time.perf_counter() - began)
    result.client_cpu = time.process_time() - cpu
    used = cpu_used(before, cpu_by_process())
    result.web_cpu, result.db_cpu = used["gunicorn"], used["postgres"]
    for part in parts:
        result.latencies.extend(part.latencies)
        result.errors += part.errors
        result.first_error = result.first_error or part.first_error
    return result


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid -> (kind, CPU seconds so far) of every gunicorn and every PostgreSQL process on
    this machine, from /proc (Linux; empty elsewhere)."""
    found: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        kind = "postgres" if name == "postgres" else "gunicorn" if b"gunicorn" in command else ""
        if kind:
            fields = stat[stat.rindex(")") + 2 :].split()
            found[int(pid)] = (kind, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_used(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each kind used between two snapshots. A process started meanwhile counts
    whole; one that exited meanwhile is lost (so a new connection per request, which ends
    its server process each time, is undercounted). Idle servers add nothing measurable."""
    used = {"gunicorn": 0.0, "postgres": 0.0}
    for pid, (kind, seconds) in after.items():
        earlier = before.get(pid)
        # max(): a pid reused by a new process must not subtract the old one's time.
        used[kind] += max(0.0, seconds - (earlier[1] if earlier and earlier[0] == kind else 0.0))
    return used


def drain(
    command: list[str], env: dict[str, str], pending: Callable[[], int], timeout: float
) -> float:
    """Run a worker ``command`` until ``pending()`` returns 0; return the seconds it took."""
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings"}
    full_env["PYTHONPATH"] = python_path()
    began = time.perf_counter()
    worker = subprocess.Popen(command, cwd=ROOT, env=full_env)
    try:
        while pending():
            if time.perf_counter() - began > timeout:
                raise SystemExit(f"worker {command} did not drain within {timeout:.0f} s")
            if worker.poll() is not None and pending():
                raise SystemExit(f"worker {command} exited with {worker.returncode}")
            time.sleep(0.1)
        return time.perf_counter() - began
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(30)
