"""Issue 14, item 4: no 5xx for anything a client can send.

Walks EVERY rule of the app's url_map — pages and API — with hostile values: in each path
parameter, and (with valid path values) in every query parameter and form or JSON field the
code reads, by GET and by each POST/PUT/PATCH/DELETE the rule accepts, signed in as staff (the
widest reach) and anonymously. A deeply nested JSON body goes to every API write. Any 5xx —
or an exception escaping to the test client — fails the test with the list of offenders.
Figures go to tests/artifacts/route_walk.json.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from lanet.accounts.models import User
from lanet.agenda.models import AgendaItem
from lanet.attendance.models import Attendance
from lanet.events.models import Event
from lanet.mail.models import OutboxMessage
from lanet.registration.models import Invitation, Registration
from tests.fixtures.api import bearer_headers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = {
    "nul": "a\x00b",
    "superscript-two": "²",
    "arabic-indic-digits": "١٢٣",
    "beyond-int4": "2147483648",
    "beyond-int8": "9223372036854775808",
    "below-int8": "-9223372036854775809",
    "huge-integer": "9" * 400,
    "cr-lf": "a\r\nb: c",
    "huge-string": "x" * 100_000,
    "lone-surrogate": "\udcff",
}

# A body 10,000 levels deep: Python's json module gives up with RecursionError.
DEEP_JSON = "[" * 10_000 + "]" * 10_000

# Values of the right shape for each path parameter name, so that query and form values get
# past the routing to the code that reads them.
SKIP_ENDPOINTS = {"static", "core.bench_plain_insert", "api-docs.static"}


def _names_read_by_the_code() -> list[str]:
    """Every query/form/JSON key the code reads: request.args/form/values, WTForms fields,
    marshmallow fields."""
    names: set[str] = set()
    patterns = [
        r"request\.(?:args|form|values|files)\.(?:get|getlist)\(\s*[\"'](\w+)[\"']",
        r"request\.(?:args|form|values)\[[\"'](\w+)[\"']\]",
        r"^\s+(\w+)\s*=\s*\w*Field\(",
        r"^\s+(\w+)\s*=\s*ma\.fields\.\w+\(",
    ]
    for path in (ROOT / "lanet").rglob("*.py"):
        text = path.read_text()
        for pattern in patterns:
            names.update(re.findall(pattern, text, flags=re.MULTILINE))
    names.discard("csrf_token")
    return sorted(names)


@pytest.fixture()
def walk_world(seeded, make_user):
    db = seeded
    event = db.session.scalar(select(Event).where(Event.status == "open").limit(1))
    event = event or db.session.scalar(select(Event).limit(1))
    registration = db.session.scalar(
        select(Registration).where(Registration.event_id == event.id).limit(1)
    ) or db.session.scalar(select(Registration).limit(1))
    invitation = db.session.scalar(select(Invitation).limit(1))
    item = db.session.scalar(select(AgendaItem).limit(1))
    attendance = db.session.scalar(select(Attendance).limit(1))
    message = db.session.scalar(select(OutboxMessage).limit(1))
    staff = make_user("staff", language="en")
    other = db.session.scalar(select(User).where(User.id != staff.id).limit(1))
    headers = bearer_headers(staff, "walk")
    return {
        "staff": staff,
        "bearer": headers,
        "values": {
            "slug": event.slug,
            "token": registration.manage_token if registration else "x",
            "invitation_token": invitation.token if invitation else "x",
            "item_id": str(item.id) if item else "1",
            "attendance_id": str(attendance.id) if attendance else "1",
            "message_id": str(message.id) if message else "1",
            "user_id": str(other.id if other else staff.id),
            "role_id": "1",
            # Someone else's: the walk must not erase or revoke the walker's own access.
            "person_id": str(registration.person_id if registration else staff.person_id),
            "token_id": "2147483647",
            "year": "2014",
            "fmt": "csv",
            "source": "focal-points",
            "name": "x.eml",
            "filename": "x.js",
        },
    }


def _path(rule, values: dict[str, str], hostile: str | None) -> str | None:
    """The rule's URL with each parameter the valid value, or `hostile` in every one."""
    path = rule.rule
    for argument in rule.arguments:
        if hostile is not None:
            value = hostile
        elif argument == "token" and rule.rule.startswith("/invitations/"):
            value = values["invitation_token"]
        else:
            value = values.get(argument, "1")
        converter = rule._converters[argument]
        value = quote(value.encode("utf-8", "surrogatepass"), safe="")
        pattern = re.compile(r"<(?:[^<>:]+:)?" + re.escape(argument) + r">")
        if type(converter).__name__ == "AnyConverter" and hostile is None:
            value = sorted(converter.items)[0]
        path = pattern.sub(lambda _m, v=value: v, path)
    return path


def _form(names: list[str], value: str, cut: int = 10_000) -> bytes:
    # Every field at once: a huge value is cut to `cut` characters per field (10,000 is still
    # beyond every length limit), so that a request stays a few megabytes.
    pairs = [(name, value[:cut]) for name in names]
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()


def _send(client, method: str, url: str, **kwargs):
    try:
        return client.open(url, method=method, **kwargs).status_code, None
    except Exception as error:  # escaped the app's error handling: as good as a 500
        return 500, f"{type(error).__name__}: {str(error)[:200]}"


def test_no_route_answers_5xx_to_hostile_input(app, walk_world, login, artifacts, on_postgres):
    names = _names_read_by_the_code()
    values = walk_world["values"]
    staff_client = app.test_client()
    login(staff_client, walk_world["staff"])
    anonymous = app.test_client()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS]
    offenders: list[str] = []
    sent: Counter = Counter()
    statuses: Counter = Counter()
    # Encoded once per value: 6,700 requests share ten forms of 216 fields (~2 MB each).
    forms = {label: _form(names, hostile) for label, hostile in HOSTILE.items()}
    # Query strings carry 1,000 characters per field (216 KB): gunicorn refuses a request line
    # beyond 4,094 bytes, so no longer one reaches the app; bodies carry the 10,000.
    queries = {
        label: "?" + _form(names, hostile, 1_000).decode() for label, hostile in HOSTILE.items()
    }
    bodies = {
        label: json.dumps({name: hostile[:10_000] for name in names}, ensure_ascii=True)
        for label, hostile in HOSTILE.items()
    }

    def check(client, method: str, url: str, label: str, **kwargs) -> None:
        status, error = _send(client, method, url, **kwargs)
        sent[method] += 1
        statuses[status // 100 * 100] += 1
        if status >= 500:
            offenders.append(f"{status} {method} {url[:120]!r} [{label}] {error or ''}")

    for rule in rules:
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        is_api = rule.rule.startswith("/api/")
        for label, hostile in HOSTILE.items():
            urls = []
            if rule.arguments:
                urls.append((_path(rule, values, hostile), "path"))
            urls.append((_path(rule, values, None), "fields"))
            for url, where in urls:
                for client, who in ((staff_client, "staff"), (anonymous, "anonymous")):
                    headers = walk_world["bearer"] if (is_api and who == "staff") else {}
                    tag = f"{label}/{where}/{who}"
                    query = queries[label] if where == "fields" else ""
                    for method in methods:
                        if method == "GET":
                            check(client, "GET", url + query, tag, headers=headers)
                        elif is_api:
                            check(
                                client,
                                method,
                                url + query,
                                tag,
                                data=bodies[label],
                                content_type="application/json",
                                headers=headers,
                            )
                        else:
                            check(
                                client,
                                method,
                                url + query,
                                tag,
                                data=forms[label] if where == "fields" else b"",
                                content_type="application/x-www-form-urlencoded",
                                headers=headers,
                            )
                    # The session must survive the walk (a hostile form could sign it out).
                    if who == "staff":
                        login(staff_client, walk_world["staff"])
        if is_api:
            for method in methods:
                if method in {"POST", "PUT", "PATCH"}:
                    check(
                        staff_client,
                        method,
                        _path(rule, values, None),
                        "deep-json",
                        data=DEEP_JSON,
                        content_type="application/json",
                        headers=walk_world["bearer"],
                    )

    figures = {
        "database": "postgresql" if on_postgres else "sqlite",
        "routes": len(rules),
        "hostile_values": len(HOSTILE),
        "fields_per_request": len(names),
        "requests": sum(sent.values()),
        "by_method": dict(sent),
        "by_status_class": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": len(offenders),
    }
    (artifacts / "route_walk.json").write_text(json.dumps(figures, indent=2))
    assert not offenders, f"{len(offenders)} answers were 5xx:\n" + "\n".join(offenders[:60])
