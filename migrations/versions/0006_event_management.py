"""Event management: translated description and audience, online join link and attendance
mode, the cancellation reason in three languages, and API tokens that expire.

Revision ID: 0006_events
Revises: 0010_certificates
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_events"
down_revision = "0010_certificates"
branch_labels = None
depends_on = None

MODES = "attendance_mode IN ('in_person', 'online', 'hybrid')"


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("description_translations", sa.JSON(), nullable=False, server_default="{}")
        )
        batch.add_column(
            sa.Column("audience_translations", sa.JSON(), nullable=False, server_default="{}")
        )
        batch.add_column(
            sa.Column(
                "attendance_mode", sa.String(length=16), nullable=False, server_default="in_person"
            )
        )
        batch.add_column(sa.Column("online_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("cancellation_reason", sa.JSON(), nullable=True))
        batch.create_check_constraint(op.f("ck_events_attendance_mode"), MODES)
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("ck_events_attendance_mode"), type_="check")
        batch.drop_column("cancellation_reason")
        batch.drop_column("online_url")
        batch.drop_column("attendance_mode")
        batch.drop_column("audience_translations")
        batch.drop_column("description_translations")
