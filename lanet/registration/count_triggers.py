"""Database triggers that keep `registration_counts` (models.RegistrationCount): how many
registrations each event has by status, country and institution, for the organizers' page.

Why triggers: the counts depend on every registration's status and on its person's country
and institution, and many paths change those (the public form, the waiting list, approvals,
cancellations, offers and their expiry, imports, nominations, erasure, a person's own edits,
the API, the bench loaders' bulk inserts). A trigger sees every one of them, including ones
written later, so no path can forget the counts.

Why not one row per (event, status, country, institution) updated in place with a plain
UPDATE: its row lock would be held to the end of each writer's transaction, so concurrent
registrations would queue behind each other (and could deadlock against the event's seat
lock, taken in the other order). Here a change adds its +1/-1 to a row of its key that no
other transaction holds (`FOR UPDATE SKIP LOCKED`), or appends a new row for the key when
all of them are held: a writer never waits for another writer's count. An event keeps about
as many rows per key as there were writers at once; the page sums them.

Each change reads its person's country and institution `FOR SHARE`: a concurrent change of
that person's country then waits for this transaction (or this one for it), so the count is
always made under the person's committed values, never under a value being replaced.

SQLite has one writer at a time: its triggers update the key's row, or add it.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

# --- PostgreSQL ----------------------------------------------------------------------------

POSTGRESQL_CREATE = [
    """
CREATE OR REPLACE FUNCTION registration_count_add(
    p_event_id integer, p_status varchar, p_country varchar, p_institution integer, p_delta integer
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    free_row bigint;
BEGIN
    SELECT id INTO free_row FROM registration_counts
    WHERE event_id = p_event_id AND status = p_status
      AND country_code IS NOT DISTINCT FROM p_country
      AND institution_id IS NOT DISTINCT FROM p_institution
    LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF free_row IS NULL THEN
        INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
        VALUES (p_event_id, p_status, p_country, p_institution, p_delta);
    ELSE
        UPDATE registration_counts SET number = number + p_delta WHERE id = free_row;
    END IF;
END $$
""",
    """
CREATE OR REPLACE FUNCTION registration_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    country varchar;
    institution integer;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT country_code, institution_id INTO country, institution
        FROM people WHERE id = OLD.person_id FOR SHARE;
        PERFORM registration_count_add(OLD.event_id, OLD.status, country, institution, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT country_code, institution_id INTO country, institution
        FROM people WHERE id = NEW.person_id FOR SHARE;
        PERFORM registration_count_add(NEW.event_id, NEW.status, country, institution, 1);
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE OR REPLACE FUNCTION registration_count_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    registration record;
BEGIN
    FOR registration IN SELECT event_id, status FROM registrations WHERE person_id = NEW.id LOOP
        PERFORM registration_count_add(
            registration.event_id, registration.status, OLD.country_code, OLD.institution_id, -1
        );
        PERFORM registration_count_add(
            registration.event_id, registration.status, NEW.country_code, NEW.institution_id, 1
        );
    END LOOP;
    RETURN NULL;
END $$
""",
    "DROP TRIGGER IF EXISTS registration_counts_insert ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_delete ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_update ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_person ON people",
    """
CREATE TRIGGER registration_counts_insert AFTER INSERT ON registrations
FOR EACH ROW EXECUTE FUNCTION registration_count_change()
""",
    """
CREATE TRIGGER registration_counts_delete AFTER DELETE ON registrations
FOR EACH ROW EXECUTE FUNCTION registration_count_change()
""",
    """
CREATE TRIGGER registration_counts_update AFTER UPDATE OF status, event_id, person_id
ON registrations FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.event_id IS DISTINCT FROM NEW.event_id
      OR OLD.person_id IS DISTINCT FROM NEW.person_id)
EXECUTE FUNCTION registration_count_change()
""",
    """
CREATE TRIGGER registration_counts_person AFTER UPDATE OF country_code, institution_id
ON people FOR EACH ROW
WHEN (OLD.country_code IS DISTINCT FROM NEW.country_code
      OR OLD.institution_id IS DISTINCT FROM NEW.institution_id)
EXECUTE FUNCTION registration_count_person()
""",
]

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS registration_counts_insert ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_delete ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_update ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_person ON people",
    "DROP FUNCTION IF EXISTS registration_count_person()",
    "DROP FUNCTION IF EXISTS registration_count_change()",
    "DROP FUNCTION IF EXISTS registration_count_add(integer, varchar, varchar, integer, integer)",
]

# --- SQLite --------------------------------------------------------------------------------


def _sqlite_add(event: str, status: str, country: str, institution: str, delta: str) -> str:
    """The statements adding `delta` to a key's row (one row a key: one writer at a time)."""
    key = (
        f"event_id = {event} AND status = {status} AND country_code IS {country}"
        f" AND institution_id IS {institution}"
    )
    return f"""
    UPDATE registration_counts SET number = number + {delta} WHERE {key};
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT {event}, {status}, {country}, {institution}, {delta}
    WHERE NOT EXISTS (SELECT 1 FROM registration_counts WHERE {key});"""


def _sqlite_add_for_person(event: str, status: str, person: str, delta: str) -> str:
    country = f"(SELECT country_code FROM people WHERE id = {person})"
    institution = f"(SELECT institution_id FROM people WHERE id = {person})"
    return _sqlite_add(event, status, country, institution, delta)


def _sqlite_person_move() -> str:
    """A person's registrations, grouped by (event, status), leave the old country and
    institution's rows and join the new ones' (set-based: a trigger body has no loop)."""
    mine = (
        "SELECT count(*) FROM registrations r WHERE r.person_id = NEW.id"
        " AND r.event_id = registration_counts.event_id"
        " AND r.status = registration_counts.status"
    )
    old_key = "country_code IS OLD.country_code AND institution_id IS OLD.institution_id"
    new_key = "country_code IS NEW.country_code AND institution_id IS NEW.institution_id"
    return f"""
    UPDATE registration_counts SET number = number - ({mine}) WHERE {old_key};
    UPDATE registration_counts SET number = number + ({mine}) WHERE {new_key};
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT r.event_id, r.status, NEW.country_code, NEW.institution_id, count(*)
    FROM registrations r
    WHERE r.person_id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM registration_counts c
        WHERE c.event_id = r.event_id AND c.status = r.status
          AND c.country_code IS NEW.country_code AND c.institution_id IS NEW.institution_id
    )
    GROUP BY r.event_id, r.status;"""


SQLITE_CREATE = [
    "DROP TRIGGER IF EXISTS registration_counts_insert",
    "DROP TRIGGER IF EXISTS registration_counts_delete",
    "DROP TRIGGER IF EXISTS registration_counts_update",
    "DROP TRIGGER IF EXISTS registration_counts_person",
    f"""
CREATE TRIGGER registration_counts_insert AFTER INSERT ON registrations BEGIN
{_sqlite_add_for_person("NEW.event_id", "NEW.status", "NEW.person_id", "1")}
END""",
    f"""
CREATE TRIGGER registration_counts_delete AFTER DELETE ON registrations BEGIN
{_sqlite_add_for_person("OLD.event_id", "OLD.status", "OLD.person_id", "-1")}
END""",
    f"""
CREATE TRIGGER registration_counts_update AFTER UPDATE OF status, event_id, person_id
ON registrations
WHEN OLD.status IS NOT NEW.status OR OLD.event_id IS NOT NEW.event_id
     OR OLD.person_id IS NOT NEW.person_id
BEGIN
{_sqlite_add_for_person("OLD.event_id", "OLD.status", "OLD.person_id", "-1")}
{_sqlite_add_for_person("NEW.event_id", "NEW.status", "NEW.person_id", "1")}
END""",
    # One person's registrations move from the old country/institution to the new one.
    f"""
CREATE TRIGGER registration_counts_person AFTER UPDATE OF country_code, institution_id
ON people
WHEN OLD.country_code IS NOT NEW.country_code OR OLD.institution_id IS NOT NEW.institution_id
BEGIN
{_sqlite_person_move()}
END""",
]


SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS registration_counts_insert",
    "DROP TRIGGER IF EXISTS registration_counts_delete",
    "DROP TRIGGER IF EXISTS registration_counts_update",
    "DROP TRIGGER IF EXISTS registration_counts_person",
]

# Every registration counted from scratch (the migration's backfill, `recount`).
BACKFILL = """
INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
SELECT r.event_id, r.status, p.country_code, p.institution_id, count(*)
FROM registrations r JOIN people p ON p.id = r.person_id
GROUP BY r.event_id, r.status, p.country_code, p.institution_id
"""


def install(connection: Connection) -> None:
    """Creates (or replaces) the triggers on `connection`'s database."""
    statements = POSTGRESQL_CREATE if connection.dialect.name == "postgresql" else SQLITE_CREATE
    for statement in statements:
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    statements = POSTGRESQL_DROP if connection.dialect.name == "postgresql" else SQLITE_DROP
    for statement in statements:
        connection.exec_driver_sql(statement)
