"""Registrations counted by event, status, country and institution (`registration_counts`),
kept by triggers on registrations and people (lanet/registration/count_triggers.py says why
triggers and how they avoid waiting on each other), for the organizers' page: its totals
no longer group every registration of the event on each view.

The table is filled from the registrations already there while writes to registrations and
people are held off (SHARE ROW EXCLUSIVE), so no change falls between the count and the
triggers.

The triggers' SQL is written out below as it was at this revision, not imported from the app:
a later change to count_triggers.py comes with a migration of its own, and this one keeps
installing what it always did (tests/test_migrations.py compares a migrated database's triggers
with those the app installs).

Revision ID: 0015_registration_counts
Revises: 0013_registrations_page
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_registration_counts"
down_revision = "0013_registrations_page"
branch_labels = None
depends_on = None


_POSTGRESQL_CREATE = [
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


_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS registration_counts_insert ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_delete ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_update ON registrations",
    "DROP TRIGGER IF EXISTS registration_counts_person ON people",
    "DROP FUNCTION IF EXISTS registration_count_person()",
    "DROP FUNCTION IF EXISTS registration_count_change()",
    "DROP FUNCTION IF EXISTS registration_count_add(integer, varchar, varchar, integer, integer)",
]


_SQLITE_CREATE = [
    "DROP TRIGGER IF EXISTS registration_counts_insert",
    "DROP TRIGGER IF EXISTS registration_counts_delete",
    "DROP TRIGGER IF EXISTS registration_counts_update",
    "DROP TRIGGER IF EXISTS registration_counts_person",
    """
CREATE TRIGGER registration_counts_insert AFTER INSERT ON registrations BEGIN

    UPDATE registration_counts SET number = number + 1 WHERE event_id = NEW.event_id AND status = NEW.status AND country_code IS (SELECT country_code FROM people WHERE id = NEW.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = NEW.person_id);
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT NEW.event_id, NEW.status, (SELECT country_code FROM people WHERE id = NEW.person_id), (SELECT institution_id FROM people WHERE id = NEW.person_id), 1
    WHERE NOT EXISTS (SELECT 1 FROM registration_counts WHERE event_id = NEW.event_id AND status = NEW.status AND country_code IS (SELECT country_code FROM people WHERE id = NEW.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = NEW.person_id));
END""",
    """
CREATE TRIGGER registration_counts_delete AFTER DELETE ON registrations BEGIN

    UPDATE registration_counts SET number = number + -1 WHERE event_id = OLD.event_id AND status = OLD.status AND country_code IS (SELECT country_code FROM people WHERE id = OLD.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = OLD.person_id);
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT OLD.event_id, OLD.status, (SELECT country_code FROM people WHERE id = OLD.person_id), (SELECT institution_id FROM people WHERE id = OLD.person_id), -1
    WHERE NOT EXISTS (SELECT 1 FROM registration_counts WHERE event_id = OLD.event_id AND status = OLD.status AND country_code IS (SELECT country_code FROM people WHERE id = OLD.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = OLD.person_id));
END""",
    """
CREATE TRIGGER registration_counts_update AFTER UPDATE OF status, event_id, person_id
ON registrations
WHEN OLD.status IS NOT NEW.status OR OLD.event_id IS NOT NEW.event_id
     OR OLD.person_id IS NOT NEW.person_id
BEGIN

    UPDATE registration_counts SET number = number + -1 WHERE event_id = OLD.event_id AND status = OLD.status AND country_code IS (SELECT country_code FROM people WHERE id = OLD.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = OLD.person_id);
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT OLD.event_id, OLD.status, (SELECT country_code FROM people WHERE id = OLD.person_id), (SELECT institution_id FROM people WHERE id = OLD.person_id), -1
    WHERE NOT EXISTS (SELECT 1 FROM registration_counts WHERE event_id = OLD.event_id AND status = OLD.status AND country_code IS (SELECT country_code FROM people WHERE id = OLD.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = OLD.person_id));

    UPDATE registration_counts SET number = number + 1 WHERE event_id = NEW.event_id AND status = NEW.status AND country_code IS (SELECT country_code FROM people WHERE id = NEW.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = NEW.person_id);
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT NEW.event_id, NEW.status, (SELECT country_code FROM people WHERE id = NEW.person_id), (SELECT institution_id FROM people WHERE id = NEW.person_id), 1
    WHERE NOT EXISTS (SELECT 1 FROM registration_counts WHERE event_id = NEW.event_id AND status = NEW.status AND country_code IS (SELECT country_code FROM people WHERE id = NEW.person_id) AND institution_id IS (SELECT institution_id FROM people WHERE id = NEW.person_id));
END""",
    """
CREATE TRIGGER registration_counts_person AFTER UPDATE OF country_code, institution_id
ON people
WHEN OLD.country_code IS NOT NEW.country_code OR OLD.institution_id IS NOT NEW.institution_id
BEGIN

    UPDATE registration_counts SET number = number - (SELECT count(*) FROM registrations r WHERE r.person_id = NEW.id AND r.event_id = registration_counts.event_id AND r.status = registration_counts.status) WHERE country_code IS OLD.country_code AND institution_id IS OLD.institution_id;
    UPDATE registration_counts SET number = number + (SELECT count(*) FROM registrations r WHERE r.person_id = NEW.id AND r.event_id = registration_counts.event_id AND r.status = registration_counts.status) WHERE country_code IS NEW.country_code AND institution_id IS NEW.institution_id;
    INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
    SELECT r.event_id, r.status, NEW.country_code, NEW.institution_id, count(*)
    FROM registrations r
    WHERE r.person_id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM registration_counts c
        WHERE c.event_id = r.event_id AND c.status = r.status
          AND c.country_code IS NEW.country_code AND c.institution_id IS NEW.institution_id
    )
    GROUP BY r.event_id, r.status;
END""",
]


_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS registration_counts_insert",
    "DROP TRIGGER IF EXISTS registration_counts_delete",
    "DROP TRIGGER IF EXISTS registration_counts_update",
    "DROP TRIGGER IF EXISTS registration_counts_person",
]


_BACKFILL = """
INSERT INTO registration_counts (event_id, status, country_code, institution_id, number)
SELECT r.event_id, r.status, p.country_code, p.institution_id, count(*)
FROM registrations r JOIN people p ON p.id = r.person_id
GROUP BY r.event_id, r.status, p.country_code, p.institution_id
"""


def upgrade():
    op.create_table(
        "registration_counts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registration_counts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_counts")),
    )
    op.create_index(
        "ix_registration_counts_key",
        "registration_counts",
        ["event_id", "status", "country_code", "institution_id"],
        unique=False,
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("LOCK TABLE registrations, people IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_BACKFILL)
    _run(connection, _POSTGRESQL_CREATE, _SQLITE_CREATE)


def downgrade():
    _run(op.get_bind(), _POSTGRESQL_DROP, _SQLITE_DROP)
    op.drop_index("ix_registration_counts_key", table_name="registration_counts")
    op.drop_table("registration_counts")


def _run(connection, postgresql: list[str], sqlite: list[str]) -> None:
    for statement in postgresql if connection.dialect.name == "postgresql" else sqlite:
        connection.exec_driver_sql(statement)
