"""The quotas' totals on the event's row: `events.quota_seats` (the seats of its quotas) and
`events.quota_seats_confirmed` (the seats they count), so that the seat step decides on the
seats the quotas still reserve from the row it locks, in one statement (issue 16, third pass).
Backfilled from the quota rows.

Revision ID: 0014_seat_totals
Revises: 0015_registration_counts
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_seat_totals"
down_revision = "0015_registration_counts"
branch_labels = None
depends_on = None

WITHIN = (
    "quota_seats >= 0 AND quota_seats_confirmed >= 0 AND quota_seats_confirmed <= quota_seats"
)


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("quota_seats", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(
            sa.Column(
                "quota_seats_confirmed", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
        batch.create_check_constraint(op.f("ck_events_quota_seats_within_quotas"), WITHIN)
    # Each quota row already keeps confirmed <= seats (its own CHECK), so the sums do too.
    op.execute(
        "UPDATE events SET"
        " quota_seats = (SELECT coalesce(sum(q.seats), 0) FROM event_quotas q"
        " WHERE q.event_id = events.id),"
        " quota_seats_confirmed = (SELECT coalesce(sum(q.seats_confirmed), 0) FROM event_quotas q"
        " WHERE q.event_id = events.id)"
    )


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("ck_events_quota_seats_within_quotas"), type_="check")
        batch.drop_column("quota_seats_confirmed")
        batch.drop_column("quota_seats")
