"""The production run: structured logs with a request id, queue depths on /healthz, task
routing to separate queues, and the docker-compose file."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path

import pytest
import yaml

from lanet.core import health
from lanet.core import logging as structured
from tests.processes import start_worker
from workers import healthcheck

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def log_lines():
    """What the root logger writes during the test, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(structured.ContextFilter())
    handler.setFormatter(structured.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


def _access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "lanet.access"]


def test_a_request_id_from_the_client_is_kept_and_returned(client, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a.1"})
    assert response.headers["X-Request-ID"] == "proxy-7f3a.1"
    [access] = _access_lines(log_lines())
    assert access["request_id"] == "proxy-7f3a.1"
    assert access["path"] == "/healthz" and access["status"] == response.status_code
    assert access["level"] == "INFO" and "time" in access and access["duration_ms"] >= 0


@pytest.mark.parametrize(
    "header", ["bad id with spaces", "x" * 129, "a\tforged\tlog\tline", 'id"quote', "<script>", ""]
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(client, header, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": header})
    returned = response.headers["X-Request-ID"]
    assert returned != header and len(returned) == 32 and int(returned, 16) >= 0
    assert _access_lines(log_lines())[0]["request_id"] == returned


def test_every_request_gets_its_own_id_even_on_errors(client, log_lines):
    first = client.get("/healthz")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert first.headers["X-Request-ID"] != missing.headers["X-Request-ID"]
    statuses = [line["status"] for line in _access_lines(log_lines())]
    assert statuses == [first.status_code, 404]


def test_app_log_lines_inside_a_request_carry_its_id(app, db, log_lines):
    with app.test_request_context("/events", headers={"X-Request-ID": "req-inside"}):
        app.preprocess_request()
        logging.getLogger("lanet.test").warning("seminar %s is full", "Lemkin")
    logging.getLogger("lanet.test").warning("after the request")
    inside, after = [line for line in log_lines() if line["logger"] == "lanet.test"]
    assert inside["message"] == "seminar Lemkin is full"
    assert inside["request_id"] == "req-inside" and inside["level"] == "WARNING"
    assert after["request_id"] is None


def test_the_configured_handler_writes_one_json_object_per_line(capsys):
    handler = structured.configure("json", "INFO")
    try:
        token = structured.request_id_var.set("req-42")
        logging.getLogger("lanet.test").info("registration %d confirmed", 7)
        structured.request_id_var.reset(token)
        handler.flush()
    finally:
        structured.configure("json", "INFO")
    err = capsys.readouterr().err
    parsed = [json.loads(line) for line in err.splitlines() if "registration 7" in line]
    assert parsed and parsed[0]["request_id"] == "req-42" and parsed[0]["pid"] > 0


def test_a_queued_task_carries_the_request_id_in_its_headers():
    headers: dict = {}
    token = structured.request_id_var.set("req-from-web")
    try:
        structured._add_request_id_header(headers=headers)
    finally:
        structured.request_id_var.reset(token)
    assert headers == {structured.TASK_HEADER: "req-from-web"}
    structured._add_request_id_header(headers=(untouched := {}))
    assert untouched == {}


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("lanet.mail.deliver_pending", "mail"),
        ("lanet.mail.relay_outbox", "mail"),
        ("lanet.calendars.build_event_calendar", "calendars"),
        ("lanet.attendance.send_summary", "reports"),
        ("lanet.reports.annual_tables", "reports"),
        ("lanet.worker_heartbeat", "celery"),
    ],
)
def test_tasks_are_routed_to_their_own_queue(app, task, queue):
    celery_app = app.extensions["celery"]
    route = celery_app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def _purge(app, queue: str) -> None:
    with app.extensions["celery"].connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


def test_healthz_reports_the_depth_of_every_queue(app, client):
    celery_app = app.extensions["celery"]
    _purge(app, "reports")
    before = client.get("/healthz").get_json()["queues"]
    assert before["ok"] is True
    assert set(before["queues"]) >= {"celery", "mail", "calendars", "reports"}
    try:
        for _ in range(3):
            celery_app.send_task("lanet.worker_heartbeat", queue="reports")
        after = client.get("/healthz").get_json()["queues"]["queues"]
        assert after["reports"] == before["queues"]["reports"] + 3
        assert after["calendars"] == before["queues"]["calendars"]
    finally:
        _purge(app, "reports")
    assert client.get("/healthz").get_json()["queues"]["queues"]["reports"] == 0


def test_queue_depths_are_unknown_not_zero_when_the_broker_is_unreachable(app):
    celery_app = app.extensions["celery"]
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        with app.test_request_context():
            depths = health.queue_depths()
    finally:
        celery_app.conf.broker_url = saved
    assert depths["ok"] is False
    assert all(value is None for value in depths["queues"].values())


def test_the_bench_endpoints_exist_only_in_the_bench_app(app, client, monkeypatch, tmp_path):
    """The product registers no /bench route; bench/app.py's factory adds the baselines."""
    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/bench")]
    assert client.get("/bench/ping").status_code == 404
    assert client.post("/bench/plain-insert").status_code == 404
    from bench.app import create_bench_app

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    bench_app = create_bench_app()
    app.extensions["celery"].set_default()
    response = bench_app.test_client().get("/bench/ping")
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    rules = {rule.rule for rule in bench_app.url_map.iter_rules()}
    assert {"/bench/ping", "/bench/plain-insert"} <= rules


def test_the_beat_health_check_needs_a_fresh_heartbeat(db):
    assert health.heartbeat_age_seconds() is None
    health.record_worker_heartbeat()
    age = health.heartbeat_age_seconds()
    assert age is not None and 0 <= age < 60


def test_docker_compose_runs_one_worker_per_queue_one_beat_and_migrates_first():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    queues = {}
    for name, service in services.items():
        command = service.get("command", "")
        if "celery -A workers worker" in command:
            queues[name] = command.split("-Q", 1)[1].split()[0].split(",")
    assert sorted(q for names in queues.values() for q in names) == [
        "calendars",
        "celery",
        "mail",
        "reports",
    ]
    beats = [n for n, s in services.items() if "celery -A workers beat" in s.get("command", "")]
    assert beats == ["beat"] and services["beat"]["deploy"]["replicas"] == 1
    for name in ["web", "beat", *queues]:
        assert services[name]["healthcheck"]["test"], name
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert "flask --app wsgi db upgrade" in services["migrate"]["command"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert set(compose["volumes"]) >= {"postgres-data", "redis-data"}


@pytest.mark.services
@pytest.mark.slow
def test_a_worker_logs_json_lines_with_the_request_id_of_the_web_request(
    app, db, service_env, tmp_path
):
    _purge(app, "reports")
    worker = start_worker(service_env, tmp_path / "worker.log", queues="reports", concurrency=1)
    try:
        token = structured.request_id_var.set("req-worker-drill")
        try:
            app.extensions["celery"].send_task("lanet.worker_heartbeat", queue="reports")
        finally:
            structured.request_id_var.reset(token)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and health.last_worker_heartbeat() is None:
            db.session.rollback()
            time.sleep(0.3)
        assert health.last_worker_heartbeat() is not None, worker.output()[-3000:]
        time.sleep(0.5)
    finally:
        worker.stop()
    lines = [line for line in worker.output().splitlines() if line.startswith("{")]
    parsed = [json.loads(line) for line in lines]
    assert parsed, worker.output()[-2000:]
    task_lines = [p for p in parsed if p.get("task_name") == "lanet.worker_heartbeat"]
    assert task_lines, worker.output()[-2000:]
    assert all(p["request_id"] == "req-worker-drill" for p in task_lines)


# --- the page cache of the public pages --------------------------------------------------------


@pytest.fixture()
def cached_app(app, db):
    """A second app on the same database with the page cache on (the test app has it off),
    reading the data's version on every request."""
    from lanet import create_app

    overrides = {
        "PAGE_CACHE_RECHECK_SECONDS": 0,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PAGE_CACHE_SECONDS": 60,
    }
    second = create_app(overrides)
    # Building an app makes its Celery app the default one: give the test app's back.
    app.extensions["celery"].set_default()
    yield second
    with second.app_context():
        from lanet.extensions import db as second_db

        second_db.session.remove()
        second_db.engine.dispose()


def _public_event(db, title: str = "Seminario regional"):
    from datetime import date

    from lanet.events.models import Event

    event = Event(
        slug="cache-seminar",
        kind="national_seminar",
        title=title,
        status="planned",
        timezone="America/Bogota",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 4),
    )
    db.session.add(event)
    db.session.commit()
    return event


def test_the_event_list_is_served_from_the_cache_until_an_event_changes(cached_app, db):
    event = _public_event(db)
    client = cached_app.test_client()
    first = client.get("/events", headers={"Accept-Language": "en"})
    second = client.get("/events", headers={"Accept-Language": "en"})
    assert first.status_code == second.status_code == 200
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    assert second.data == first.data and b"Seminario regional" in second.data
    # Every hit still gets the headers every page gets.
    assert "Content-Security-Policy" in second.headers and "X-Request-ID" in second.headers
    event.title = "Seminario regional (nueva sede)"
    db.session.commit()
    changed = client.get("/events", headers={"Accept-Language": "en"})
    assert changed.headers["X-Page-Cache"] == "miss"
    assert b"nueva sede" in changed.data


def test_between_version_checks_a_page_is_served_without_asking_the_database(cached_app, db):
    cached_app.config["PAGE_CACHE_RECHECK"] = 60
    event = _public_event(db)
    client = cached_app.test_client()
    assert client.get("/events").headers["X-Page-Cache"] == "miss"
    event.title = "Seminario regional (nueva sede)"
    db.session.commit()
    # Within PAGE_CACHE_RECHECK_SECONDS the stored page is served as it was.
    stale = client.get("/events")
    assert stale.headers["X-Page-Cache"] == "hit" and b"nueva sede" not in stale.data
    cached_app.config["PAGE_CACHE_RECHECK"] = 0
    assert b"nueva sede" in client.get("/events").data


def test_each_language_has_its_own_cached_page(cached_app, db):
    _public_event(db)
    client = cached_app.test_client()
    english = client.get("/events", headers={"Accept-Language": "en"})
    spanish = client.get("/events", headers={"Accept-Language": "es"})
    assert spanish.headers["X-Page-Cache"] == "miss"
    assert english.data != spanish.data
    assert client.get("/events", headers={"Accept-Language": "es"}).data == spanish.data


@pytest.mark.parametrize("session_key", ["_user_id", "_flashes"])
def test_signed_in_users_and_pending_messages_always_get_a_fresh_page(cached_app, db, session_key):
    _public_event(db)
    client = cached_app.test_client()
    client.get("/events")
    with client.session_transaction() as session:
        session[session_key] = "1" if session_key == "_user_id" else [("info", "Saved.")]
    response = client.get("/events")
    assert "X-Page-Cache" not in response.headers


def test_the_page_cache_forgets_old_pages_and_keeps_a_bounded_number():
    from lanet.core.pagecache import PageCache

    cache = PageCache(seconds=0.05, max_entries=2)
    cache.put("a", b"A", "text/html")
    cache.put("b", b"B", "text/html")
    assert cache.get("a").body == b"A"
    cache.put("c", b"C", "text/html")  # "b" is the least recently used
    assert cache.get("b") is None and cache.get("a") is not None
    time.sleep(0.08)
    assert cache.get("a") is None and cache.get("c") is None


def test_the_test_app_has_no_page_cache(app, client, db):
    _public_event(db)
    assert "lanet_page_cache" not in app.extensions
    assert "X-Page-Cache" not in client.get("/events").headers


# --- the benchmark runner ------------------------------------------------------------------------


@pytest.fixture()
def runner(tmp_path, monkeypatch):
    import bench.run as run

    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(run, "DOCS", tmp_path / "benchmarks.md")
    (tmp_path / "results").mkdir()
    return run


@pytest.mark.parametrize(
    ("goal", "ratio", "met"),
    [(">= 0.5", 0.5, True), (">= 0.5", 0.49, False), ("<= 2", 1.9, True), ("<= 2", 2.1, False),
     (">= 20x", 25.0, True), ("> 1", 1.0, False), ("fast", 3.0, None), (">= 0.3", None, None)],
)  # fmt: skip
def test_a_goal_is_compared_with_the_ratio(goal, ratio, met):
    from bench.common import goal_met

    assert goal_met(goal, ratio) is met


def test_figures_are_completed_whatever_shape_a_script_wrote(runner):
    higher = runner.normalise_figure(
        {"name": "rate", "value": 60, "unit": "req/s", "baseline_value": 100, "goal": ">= 0.5"}
    )
    assert higher["ratio"] == pytest.approx(0.6) and higher["met"] is True
    lower = runner.normalise_figure(
        {"name": "build", "value": 2.0, "baseline": {"name": "GROUP BY", "value": 1.0},
         "better": "lower", "goal": 0.6}
    )  # fmt: skip
    assert lower["ratio"] == pytest.approx(0.5) and lower["goal"] == ">= 0.6"
    assert lower["met"] is False and lower["baseline_name"] == "GROUP BY"
    given = runner.normalise_figure({"name": "x", "value": 1, "ratio": 25, "goal": ">= 20"})
    assert given["met"] is True
    bare = runner.normalise_figure({"metric": "y", "value": "n/a"})
    assert bare["name"] == "y" and bare["ratio"] is None and bare["met"] is None


def test_correctness_checks_fail_a_benchmark_whatever_its_speed():
    import bench.run as run

    assert run.failed_checks({"overbooked_seats": 0, "lost_messages": 0, "all_ok": True}) == []
    assert run.failed_checks(
        {"overbooked_seats": 2, "duplicated_messages": 0, "feed_ok": False, "rows": 10}
    ) == ["overbooked_seats", "feed_ok"]


def test_the_runner_writes_the_table_and_marks_failed_scripts(runner, tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    good = scripts / "good.py"
    good.write_text(
        "import json, pathlib, sys\n"
        f"out = pathlib.Path({str(runner.RESULTS)!r}) / 'good.json'\n"
        "figures = [{'name': 'rate', 'value': 80, 'unit': 'req/s', 'baseline_name': 'plain',"
        " 'baseline_value': 100, 'goal': '>= 0.5'}]\n"
        "out.write_text(json.dumps({'benchmark': 'good', 'runs': 5, 'figures': figures,"
        " 'checks': {'lost': 0}}))\n"
    )
    broken = scripts / "broken.py"
    broken.write_text("raise SystemExit('no database')\n")
    silent = scripts / "silent.py"
    silent.write_text("print('forgot to write a result')\n")
    entries = [
        runner.collect(path.stem, runner.run_script(path, quick=True, timeout=60))
        for path in (good, broken, silent)
    ]
    assert [e["status"] for e in entries] == [
        "ok",
        "failed (exit 1)",
        f"failed (wrote no {runner.RESULTS / 'silent.json'})",
    ]
    summary = runner.summarise(entries, 1.0)
    runner.write(summary)
    table = runner.DOCS.read_text()
    assert "| good | rate | 80 req/s | plain | 100 req/s | 0.8 | >= 0.5 | yes | 5 |" in table
    assert "| broken | failed (exit 1) |" in table and "Machine: " in table
    written = json.loads((runner.RESULTS / "summary.json").read_text())
    assert written["failed"] == ["broken", "silent"] and written["goals_met"] == 1
    assert written["machine"]["cores"] >= 1 and written["machine"]["python"]
    assert "no database" in (runner.RESULTS / "broken.log").read_text()


def test_the_beat_health_command_exits_1_without_a_fresh_heartbeat(app, db, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        assert healthcheck.main(["--max-heartbeat-age", "180"]) == 1
        assert "missing" in capsys.readouterr().out
        health.record_worker_heartbeat()
        assert healthcheck.main(["--max-heartbeat-age", "180"]) == 0
        assert healthcheck.main(["--max-heartbeat-age", "-1"]) == 1
        monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        assert healthcheck.main([]) == 1
        assert "cannot read the worker heartbeat" in capsys.readouterr().out
    finally:
        app.extensions["celery"].set_default()


def test_the_issue_goals_complete_figures_that_state_none(runner):
    storm = runner._figures_of(
        "registration_storm",
        {"figures": [{"name": "registrations per second (30 clients)", "value": 50,
                      "unit": "req/s", "baseline_value": 200}]},
    )  # fmt: skip
    assert storm[0]["goal"] == ">= 0.5" and storm[0]["met"] is False
    feed = runner._figures_of(
        "calendar_feed",
        {"figures": [
            {"name": "cold build of the network feed (5000 events)", "value": 2.5, "unit": "s"},
            {"name": "network feed served from storage (5000 events)", "value": 0.05, "unit": "s"},
        ]},
    )  # fmt: skip
    derived = feed[-1]
    assert derived["name"].startswith("network feed served from storage vs its cold build")
    assert derived["ratio"] == pytest.approx(50) and derived["met"] is True
    assert derived["goal"] == ">= 20" and len(feed) == 3


def test_a_cached_event_list_moves_an_event_to_the_past_at_its_local_midnight(
    cached_app, db, monkeypatch
):
    """The version of the cached list includes the quarter hour: the page stored on the
    event's last day is not served after midnight in the event's zone (Bogotá, UTC-5)."""
    from datetime import UTC, datetime

    from lanet.events import queries

    event = _public_event(db)  # its last day is 4 March 2026 in Bogotá
    client = cached_app.test_client()
    english = {"Accept-Language": "en"}

    def past_section(response) -> str:
        return response.data.decode().split('id="past-heading"', 1)[1]

    monkeypatch.setattr(queries, "utcnow", lambda: datetime(2026, 3, 5, 4, 50, tzinfo=UTC))
    first, again = client.get("/events", headers=english), client.get("/events", headers=english)
    assert (first.headers["X-Page-Cache"], again.headers["X-Page-Cache"]) == ("miss", "hit")
    assert event.slug not in past_section(again)
    monkeypatch.setattr(queries, "utcnow", lambda: datetime(2026, 3, 5, 5, 0, tzinfo=UTC))
    after_midnight = client.get("/events", headers=english)
    assert after_midnight.headers["X-Page-Cache"] == "miss"
    assert event.slug in past_section(after_midnight)
