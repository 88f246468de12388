"""The access matrix: every protected page, participant-link page and API endpoint against
every kind of principal, each getting exactly the answer it should.

Adding a page guarded by `permission_required`, a page under /r/ or an API endpoint without a
row in MATRIX makes `test_the_matrix_covers_every_protected_endpoint` fail: new pages have
to state who may open them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import url_for

from lanet.accounts.decorators import PROTECTED
from lanet.agenda.models import AgendaItem
from lanet.api.tokens import issue_token
from lanet.attendance.models import Attendance
from lanet.extensions import db as _db
from lanet.mail.service import queue_message
from lanet.network.models import Person
from lanet.registration.models import Registration
from tests.fixtures.accounts import create_user, ensure_country, log_in, new_event

# --- principals and answers ------------------------------------------------------------------

ANONYMOUS = "anonymous"
PARTICIPANT = "participant link"
FP_OTHER = "focal point of another country"
FP_COUNTRY = "focal point of the country"
ORG_OTHER = "organizer of another event"
ORG_EVENT = "organizer of the event"
STAFF = "staff"
PRINCIPALS = (ANONYMOUS, PARTICIPANT, FP_OTHER, FP_COUNTRY, ORG_OTHER, ORG_EVENT, STAFF)
SIGNED_IN = (FP_OTHER, FP_COUNTRY, ORG_OTHER, ORG_EVENT, STAFF)

ALLOW = "allowed"
LOGIN = "sent to the login page"
UNAUTHORIZED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"

# Who is allowed, by the scope a page belongs to.
STAFF_ONLY = "staff"
EVENT = "the event's organizers"
COUNTRY = "the country's focal points"
LINK = "the private link's holder"
ANY_USER = "any signed-in user"
PUBLIC = "everyone"
# The API's registration list: the event's organizers see every row; any focal point sees
# the rows of their own country only (nominees travel to events abroad; tests/test_api_*).
EVENT_OR_COUNTRY = "the event's organizers, and focal points for their own country's rows"
_ALLOWED = {
    EVENT_OR_COUNTRY: {STAFF, ORG_EVENT, FP_COUNTRY, FP_OTHER},
    STAFF_ONLY: {STAFF},
    EVENT: {STAFF, ORG_EVENT},
    COUNTRY: {STAFF, FP_COUNTRY},
    LINK: {PARTICIPANT},
    ANY_USER: set(SIGNED_IN),
    PUBLIC: set(PRINCIPALS),
}


@dataclass(frozen=True)
class Row:
    endpoint: str
    scope: str
    method: str = "GET"
    args: dict[str, str] = field(default_factory=dict)  # view arg -> world key
    query: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.endpoint.startswith("api")


def _event_row(endpoint: str, method: str = "GET", **args: str) -> Row:
    return Row(endpoint, EVENT, method, {"slug": "event_slug", **args})


def _staff_row(endpoint: str, method: str = "GET", **args: str) -> Row:
    return Row(endpoint, STAFF_ONLY, method, args)


def _country_row(endpoint: str, method: str = "GET") -> Row:
    # The country comes from ?country=; a focal point of another country asks for it in vain.
    return Row(endpoint, COUNTRY, method, query={"country": "country"})


def _link_row(endpoint: str, method: str = "GET") -> Row:
    return Row(endpoint, LINK, method, {"token": "manage_token"})


MATRIX: tuple[Row, ...] = (
    # accounts
    _staff_row("accounts.users"),
    _staff_row("accounts.user_detail", user_id="user_id"),
    _staff_row("accounts.toggle_active", "POST", user_id="user_id"),
    _staff_row("accounts.revoke_role", "POST", user_id="user_id", role_id="role_id"),
    _staff_row("privacy.people"),
    _staff_row("privacy.export_person", person_id="person_id"),
    _staff_row("privacy.erase_person", person_id="person_id"),
    _staff_row("accounts.audit_log"),
    # the outbox
    _staff_row("mail.outbox"),
    _staff_row("mail.resend", "POST", message_id="message_id"),
    # totals and the annual report
    _staff_row("attendance.dashboard"),
    _staff_row("attendance.compile_now", "POST"),
    _staff_row("attendance.chart_countries"),
    _staff_row("attendance.chart_years"),
    _staff_row("attendance.subscriptions", "POST"),
    _staff_row("attendance.send_summary", "POST"),
    _staff_row("attendance.report_index"),
    _staff_row("attendance.annual_report", year="year"),
    _staff_row("attendance.annual_report_file", year="year", fmt="csv"),
    # the bulletin: drafting, previews, sends, contacts and lists
    _staff_row("bulletin.staff_index"),
    _staff_row("bulletin.create", "POST"),
    _staff_row("bulletin.edit", bulletin_id="bulletin_id"),
    _staff_row("bulletin.save", "POST", bulletin_id="bulletin_id", language="es"),
    _staff_row("bulletin.recompile", "POST", bulletin_id="bulletin_id"),
    _staff_row("bulletin.preview", bulletin_id="bulletin_id", language="pt"),
    _staff_row("bulletin.preview_email", bulletin_id="bulletin_id", language="en"),
    _staff_row("bulletin.preview_email_html", bulletin_id="bulletin_id", language="es"),
    _staff_row("bulletin.test_send", "POST", bulletin_id="bulletin_id"),
    _staff_row("bulletin.send", "POST", bulletin_id="bulletin_id"),
    _staff_row("bulletin.progress", send_id="send_id"),
    _staff_row("bulletin.contacts_page"),
    _staff_row("bulletin.add_contact", "POST"),
    _staff_row("bulletin.import_contacts", "POST"),
    _staff_row("bulletin.unsubscribe_contact", "POST", contact_id="contact_id"),
    _staff_row("bulletin.create_list", "POST"),
    # an organizer's event: agenda, registrations, invitations, check-in
    _event_row("agenda.editor"),
    _event_row("agenda.import_items", "POST"),
    _event_row("agenda.add_item", "POST"),
    _event_row("agenda.edit_item", item_id="item_id"),
    _event_row("agenda.delete_item", "POST", item_id="item_id"),
    _event_row("agenda.publish", "POST"),
    _event_row("registration.registrations"),
    _event_row("registration.export", fmt="csv"),
    _event_row("registration.decide", "POST"),
    _event_row("registration.invitations"),
    _event_row("registration.invite_typed", "POST"),
    _event_row("registration.invite_group", "POST", source="remind"),
    _event_row("registration.invite_csv", "POST"),
    _event_row("registration.reminder_schedule", "POST"),
    _event_row("registration.import_job", job_id="import_job_id"),
    _event_row("registration.import_job_status", job_id="import_job_id"),
    _event_row("attendance.check_in"),
    _event_row("attendance.check_in_manual", "POST"),
    _event_row("attendance.scan", "POST"),
    _event_row("attendance.undo", "POST", attendance_id="attendance_id"),
    _event_row("attendance.import_sheet"),
    _event_row("attendance.badge_sheet"),
    # certificates: an event's organizers; a cycle's, and withdrawing, staff only
    _event_row("certificates.event_page"),
    _event_row("certificates.event_page", "POST"),
    Row("certificates.add_image", EVENT, "POST", {"template_id": "certificate_template_id"}),
    Row(
        "certificates.remove_image",
        EVENT,
        "POST",
        {"template_id": "certificate_template_id", "image_id": "certificate_image_id"},
    ),
    Row(
        "certificates.image",
        EVENT,
        args={"template_id": "certificate_template_id", "image_id": "certificate_image_id"},
    ),
    Row(
        "certificates.preview",
        EVENT,
        args={"template_id": "certificate_template_id", "language": "pt"},
    ),
    Row("certificates.decide", EVENT, "POST", {"template_id": "certificate_template_id"}),
    Row("certificates.clear_decision", EVENT, "POST", {"template_id": "certificate_template_id"}),
    Row("certificates.produce", EVENT, "POST", {"template_id": "certificate_template_id"}),
    Row("certificates.progress", EVENT, args={"template_id": "certificate_template_id"}),
    Row("certificates.staff_download", EVENT, args={"certificate_id": "certificate_id"}),
    _staff_row("certificates.cycle_page", cycle_id="cycle_id"),
    _staff_row("certificates.cycle_page", "POST", cycle_id="cycle_id"),
    _staff_row("certificates.withdraw", "POST", certificate_id="certificate_id"),
    # the events workspace: any role sees it (each the events of their role); creating an
    # event and series are the Secretariat's (organizers only inside a series they organize)
    Row("events.workspace_list", ANY_USER),
    _staff_row("events.create"),
    _staff_row("events.create_series"),
    _staff_row("events.open_cycle", "POST", code="series_code"),
    _event_row("events.manage_event"),
    _event_row("events.edit"),
    _event_row("events.change_status", "POST"),
    _event_row("events.move"),
    _event_row("events.cancel"),
    _event_row("events.organizers"),
    # a focal point's country
    _country_row("registration.nominations"),
    _country_row("registration.nominate_one", "POST"),
    _country_row("registration.nominate_csv", "POST"),
    _country_row("attendance.focal_point_totals"),
    # the participant's private link
    _link_row("registration.manage"),
    _link_row("registration.calendar"),
    _link_row("registration.accept", "POST"),
    _link_row("registration.cancel", "POST"),
    _link_row("registration.change", "POST"),
    _link_row("attendance.own_badge"),
    Row(
        "certificates.holder_download",
        LINK,
        args={"token": "manage_token", "code": "certificate_code"},
    ),
    # the JSON API
    Row("api_account.me", ANY_USER),
    Row("api_events.list_events", PUBLIC),
    Row("api_events.get_event", PUBLIC, args={"slug": "event_slug"}),
    Row("api_registrations.register", PUBLIC, "POST", {"slug": "event_slug"}),
    _link_row("api_registrations.get_own_registration"),
    _link_row("api_registrations.cancel_own_registration", "POST"),
    Row("api_registrations.list_registrations", EVENT_OR_COUNTRY, args={"slug": "event_slug"}),
    _event_row("api_registrations.invite", "POST"),
    _event_row("api_registrations.invite_csv", "POST"),
    _event_row("api_registrations.list_invitations"),
    _event_row("api_registrations.import_job", job_id="import_job_id"),
    Row("api_attendance.published_agenda", PUBLIC, args={"slug": "event_slug"}),
    _event_row("api_attendance.draft_agenda"),
    _event_row("api_attendance.check_in", "POST"),
    _event_row("api_attendance.check_in_registration", "POST"),
    _event_row("api_attendance.undo_check_in", "DELETE", attendance_id="attendance_id"),
    _staff_row("api_attendance.totals"),
    _country_row("api_attendance.totals"),
    _staff_row("api_attendance.annual_report", year="year"),
    _staff_row("api_certificates.person_certificates", person_id="person_id"),
    _event_row("api_certificates.event_certificates"),
    Row("api_certificates.download", EVENT, args={"certificate_id": "certificate_id"}),
    Row("api_certificates.verify", PUBLIC, args={"code": "certificate_code"}),
    Row("api_account.list_tokens", ANY_USER),
    _staff_row("api_account.issue", "POST"),
    _staff_row("api_account.revoke", "DELETE", token_id="api_token_id"),
    Row("api_bulletin.list_bulletins", PUBLIC),
    Row("api_bulletin.get_bulletin", PUBLIC, args={"bulletin_id": "published_bulletin_id"}),
    _staff_row("api_bulletin.create_bulletin", "POST"),
    _staff_row("api_bulletin.edit_text", "PUT", bulletin_id="bulletin_id", language="es"),
    _staff_row("api_bulletin.send_bulletin", "POST", bulletin_id="bulletin_id"),
    _staff_row("api_bulletin.send_progress", send_id="send_id"),
    _staff_row("api_bulletin.test_send", "POST", bulletin_id="bulletin_id"),
    _staff_row("api_bulletin.import_contacts", "POST"),
    _staff_row("api_bulletin.list_contacts"),
    _staff_row("api_bulletin.add_contact", "POST"),
    _staff_row("api_bulletin.list_lists"),
    _staff_row("api_bulletin.create_list", "POST"),
    # the staff page for API tokens
    _staff_row("staff_tokens.token_list"),
    _staff_row("staff_tokens.token_list", "POST"),
    _staff_row("staff_tokens.revoke", "POST", token_id="api_token_id"),
    # event management through the API
    _staff_row("api_manage_events.create_event", "POST"),
    _event_row("api_manage_events.update_event", "PATCH"),
    _event_row("api_manage_events.set_seats", "PUT"),
    _event_row("api_manage_events.move_event", "POST"),
    _event_row("api_manage_events.cancel_event", "POST"),
    _event_row("api_manage_events.change_status", "POST"),
    _event_row("api_manage_events.list_organizers"),
    _event_row("api_manage_events.add_organizer", "POST"),
    _event_row("api_manage_events.remove_organizer", "DELETE", user_id="organizer_user_id"),
    Row("api_manage_events.list_series", PUBLIC),
    Row("api_manage_events.get_series", PUBLIC, args={"code": "series_code"}),
    _staff_row("api_manage_events.create_series", "POST"),
    _staff_row("api_manage_events.open_cycle", "POST", code="series_code"),
)
# API pages that are documentation, not data.
API_DOCUMENTS = {"api.docs", "api.swagger_asset", "api-docs.openapi_json"}


def expected(row: Row, principal: str) -> str:
    if principal in _ALLOWED[row.scope]:
        return ALLOW
    if row.scope == LINK:
        return NOT_FOUND  # without the secret there is nothing to find
    if principal in (ANONYMOUS, PARTICIPANT):
        return UNAUTHORIZED if row.api else LOGIN
    return FORBIDDEN


# --- the world every case runs in ------------------------------------------------------------


def _build_world() -> dict[str, Any]:
    """Two events and two countries; one registration from the event's country."""
    ensure_country("AR")
    ensure_country("BR")
    event = new_event(
        "matrix-event",
        country="AR",
        status="open",
        capacity=30,
        registration_opens_at=datetime(2015, 1, 1, tzinfo=UTC),
        commit=False,
    )
    other_event = new_event("matrix-other-event", country="BR", commit=False)
    participant = Person(
        first_name="Inés", last_name="Matrixperson", email="ines@matrix.example", country_code="AR"
    )
    registration = Registration(
        person=participant,
        event=event,
        status="confirmed",
        seat_country_code="AR",
    )
    _db.session.add(registration)
    _db.session.flush()
    item = AgendaItem(
        event_id=event.id,
        title="Opening session",
        starts_at=datetime(2015, 5, 4, 12, tzinfo=UTC),
        ends_at=datetime(2015, 5, 4, 13, tzinfo=UTC),
    )
    attendance = Attendance(registration_id=registration.id, day=date(2015, 5, 4))
    _db.session.add_all([item, attendance])
    message = queue_message(to="someone@matrix.example", template="test_message", language="es")
    from lanet.registration.models import ImportJob

    import_job = ImportJob(event_id=event.id, kind="invitations", source="csv", status="done")
    _db.session.add(import_job)
    bulletin = _bulletin_world()
    # One commit for the whole world: on PostgreSQL every commit waits for the disk.
    users = {
        STAFF: create_user("staff", commit=False),
        ORG_EVENT: create_user("organizer", event=event, commit=False),
        ORG_OTHER: create_user("organizer", event=other_event, commit=False),
        FP_COUNTRY: create_user("focal_point", country="AR", commit=False),
        FP_OTHER: create_user("focal_point", country="BR", commit=False),
    }
    certificates = _certificates_world(event, participant)
    _db.session.commit()
    target = users[FP_OTHER]
    api_token, _plain = issue_token(create_user(None, commit=False).id, "matrix token")
    return {
        "api_token_id": api_token.id,
        "users": users,
        "event_slug": event.slug,
        "country": "AR",
        "manage_token": registration.manage_token,
        "item_id": item.id,
        "attendance_id": attendance.id,
        "message_id": message.id,
        "import_job_id": import_job.id,
        "person_id": participant.id,
        "user_id": target.id,
        "role_id": target.roles[0].id,
        "year": 2015,
        "series_code": "matrix-series",
        "organizer_user_id": users[ORG_EVENT].id,
        "participant_email": participant.email,
        **bulletin,
        **certificates,
    }


def _certificates_world(event, participant) -> dict[str, Any]:
    """A certificate template with a logo for the event, a cycle, and one issued certificate."""
    from lanet.certificates import production
    from lanet.certificates.models import Certificate, CertificateImage, CertificateTemplate
    from lanet.events.models import Cycle, Series
    from tests.fixtures.certificates import png

    series = Series(code="matrix-series", name_translations={"en": "Matrix"})
    cycle = Cycle(series=series, number=1)
    template = CertificateTemplate(
        kind="attendance",
        event=event,
        titles={"es": "T", "pt": "T", "en": "T"},
        bodies={"es": "{name}", "pt": "{name}", "en": "{name}"},
        issuer="LANET",
    )
    image = CertificateImage(
        template=template,
        kind="logo",
        content=png(),
        content_type="image/png",
        width=120,
        height=60,
    )
    code = production.new_code()
    certificate = Certificate(
        template=template,
        person=participant,
        code=code,
        holder_name=participant.full_name,
        role="participant",
        status="issued",
        file_key=production.store_pdf(code, b"%PDF-1.4 matrix"),
    )
    _db.session.add_all([series, cycle, template, image, certificate])
    _db.session.flush()
    return {
        "certificate_template_id": template.id,
        "certificate_image_id": image.id,
        "certificate_id": certificate.id,
        "certificate_code": code,
        "cycle_id": cycle.id,
    }


def _bulletin_world() -> dict[str, int]:
    """A draft bulletin in three languages, a contact, a list, and a send to that list."""
    from lanet.bulletin.models import Bulletin, BulletinSend, Contact, DistributionList
    from lanet.core.types import utcnow

    draft = Bulletin(
        period_start=date(2015, 1, 1),
        period_end=date(2015, 6, 30),
        status="draft",
        titles={lang: "Matrix bulletin" for lang in ("es", "pt", "en")},
        bodies={lang: "# Matrix" for lang in ("es", "pt", "en")},
        html={lang: "<h1>Matrix</h1>" for lang in ("es", "pt", "en")},
    )
    sent = Bulletin(
        period_start=date(2014, 7, 1), period_end=date(2014, 12, 31), status="published"
    )
    contact = Contact(
        email="contact@matrix.example", status="active", consent_at=utcnow(), consent_source="staff"
    )
    audience = DistributionList(name="Matrix list", countries=[], kinds=[])
    _db.session.add_all([draft, sent, contact, audience])
    _db.session.flush()
    send = BulletinSend(bulletin_id=sent.id, list_id=audience.id, status="queued")
    _db.session.add(send)
    _db.session.flush()
    return {
        "bulletin_id": draft.id,
        "published_bulletin_id": sent.id,
        "contact_id": contact.id,
        "send_id": send.id,
    }


def _api_headers(user) -> dict[str, str]:
    from lanet.api.tokens import issue_token

    _token, plain = issue_token(user.id, "access matrix")
    return {"Authorization": f"Bearer {plain}"}


def _request(client, app, row: Row, principal: str, world: dict[str, Any]):
    values = {name: world.get(key, key) for name, key in row.args.items()}
    if row.scope == LINK and principal != PARTICIPANT:
        values["token"] = secrets.token_urlsafe(32)
    query = {name: world[key] for name, key in row.query.items()}
    with app.test_request_context():
        path = url_for(row.endpoint, **values, **query)
    headers = {}
    user = world["users"].get(principal)
    if user is not None:
        if row.api:
            headers = _api_headers(user)
        else:
            log_in(client, user)
    return client.open(path, method=row.method, headers=headers, data={})


def outcome(response) -> str:
    status = response.status_code
    if status == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN
    if status in (401, 403, 404):
        return {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND}[status]
    if status >= 500 or status == 405:
        return f"error {status}"
    return ALLOW


def _empty_database() -> None:
    """Back to an empty database between two rows, or two state-changing requests of a row.

    DELETE, not TRUNCATE: on a handful of rows it is much faster on PostgreSQL.
    """
    _db.session.rollback()
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(table.delete())
    _db.session.commit()


def _check_row(app, row: Row) -> list[str]:
    """Asks as each principal; returns the answers that differ from the table."""
    mismatches = []
    world = _build_world()
    # Refused principals first: a refusal changes nothing, so they share one world; an
    # allowed POST may change it, so the next principal gets a fresh one.
    order = sorted(PRINCIPALS, key=lambda principal: expected(row, principal) == ALLOW)
    dirty = False
    for principal in order:
        if dirty:
            _empty_database()
            world = _build_world()
        response = _request(app.test_client(), app, row, principal, world)
        got, want = outcome(response), expected(row, principal)
        if got != want:
            mismatches.append(f"{principal}: got {got} ({response.status_code}), want {want}")
        dirty = row.method != "GET" and got == ALLOW
    return mismatches


SCOPES = tuple(dict.fromkeys(row.scope for row in MATRIX))


@pytest.mark.parametrize("scope", SCOPES)
def test_access(app, db, scope: str):
    """One test per scope keeps the run short; a failure lists every wrong answer."""
    mismatches = []
    for row in (r for r in MATRIX if r.scope == scope):
        mismatches += [f"{row.method} {row.endpoint} as {m}" for m in _check_row(app, row)]
        _empty_database()
    assert mismatches == []


CASES = len(MATRIX) * len(PRINCIPALS)


# --- the matrix itself -----------------------------------------------------------------------


def _rules(app) -> dict[str, set[str]]:
    """endpoint -> the methods its rules answer (HEAD and OPTIONS aside)."""
    methods: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return methods


def _view_key(app, endpoint: str) -> str:
    view = app.view_functions[endpoint]
    return f"{view.__module__}.{view.__name__}"


def _must_be_covered(app) -> set[str]:
    needed = set()
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if (
            _view_key(app, endpoint) in PROTECTED
            or rule.rule.startswith("/r/")
            or rule.rule.startswith("/api/")
            and endpoint not in API_DOCUMENTS
        ):
            needed.add(endpoint)
    return needed


def test_the_matrix_covers_every_protected_endpoint(app):
    covered = {row.endpoint for row in MATRIX}
    missing = sorted(_must_be_covered(app) - covered)
    assert not missing, f"add these endpoints to MATRIX in {__file__}: {missing}"
    stale = sorted(covered - set(_rules(app)))
    assert not stale, f"MATRIX names endpoints that no longer exist: {stale}"


def test_the_matrix_rows_use_methods_the_endpoints_answer(app):
    rules = _rules(app)
    wrong = [(r.endpoint, r.method) for r in MATRIX if r.method not in rules.get(r.endpoint, ())]
    assert not wrong


def test_pages_for_staff_organizers_and_focal_points_are_guarded(app):
    """No page under /staff, /manage or /focal-point escapes `permission_required`."""
    unguarded = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/staff", "/manage", "/focal-point"))
        and _view_key(app, rule.endpoint) not in PROTECTED
    )
    assert not unguarded


def test_matrix_size(app):
    """The size is reported in the issue's closing note; it grows with every protected page."""
    assert CASES == len(MATRIX) * len(PRINCIPALS) >= 300


def _public_get_endpoints(app) -> list[tuple[str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in {"static"}:
            continue
        if rule.rule.startswith(("/r/", "/dev/", "/api/v1/docs", "/badge/", "/invitations/")):
            continue
        if _view_key(app, rule.endpoint) in PROTECTED:
            continue
        if set(rule.arguments) - {"slug"}:
            continue
        found.append((rule.endpoint, sorted(rule.arguments)))
    return found


def test_public_pages_never_show_participants(app, client, db):
    """Listings, event pages, agendas, calendars and the public API name no participant."""
    world = _build_world()
    checked = 0
    for endpoint, arguments in _public_get_endpoints(app):
        values = {"slug": world["event_slug"]} if "slug" in arguments else {}
        with app.test_request_context():
            path = url_for(endpoint, **values)
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert "Matrixperson" not in body and world["participant_email"] not in body, path
        checked += 1
    assert checked >= 5
