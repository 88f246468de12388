"""Bulk mail: 2,000 messages through the outbox delivery path (claim under row lock, render
in the recipient's language, SMTP over one connection per batch, "sent" marked per batch) next to a plain
smtplib loop sending the same prebuilt messages over one connection, both to a local aiosmtpd
sink running in its own process, on PostgreSQL. Medians of several runs, measured in the
same run. Goal (a later issue): outbox rate >= 50% of the plain loop.
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import figure, median, private_database, write_result  # noqa: E402
from tests.processes import free_port, wait_for_port  # noqa: E402

GOAL = ">= 0.5"
PARALLEL = 4
LANGUAGES = ("es", "pt", "en")


def run_sink(port: int, log: str) -> None:
    """The sink process: accepts every message, appends its Message-ID to `log`."""
    import re

    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
    output = open(log, "ab", buffering=0)  # noqa: SIM115 (lives as long as the process)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            found = message_id.search(envelope.original_content or envelope.content)
            output.write((found.group(1) if found else b"-") + b"\n")
            return "250 2.0.0 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def start_sink(log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--sink", str(port), str(log)], cwd=ROOT)
    wait_for_port(port, timeout=20)
    return process, port


def received(log: Path) -> list[bytes]:
    return log.read_bytes().splitlines() if log.exists() else []


def queue_messages(count: int) -> None:
    from lanet.extensions import db
    from lanet.mail import service

    for number in range(count):
        service.queue_message(
            to=f"participant{number}@example.org",
            name=f"Participante {number}",
            template="test_message",
            language=LANGUAGES[number % 3],
            context={"note": f"Registration number {number}."},
        )
    db.session.commit()


def empty_outbox() -> None:
    from sqlalchemy import delete

    from lanet.extensions import db
    from lanet.mail.models import OutboxMessage

    db.session.execute(delete(OutboxMessage))
    db.session.commit()


def prebuilt(count: int) -> list[tuple[str, bytes]]:
    """The same messages the outbox sends, built once, as (recipient, bytes)."""
    from sqlalchemy import select

    from lanet.extensions import db
    from lanet.mail import compose
    from lanet.mail.models import OutboxMessage

    queue_messages(count)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    built = []
    for row in rows:
        message = compose.outgoing(row, "LANET <no-reply@lanet.local>")
        built.append((message.recipient, message.content))
    db.session.rollback()
    empty_outbox()
    return built


def plain_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, content in messages:
            smtp.sendmail("no-reply@lanet.local", [recipient], content)
    return time.perf_counter() - started


def outbox_run(count: int, deliverers: int = 1) -> float:
    """Seconds from `count` pending rows to all of them sent, by `deliverers` concurrent
    delivery loops (threads with their own app context and session, as worker processes
    of concurrency N would run them)."""
    from flask import current_app
    from sqlalchemy import func, select

    from lanet.extensions import db
    from lanet.mail import service
    from lanet.mail.models import OutboxMessage

    empty_outbox()
    queue_messages(count)
    app = current_app._get_current_object()
    reports = []

    def deliver() -> None:
        with app.app_context():
            reports.append(service.deliver_due(seconds=3600))

    started = time.perf_counter()
    threads = [threading.Thread(target=deliver) for _ in range(deliverers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    sent = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
    )
    db.session.rollback()
    assert sum(r.sent for r in reports) == count == sent, (reports, sent)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000)
    arguments = parser.parse_args()
    count = 200 if arguments.quick else arguments.messages
    runs = 3 if arguments.quick else arguments.runs

    from lanet import create_app
    from lanet.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="lanet-mail-bench-"))
    os.environ["LANET_INSTANCE"] = str(workdir)  # the embedded broker folder goes there
    sink_log = workdir / "received.txt"
    sink, port = start_sink(sink_log)
    try:
        with private_database("lanet_mail_bench") as database_url:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": database_url,
                    "MAIL_SERVER": "127.0.0.1",
                    "MAIL_PORT": port,
                    "MAIL_RATE_PER_MINUTE": 0,
                    "MAIL_FOLDER": str(workdir / "mail"),
                }
            )
            # Nothing consumes the dispatched tasks here: the bench delivers in this process.
            app.extensions["celery"].conf.broker_url = "memory://"
            with app.app_context():
                db.create_all()
                messages = prebuilt(count)
                outbox_rates, parallel_rates, plain_rates = [], [], []
                for _ in range(runs):
                    before = len(received(sink_log))
                    plain_rates.append(count / plain_loop(port, messages))
                    assert len(received(sink_log)) - before == count
                    outbox_rates.append(count / outbox_run(count))
                    parallel_rates.append(count / outbox_run(count, PARALLEL))
                    print(
                        f"plain smtplib {plain_rates[-1]:8.1f} msg/s   "
                        f"outbox {outbox_rates[-1]:8.1f} msg/s   "
                        f"outbox x{PARALLEL} {parallel_rates[-1]:8.1f} msg/s",
                        flush=True,
                    )
                db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait(10)

    # The plain loop sends the same prebuilt messages every run; the outbox's must be unique.
    baseline_ids = {m.split(b"Message-ID: ")[1].split(b"\r\n")[0] for _r, m in messages}
    outbox_ids = Counter(i for i in received(sink_log) if i not in baseline_ids)
    expected = 2 * runs * count
    total = sum(outbox_ids.values())
    duplicated = sum(n - 1 for n in outbox_ids.values() if n > 1)
    result = figure(
        f"messages per second, {count} messages to a local SMTP sink",
        outbox_rates,
        "msg/s",
        baseline_name="plain smtplib loop, same prebuilt messages, one connection",
        baseline_samples=plain_rates,
        goal=GOAL,
        notes="outbox: claim, render es/pt/en (templates compiled once per language), one SMTP "
        "connection and one sent mark per batch of 50, in one process on PostgreSQL",
    )
    parallel = figure(
        f"messages per second, {count} messages, {PARALLEL} concurrent delivery loops",
        parallel_rates,
        "msg/s",
        baseline_name="plain smtplib loop, same prebuilt messages, one connection",
        baseline_samples=plain_rates,
        goal=GOAL,
        notes=f"as above, {PARALLEL} threads claiming with FOR UPDATE SKIP LOCKED, "
        "each with its own SMTP connection and database session",
    )
    path = write_result(
        "mail_bulk",
        [result, parallel],
        runs=runs,
        description="2,000 messages through the outbox delivery path vs a plain smtplib loop "
        "sending the same prebuilt messages over one connection, to a local aiosmtpd sink",
        checks={"lost_messages": expected - total, "duplicated_messages": duplicated},
        parameters={
            "messages": count,
            "batch_size": 50,
            "database": "postgresql",
            "parallel_deliverers": PARALLEL,
        },
    )
    print(
        f"median: outbox {median(outbox_rates):.1f} msg/s, x{PARALLEL} "
        f"{median(parallel_rates):.1f} msg/s, plain {median(plain_rates):.1f} "
        f"msg/s, ratio {result.get('ratio', 0):.2f} (goal {GOAL}); lost {expected - total}, "
        f"duplicated {duplicated} -> {path}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--sink":
        run_sink(int(sys.argv[2]), sys.argv[3])
    else:
        # The runner's timeout sends SIGTERM: still drop the database and stop the sink.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        main()
