"""Real processes for tests and benchmarks: gunicorn and Celery workers, started and stopped cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


class Process:
    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.args = args
        self.log_path = log
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signals the whole process group: a worker's pool children go too."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(5)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_gunicorn(
    env: Mapping[str, str],
    log: Path,
    workers: int = 2,
    threads: int = 4,
    app: str = "wsgi:app",
) -> tuple[Process, str]:
    """gunicorn on a free port; `app` may name an app factory, e.g. "bench.app:create_bench_app()"."""
    port = free_port()
    process = Process(
        [
            str(BIN / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env,
        log,
    )
    wait_for_port(port)
    return process, f"http://127.0.0.1:{port}"


def start_worker(
    env: Mapping[str, str],
    log: Path,
    queues: str = "celery,mail,calendars,reports",
    concurrency: int = 2,
    name: str = "test",
) -> Process:
    process = Process(
        [
            str(BIN / "celery"),
            "-A",
            "workers",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "-Q",
            queues,
            "-n",
            f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        log,
    )
    return process


def start_beat(env: Mapping[str, str], log: Path, schedule_file: Path) -> Process:
    return Process(
        [str(BIN / "celery"), "-A", "workers", "beat", "--loglevel=INFO", "-s", str(schedule_file)],
        env,
        log,
    )
