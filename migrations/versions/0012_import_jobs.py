"""Import jobs: bulk sends (an invitation CSV file, a long list of addresses) validated in the
request and processed by a worker in chunks, with their rows and each row's outcome.

Revision ID: 0012_import_jobs
Revises: 0011_tokens
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_import_jobs"
down_revision = "0011_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('invitations')", name=op.f("ck_import_jobs_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_import_jobs_status")
        ),
        sa.CheckConstraint(
            "processed = sent + skipped + failed AND processed <= total",
            name=op.f("ck_import_jobs_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_import_jobs_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_import_jobs_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index(op.f("ix_import_jobs_event_id"), "import_jobs", ["event_id"])
    op.create_index(op.f("ix_import_jobs_status"), "import_jobs", ["status"])
    op.create_table(
        "import_job_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'skipped', 'failed')",
            name=op.f("ck_import_job_rows_status"),
        ),
        sa.CheckConstraint(
            "language IN ('es', 'pt', 'en')", name=op.f("ck_import_job_rows_language")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_import_job_rows_job_id_import_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_import_job_rows_invitation_id_invitations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job_rows")),
        sa.UniqueConstraint("job_id", "row_number", name=op.f("uq_import_job_rows_job_id_row_number")),
    )
    op.create_index(op.f("ix_import_job_rows_email"), "import_job_rows", ["email"])
    op.create_index(
        "ix_import_job_rows_job_status", "import_job_rows", ["job_id", "status", "row_number"]
    )


def downgrade():
    op.drop_index("ix_import_job_rows_job_status", table_name="import_job_rows")
    op.drop_index(op.f("ix_import_job_rows_email"), table_name="import_job_rows")
    op.drop_table("import_job_rows")
    op.drop_index(op.f("ix_import_jobs_status"), table_name="import_jobs")
    op.drop_index(op.f("ix_import_jobs_event_id"), table_name="import_jobs")
    op.drop_table("import_jobs")
