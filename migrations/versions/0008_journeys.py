"""Journeys (issue 15): an event's city in es/pt/en (its audience's translations came with
0006), and the organizer's schedule of invitation reminders (days before registration closes,
e.g. "7,2").

Revision ID: 0008_journeys
Revises: 0006_events
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_journeys"
down_revision = "0006_events"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("city_translations", sa.JSON(), nullable=False, server_default="{}")
        )
        batch.add_column(sa.Column("reminder_days", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("reminder_days")
        batch.drop_column("city_translations")
