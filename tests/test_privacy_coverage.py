"""DESIGN rule 12: every column that can hold personal data is covered by a declaration.

A column counts as possibly personal when a model marks it (`info={"personal": True}`) or
when it looks like it: free text, JSON or binary content of any name, or a string column
named like a name, an address, a message, a stored answer or a token. Each such column must
be covered by a `PersonalData` declaration or stated as not personal, with a reason, through
`not_personal(...)` in the feature's privacy.py. A marked column cannot be exempted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import JSON, Column, Integer, LargeBinary, MetaData, String, Table, Text

from lanet.core import personal_data
from lanet.extensions import db as _db

# Words that, as a whole part of a column name (`email`, `recipient_name`, `calendar_ics`),
# make a string column look personal.
_PERSONAL_WORDS = (
    "email|mail|name|names|phone|mobile|fax|address|street|birth|birthday|gender|position|"
    "affiliation|nationality|passport|context|body|ics|calendar|response|content|note|notes|"
    "comment|comments|reason|message|text|description|bio|biography|token|hash|password|"
    "secret|recipient|recipients|changes|items|title|filename|error|ip|user_agent|signature"
)
PERSONAL_NAME = re.compile(rf"(^|_)({_PERSONAL_WORDS})(_|$)")


def looks_personal(column: Column) -> bool:
    if isinstance(column.type, JSON | LargeBinary | Text):
        return True
    return isinstance(column.type, String) and bool(PERSONAL_NAME.search(column.name))


def marked_personal(column: Column) -> bool:
    return column.info.get("personal") is True


@dataclass
class Coverage:
    uncovered: list[str]
    marked_but_exempted: list[str]
    unknown_declared: list[str]
    unknown_exempted: list[str]
    declared_and_exempted: list[str]

    @property
    def problems(self) -> list[str]:
        return [
            *(f"not covered by any declaration: {c}" for c in self.uncovered),
            *(f"marked personal but declared not personal: {c}" for c in self.marked_but_exempted),
            *(f"declared but no such column: {c}" for c in self.unknown_declared),
            *(f"declared not personal but no such column: {c}" for c in self.unknown_exempted),
            *(f"both declared and declared not personal: {c}" for c in self.declared_and_exempted),
        ]


def check(
    metadata: MetaData,
    covered: dict[tuple[str, str], list[str]],
    exempt: dict[tuple[str, str], personal_data.NotPersonal],
) -> Coverage:
    existing = {(t.name, c.name) for t in metadata.sorted_tables for c in t.columns}
    uncovered, marked_exempt = [], []
    for table in metadata.sorted_tables:
        for column in table.columns:
            key = (table.name, column.name)
            if key in covered:
                continue
            if marked_personal(column) and key in exempt:
                marked_exempt.append(f"{table.name}.{column.name}")
            elif (marked_personal(column) or looks_personal(column)) and key not in exempt:
                uncovered.append(f"{table.name}.{column.name}")
    return Coverage(
        uncovered=uncovered,
        marked_but_exempted=marked_exempt,
        unknown_declared=sorted(f"{t}.{c}" for t, c in covered.keys() - existing),
        unknown_exempted=sorted(f"{t}.{c}" for t, c in exempt.keys() - existing),
        declared_and_exempted=sorted(f"{t}.{c}" for t, c in covered.keys() & exempt.keys()),
    )


def test_every_personal_column_is_declared(app):
    """Fails with the list of columns to declare (or to state as not personal, with why)."""
    result = check(_db.metadata, personal_data.covered_columns(), personal_data.exemptions())
    assert result.problems == []


def test_the_check_catches_an_undeclared_column():
    """A new feature's table with a name, an email, a rendered message body, a calendar and a
    stored answer fails until declared; a reasoned exemption or a declaration clears it."""
    metadata = MetaData()
    Table(
        "newsletter_contacts",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("email", String(254)),
        Column("display_name", String(200)),
        Column("body", Text),
        Column("ics", LargeBinary),
        Column("response", JSON),
        Column("phone", String(40)),
        Column("context", JSON),
        Column("shoe_size", Integer),
        Column("nickname", String(40), info={"personal": True}),
        Column("country_code", String(2)),
    )
    result = check(metadata, {}, {})
    assert result.uncovered == [
        "newsletter_contacts.email",
        "newsletter_contacts.display_name",
        "newsletter_contacts.body",
        "newsletter_contacts.ics",
        "newsletter_contacts.response",
        "newsletter_contacts.phone",
        "newsletter_contacts.context",
        "newsletter_contacts.nickname",
    ]
    reason = personal_data.NotPersonal("newsletter_contacts", ("nickname",), "a test")
    covered = {
        ("newsletter_contacts", c): ["newsletter.contacts"]
        for c in ("email", "display_name", "body", "ics", "response", "phone", "context")
    }
    cleared = check(metadata, covered, {("newsletter_contacts", "nickname"): reason})
    assert cleared.uncovered == []
    assert cleared.marked_but_exempted == ["newsletter_contacts.nickname"]
    stale = check(metadata, {("newsletter_contacts", "gone"): ["x.y"]}, {})
    assert stale.unknown_declared == ["newsletter_contacts.gone"]


def test_the_marked_columns_are_declared(app):
    """The models mark the columns that are personal whatever their name."""
    marked = {
        (t.name, c.name)
        for t in _db.metadata.sorted_tables
        for c in t.columns
        if marked_personal(c)
    }
    assert {
        ("people", "first_name"),
        ("people", "email"),
        ("people", "position"),
        ("agenda_speakers", "affiliation"),
        ("outbox_messages", "calendar_ics"),
    } <= marked
    assert marked <= personal_data.covered_columns().keys()


def test_every_declaration_names_its_feature_and_exports_or_erases(app):
    entries = personal_data.declared()
    names = [e.name for e in entries]
    assert len(names) == len(set(names))
    for entry in entries:
        feature = entry.name.split(".", 1)[0]
        module = (entry.export or entry.erase).__module__
        assert module == f"lanet.{feature}.privacy", entry.name
    # The person row is blanked last, after every eraser that looks for the name and email.
    assert entries[-1].name == "network.person"
    for feature in ("network", "accounts", "agenda", "registration", "attendance", "mail"):
        assert any(n.startswith(f"{feature}.") for n in names), feature


def test_a_declaration_must_do_something():
    with pytest.raises(ValueError):
        personal_data.PersonalData(name="x.y", columns={"t": ["c"]})
    with pytest.raises(ValueError):
        personal_data.PersonalData(name="nofeature", columns={}, erase=lambda p: None)
    with pytest.raises(ValueError):
        personal_data.not_personal("t", ["c"], "  ")


def test_create_app_loads_every_features_privacy_module(app):
    """A privacy.py that create_app does not import declares nothing."""
    import sys
    from pathlib import Path

    import lanet

    root = Path(lanet.__file__).parent
    modules = {
        f"lanet.{path.parent.name}.privacy"
        for path in root.glob("*/privacy.py")
        if path.parent.name != "privacy"
    }
    assert modules and modules <= set(sys.modules)
