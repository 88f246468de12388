"""Check-in, undo, sign-in sheet import and the compiled totals, against counts made by hand."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lanet.attendance import codes, service
from lanet.attendance.models import ALL_YEARS, Attendance, AttendanceTotal
from lanet.attendance.queries import totals_by
from lanet.attendance.totals import compile_totals
from lanet.extensions import db as _db
from tests.fixtures.attendance import World, register

D = date


@pytest.fixture(autouse=True)
def _in_a_request(app):
    # Error messages are lazy translations; reading them needs a locale, as on a page.
    with app.test_request_context("/?lang=en"):
        yield


def _attend(world: World, who: str, event: str, *days: date) -> None:
    registration = world.registrations[(who, event)]
    event_id = registration.event_id
    for day in days:
        service.check_in_by_code(event_id, codes.check_in_code(registration), day)


def _attend_all(world: World) -> None:
    _attend(world, "ana", "e1", D(2014, 6, 2), D(2014, 6, 3))
    _attend(world, "ana", "e2", D(2014, 11, 10))
    _attend(world, "ana", "e3", D(2015, 3, 3), D(2015, 3, 4))
    _attend(world, "bruno", "e1", D(2014, 6, 2), D(2014, 6, 3), D(2014, 6, 4))
    _attend(world, "carla", "e2", D(2014, 11, 11))
    _attend(world, "diego", "e1", D(2014, 6, 2))
    _attend(world, "diego", "e3", D(2015, 3, 3))


def _row(dimension: str, year: int, key: str) -> tuple[int, int, int, int]:
    total = _db.session.scalar(
        select(AttendanceTotal).where(
            AttendanceTotal.dimension == dimension,
            AttendanceTotal.year == year,
            AttendanceTotal.key == key,
        )
    )
    assert total is not None, (dimension, year, key)
    return total.participants, total.instructors, total.people, total.person_days


def _all_totals() -> set[tuple]:
    return {
        (t.dimension, t.year, t.key, t.participants, t.instructors, t.people, t.person_days)
        for t in _db.session.scalars(select(AttendanceTotal))
    }


def test_totals_match_counts_made_by_hand(world):
    _attend_all(world)
    compile_totals()
    # (participants, instructors, unique people, person-days), counted from _attend_all.
    assert _row("year", 2014, "2014") == (3, 1, 4, 8)
    assert _row("year", 2015, "2015") == (1, 1, 2, 3)
    assert _row("year", ALL_YEARS, "all") == (3, 1, 4, 11)
    assert _row("country", 2014, "AR") == (2, 0, 2, 4)
    assert _row("country", 2014, "BR") == (1, 1, 2, 4)
    assert _row("country", ALL_YEARS, "AR") == (2, 0, 2, 6)
    assert _row("event", 2014, str(world.e1.id)) == (2, 1, 3, 6)
    assert _row("event", 2014, str(world.e2.id)) == (2, 0, 2, 2)
    assert _row("kind", ALL_YEARS, "lemkin_seminar") == (3, 1, 4, 8)
    assert _row("kind", 2015, "workshop") == (1, 1, 2, 3)
    assert _row("cycle", 2014, str(world.cycle.id)) == (3, 1, 4, 8)
    assert _row("gender", 2014, "female") == (1, 0, 1, 3)
    assert _row("gender", 2014, "male") == (1, 1, 2, 4)
    assert _row("gender", 2014, "") == (1, 0, 1, 1)
    assert _row("institution_kind", 2014, "ministry_defense") == (1, 1, 2, 4)
    assert _row("institution_kind", 2014, "ministry_foreign_affairs") == (1, 0, 1, 3)
    assert _row("role", ALL_YEARS, "instructor") == (0, 1, 1, 2)
    # Only Ana attended both parts; Bruno missed part 2, Carla part 1.
    assert _row("cycle_completion", ALL_YEARS, str(world.cycle.id))[0] == 1
    # Bruno is registered for part 2 but never came: no row counts him there.
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 11


def test_second_scan_same_day_is_recognised_and_not_counted(world):
    registration = world.registrations[("ana", "e1")]
    code = codes.check_in_code(registration)
    first = service.check_in_by_code(world.e1.id, code, D(2014, 6, 2))
    second = service.check_in_by_code(world.e1.id, code, D(2014, 6, 2))
    assert not first.already
    assert second.already
    assert second.attendance.id == first.attendance.id
    next_day = service.check_in_by_code(world.e1.id, code, D(2014, 6, 3))
    assert not next_day.already
    compile_totals()
    assert _row("event", 2014, str(world.e1.id)) == (1, 0, 1, 2)


def test_replayed_scan_with_its_nonce_is_recorded_once(world):
    code = codes.check_in_code(world.registrations[("ana", "e1")])
    first = service.check_in_by_code(world.e1.id, code, D(2014, 6, 2), nonce="n-1")
    replay = service.check_in_by_code(world.e1.id, code, D(2014, 6, 2), nonce="n-1")
    assert not replay.already
    assert replay.attendance.id == first.attendance.id
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 1


@pytest.mark.parametrize(
    "code, message",
    [
        ("hello", "not a LANET check-in code"),
        ("LANET-999999-AAAAAAAAAAAA", "Unknown check-in code"),
    ],
)
def test_bad_codes_are_refused_and_change_nothing(world, code, message):
    with pytest.raises(service.CheckInError, match=message):
        service.check_in_by_code(world.e1.id, code, D(2014, 6, 2))
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_forged_signature_other_event_day_and_status_are_refused(world):
    registration = world.registrations[("ana", "e1")]
    good = codes.check_in_code(registration)
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    with pytest.raises(service.CheckInError, match="Unknown"):
        service.check_in_by_code(world.e1.id, forged, D(2014, 6, 2))
    with pytest.raises(service.CheckInError, match="another event"):
        service.check_in_by_code(world.e2.id, good, D(2014, 11, 10))
    with pytest.raises(service.CheckInError, match="not a day"):
        service.check_in_by_code(world.e1.id, good, D(2014, 6, 9))
    pending = register(world.people["carla"], world.e1, status="pending")
    _db.session.commit()
    with pytest.raises(service.CheckInError, match="not confirmed"):
        service.check_in_registration(world.e1.id, pending.id, D(2014, 6, 2))
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_the_check_in_code_does_not_reveal_the_manage_token(world):
    registration = world.registrations[("ana", "e1")]
    code = codes.check_in_code(registration)
    assert registration.manage_token not in code
    assert code.startswith(f"LANET-{registration.id}-")


def test_undo_removes_the_check_in_from_the_totals(world):
    _attend_all(world)
    mistaken = service.check_in_registration(
        world.e2.id, world.registrations[("bruno", "e2")].id, D(2014, 11, 10)
    )
    compile_totals()
    assert _row("cycle_completion", ALL_YEARS, str(world.cycle.id))[0] == 2
    service.undo_check_in(world.e2.id, mistaken.attendance.id)
    compile_totals()
    assert _row("cycle_completion", ALL_YEARS, str(world.cycle.id))[0] == 1
    with pytest.raises(service.CheckInError):
        service.undo_check_in(world.e1.id, mistaken.attendance.id)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_import_of_a_csv_sheet_records_every_row(world):
    ana = codes.check_in_code(world.registrations[("ana", "e1")])
    service.check_in_by_code(world.e1.id, ana, D(2014, 6, 2))
    sheet = _csv(
        "code;email;day",
        f"{ana};;2014-06-02",
        f"{ana};;03/06/2014",
        ";BRUNO@example.org;2014-06-04",
        ";bruno@example.org;2014-06-04",
    )
    result = service.import_sign_in_sheet(world.e1.id, "sheet.csv", sheet)
    assert (result.rows, result.recorded, result.already) == (4, 2, 2)
    methods = _db.session.scalars(select(Attendance.method).order_by(Attendance.id)).all()
    assert methods == ["qr", "import", "import"]


def test_import_with_a_bad_row_writes_nothing_and_names_every_bad_row(world):
    ana = codes.check_in_code(world.registrations[("ana", "e1")])
    sheet = _csv(
        "email,day",
        "ana@example.org,2014-06-02",
        "nobody@example.org,2014-06-02",
        "bruno@example.org,someday",
        "carla@example.org,2014-06-02",
        "diego@example.org,2014-07-01",
    )
    with pytest.raises(service.ImportRejected) as rejected:
        service.import_sign_in_sheet(world.e1.id, "sheet.csv", sheet)
    assert [e.row for e in rejected.value.errors] == [3, 4, 5, 6]
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 0
    assert ana  # the good row was not written either


def test_import_of_an_xlsx_sheet(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Date"])
    sheet.append(["ana@example.org", D(2014, 6, 5)])
    sheet.append(["diego@example.org", "2014-06-06"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = service.import_sign_in_sheet(world.e1.id, "sheet.xlsx", buffer.getvalue())
    assert result.recorded == 2


@pytest.mark.parametrize(
    "filename, content",
    [
        ("sheet.pdf", b"%PDF"),
        ("sheet.xlsx", b"not a workbook"),
        ("sheet.csv", b"name,when\nana,today\n"),
        ("sheet.csv", b"email,day\n"),
        ("sheet.csv", b"email,day\nana@example.org,2014-06-02\x00\n"),
        ("sheet.csv", "email;day\nana@example.org;2014-06-02\n".encode("utf-16")),
    ],
)
def test_unreadable_sheets_are_refused(world, filename, content):
    with pytest.raises(service.ImportRejected):
        service.import_sign_in_sheet(world.e1.id, filename, content)
    assert _db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_totals_do_not_depend_on_personal_fields(world):
    """What erasing a person blanks (names, email, position) changes no total."""
    _attend_all(world)
    compile_totals()
    before = _all_totals()
    for person in world.people.values():
        person.first_name = "—"
        person.last_name = "—"
        person.email = None
        person.position = None
    _db.session.commit()
    compile_totals()
    assert _all_totals() == before


def test_erasing_a_person_keeps_the_totals(world):
    from lanet.privacy.service import erase_person as erase

    _attend_all(world)
    compile_totals()
    before = _all_totals()
    erase(world.people["ana"].id)
    _db.session.commit()
    compile_totals()
    assert _all_totals() == before


def test_totals_by_reads_the_stored_rows(world):
    _attend_all(world)
    compile_totals()
    rows = totals_by("country", 2014)
    assert [(r.key, r.people) for r in rows] == [("AR", 2), ("BR", 2)]


def test_compiling_with_no_attendance_stores_no_totals(world):
    compile_totals()
    assert _all_totals() == set()


def _queued_compiles(app) -> int:
    """Recompile tasks waiting in the broker's "reports" queue (filesystem or Redis)."""
    with app.extensions["celery"].connection_for_write() as connection:
        return connection.default_channel.queue_declare("reports", passive=False).message_count


def test_a_check_in_asks_for_a_recompile_only_once_committed(app, world):
    before = _queued_compiles(app)
    code = codes.check_in_code(world.registrations[("ana", "e1")])
    with pytest.raises(service.CheckInError):
        service.check_in_by_code(world.e1.id, code, D(2015, 1, 1))
    assert _queued_compiles(app) == before  # refused: nothing changed, nothing asked
    service.check_in_by_code(world.e1.id, code, D(2014, 6, 2))
    assert _queued_compiles(app) == before + 1
    service.check_in_by_code(world.e1.id, code, D(2014, 6, 2))  # second scan: no change
    assert _queued_compiles(app) == before + 1


def test_a_queued_recompile_is_skipped_when_a_later_compile_already_ran(world):
    from datetime import timedelta

    from lanet.attendance.totals import compile_if_stale
    from lanet.core.types import utcnow

    _attend(world, "ana", "e1", D(2014, 6, 2))
    asked = utcnow() - timedelta(seconds=5)
    assert compile_if_stale(asked) is True  # nothing compiled yet
    assert compile_if_stale(asked) is False  # the compile just made started after the request
    assert compile_if_stale(utcnow()) is True
