"""The network calendar feed over 5,000 public events, on PostgreSQL.

Figures, medians of several runs in the same process:
- cold build: query the events and build the feed (what the calendars worker does);
- served from storage: GET /calendar/network.ics through the app (the stored bytes, 200);
- revalidation: the same GET with If-None-Match (304);
baseline: icalendar serializing the same 5,000 events from plain tuples (no database, no
translation), with the same VTIMEZONE blocks.

    python bench/calendar_feed.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import create_schema, figure, private_database, timed, write_result  # noqa: E402

ZONES = (
    ("PL", "Europe/Warsaw"),
    ("AR", "America/Argentina/Buenos_Aires"),
    ("CL", "America/Santiago"),
    ("MX", "America/Mexico_City"),
    ("BR", "America/Sao_Paulo"),
)


def event_rows(count: int) -> list[dict]:
    """The events' own values; every column left out takes the model's default (load())."""
    rows = []
    for n in range(count):
        country, zone = ZONES[n % len(ZONES)]
        day = date(2012, 1, 1) + timedelta(days=(n * 3) % 5000)
        timed_event = n % 4 != 0
        starts = datetime.combine(day, time(9), ZoneInfo(zone)).astimezone(UTC)
        rows.append(
            {
                "slug": f"event-{n}",
                "kind": ("lemkin_seminar", "workshop", "course", "national_seminar")[n % 4],
                "title": f"Seminar {n}: prevention of atrocity crimes, early warning; response",
                "title_translations": {},
                "description": "Training for civil servants of the Network.\nSecond line.",
                "venue": "Auschwitz Institute",
                "city": "Oświęcim" if country == "PL" else "Buenos Aires",
                "country_code": country,
                "timezone": zone,
                "start_date": day,
                "end_date": day + timedelta(days=2),
                "date_precision": "time" if timed_event else "day",
                "starts_at": starts if timed_event else None,
                "ends_at": starts + timedelta(days=2, hours=8) if timed_event else None,
                "status": "held",
                "is_public": True,
                "sequence": n % 3,
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
                "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        )
    return rows


def load(rows: list[dict]) -> None:
    """The zones' countries and the events, inserted through the models (an ORM bulk
    INSERT): every column a row leaves out gets its model default, as for a new Event()."""
    from sqlalchemy import insert

    from lanet.events.models import Event
    from lanet.extensions import db
    from lanet.network.models import Country

    for code, _zone in ZONES:
        db.session.add(Country(code=code, name_es=code, name_pt=code, name_en=code))
    db.session.commit()
    db.session.execute(insert(Event), rows)
    db.session.commit()


def plain_tuples(rows: list[dict], base_url: str) -> list[tuple]:
    return [
        (
            f"event-{n + 1}@127.0.0.1",
            r["title"],
            r["starts_at"].astimezone(ZoneInfo(r["timezone"]))
            if r["starts_at"]
            else r["start_date"],
            r["ends_at"].astimezone(ZoneInfo(r["timezone"]))
            if r["ends_at"]
            else r["end_date"] + timedelta(days=1),
            r["description"],
            f"{r['venue']}, {r['city']}, {r['country_code']}",
            f"{base_url}/events/{r['slug']}",
            r["sequence"],
            r["updated_at"],
        )
        for n, r in enumerate(rows)
    ]


def icalendar_baseline(tuples: list[tuple]) -> bytes:
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", icalendar.vText("LANET"))
    for uid, summary, start, end, description, location, url, sequence, stamp in tuples:
        entry = icalendar.Event()
        entry.add("uid", uid)
        entry.add("dtstamp", stamp)
        entry.add("sequence", sequence)
        entry.add("summary", summary)
        entry.add("dtstart", start)
        entry.add("dtend", end)
        entry.add("description", description)
        entry.add("location", location)
        entry.add("url", url)
        entry.add("status", "CONFIRMED")
        calendar.add_component(entry)
    calendar.add_missing_timezones(date(2012, 1, 1), date(2027, 12, 31))
    return calendar.to_ical()


def main() -> None:
    quick = "--quick" in sys.argv
    count = 500 if quick else 5000
    runs = 3 if quick else 5
    os.environ.setdefault("LANET_INSTANCE", tempfile.mkdtemp(prefix="lanet-bench-"))
    with private_database("lanet_bench_feed") as url:
        create_schema(url)
        from lanet import create_app
        from lanet.calendars import service
        from lanet.core.models import StoredFile
        from lanet.extensions import db

        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "TESTING": True}
        )
        rows = event_rows(count)
        with app.app_context():
            load(rows)
            tuples = plain_tuples(rows, app.config["BASE_URL"])

            def cold() -> bytes:
                db.session.expunge_all()
                return service.build_feed(service.FeedFilter(), "en")

            baseline_samples = [timed(lambda: icalendar_baseline(tuples)) for _ in range(runs)]
            cold_samples = [timed(cold) for _ in range(runs)]
            content = cold()
            service.store(service.feed_key(service.FeedFilter(), "en"), content)
            db.session.commit()
            stored_size = db.session.query(StoredFile).count()
            db.session.remove()

        client = app.test_client()
        feed_url = "/calendar/network.ics?lang=en"
        served: list[float] = []
        revalidated: list[float] = []
        for _ in range(runs):
            began = time_module.perf_counter()
            response = client.get(feed_url)
            served.append(time_module.perf_counter() - began)
            assert response.status_code == 200 and response.get_data() == content
            began = time_module.perf_counter()
            again = client.get(feed_url, headers={"If-None-Match": response.headers["ETag"]})
            revalidated.append(time_module.perf_counter() - began)
            assert again.status_code == 304

    vevents = content.count(b"BEGIN:VEVENT")
    figures = [
        figure(
            f"cold build of the network feed ({count} events, query + build)",
            cold_samples,
            "s",
            baseline_name="icalendar serializing the same events from plain tuples",
            baseline_samples=baseline_samples,
            better="lower",
            goal=">= 0.5",
            notes="ratio = baseline / value: 1.0 means as fast as bare icalendar",
        ),
        figure(
            f"network feed served from storage ({count} events, GET 200)",
            served,
            "s",
            baseline_name="icalendar serializing the same events from plain tuples",
            baseline_samples=baseline_samples,
            better="lower",
            goal=">= 10",
            notes=f"{len(content)} bytes",
        ),
        figure(
            "network feed revalidated (GET with If-None-Match, 304)",
            revalidated,
            "s",
            baseline_name="icalendar serializing the same events from plain tuples",
            baseline_samples=baseline_samples,
            better="lower",
        ),
    ]
    path = write_result(
        "calendar_feed",
        figures,
        runs=runs,
        description=(
            "network .ics feed over PostgreSQL: cold build and served from storage, against "
            "icalendar serializing the same events from plain tuples"
        ),
        checks={
            "vevents": vevents,
            "all_events_in_feed_ok": vevents == count,
            "stored_files": stored_size,
        },
        parameters={"events": count, "runs": runs, "zones": [z for _c, z in ZONES]},
    )
    for item in figures:
        print(
            f"{item['name']}: {item['value']:.4f} s (baseline {item.get('baseline_value', 0):.4f} s,"
            f" ratio {item.get('ratio', 0):.2f})"
        )
    print(path)


if __name__ == "__main__":
    main()
