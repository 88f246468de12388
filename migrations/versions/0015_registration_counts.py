"""Registrations counted by event, status, country and institution (`registration_counts`),
kept by triggers on registrations and people (lanet/registration/count_triggers.py says why
triggers and how they avoid waiting on each other), for the organizers' page: its totals
no longer group every registration of the event on each view.

The table is filled from the registrations already there while writes to registrations and
people are held off (SHARE ROW EXCLUSIVE), so no change falls between the count and the
triggers.

Revision ID: 0015_registration_counts
Revises: 0013_registrations_page
"""

import sqlalchemy as sa
from alembic import op

from lanet.registration import count_triggers

revision = "0015_registration_counts"
down_revision = "0013_registrations_page"
branch_labels = None
depends_on = None


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
    op.execute(count_triggers.BACKFILL)
    count_triggers.install(connection)


def downgrade():
    count_triggers.uninstall(op.get_bind())
    op.drop_index("ix_registration_counts_key", table_name="registration_counts")
    op.drop_table("registration_counts")
