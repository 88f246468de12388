"""The organizers' registrations page reads an event's registrations in order of arrival a
page at a time: an index on (event_id, created_at, id) gives a page without sorting every
registration of the event.

Revision ID: 0013_registrations_page
Revises: 0012_import_jobs
"""

from alembic import op

revision = "0013_registrations_page"
down_revision = "0012_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_registrations_event_arrival",
        "registrations",
        ["event_id", "created_at", "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_registrations_event_arrival", table_name="registrations")
