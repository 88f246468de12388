"""Certificates: templates per event or cycle, their images, organizers' decisions, the
certificates themselves (one per template and person, with a unique public code) and
production runs with their progress.

Revision ID: 0010_certificates
Revises: 0009_bulletin
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_certificates"
down_revision = "0009_bulletin"
branch_labels = None
depends_on = None


def _created_at(name: str = "created_at", nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "certificate_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("min_share", sa.Integer(), nullable=False),
        sa.Column("hours_per_day", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(length=60), nullable=False),
        _created_at(),
        _created_at("updated_at"),
        sa.CheckConstraint(
            "(kind = 'attendance' AND event_id IS NOT NULL AND cycle_id IS NULL)"
            " OR (kind = 'completion' AND cycle_id IS NOT NULL AND event_id IS NULL)",
            name=op.f("ck_certificate_templates_subject_matches_kind"),
        ),
        sa.CheckConstraint(
            "kind IN ('attendance', 'completion')", name=op.f("ck_certificate_templates_kind")
        ),
        sa.CheckConstraint(
            "hours_per_day >= 0 AND hours_per_day <= 24",
            name=op.f("ck_certificate_templates_hours_per_day"),
        ),
        sa.CheckConstraint(
            "min_share >= 0 AND min_share <= 100",
            name=op.f("ck_certificate_templates_min_share_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_certificate_templates_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_certificate_templates_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_templates")),
        sa.UniqueConstraint("cycle_id", name=op.f("uq_certificate_templates_cycle_id")),
        sa.UniqueConstraint("event_id", name=op.f("uq_certificate_templates_event_id")),
    )
    op.create_table(
        "certificate_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _created_at("decided_at"),
        sa.CheckConstraint(
            "decision IN ('add', 'withhold')", name=op.f("ck_certificate_decisions_decision")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_certificate_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_certificate_decisions_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["certificate_templates.id"],
            name=op.f("fk_certificate_decisions_template_id_certificate_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_decisions")),
        sa.UniqueConstraint(
            "template_id", "person_id", name=op.f("uq_certificate_decisions_template_id_person_id")
        ),
    )
    op.create_index(
        op.f("ix_certificate_decisions_person_id"), "certificate_decisions", ["person_id"]
    )
    op.create_table(
        "certificate_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signer_position", sa.String(length=200), nullable=True),
        _created_at(),
        sa.CheckConstraint("kind IN ('logo', 'signature')", name=op.f("ck_certificate_images_kind")),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["certificate_templates.id"],
            name=op.f("fk_certificate_images_template_id_certificate_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_images")),
    )
    op.create_index(
        op.f("ix_certificate_images_template_id"), "certificate_images", ["template_id"]
    )
    op.create_table(
        "certificate_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        _created_at("requested_at"),
        _created_at("started_at", nullable=True),
        _created_at("finished_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'finished')", name=op.f("ck_certificate_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_certificate_runs_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["certificate_templates.id"],
            name=op.f("fk_certificate_runs_template_id_certificate_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_runs")),
    )
    op.create_index(
        "ix_certificate_runs_template_id_id", "certificate_runs", ["template_id", "id"]
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("holder_name", sa.String(length=250), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("days_attended", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _created_at("issued_at", nullable=True),
        _created_at("emailed_at", nullable=True),
        _created_at("withdrawn_at", nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.CheckConstraint("language IN ('es', 'pt', 'en')", name=op.f("ck_certificates_language")),
        sa.CheckConstraint(
            "status IN ('issued', 'failed', 'withdrawn')", name=op.f("ck_certificates_status")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_certificates_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["certificate_templates.id"],
            name=op.f("fk_certificates_template_id_certificate_templates"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["users.id"], name=op.f("fk_certificates_withdrawn_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        # One certificate per template and person: production is idempotent here.
        sa.UniqueConstraint(
            "template_id", "person_id", name=op.f("uq_certificates_template_id_person_id")
        ),
    )
    op.create_index(op.f("ix_certificates_person_id"), "certificates", ["person_id"])


def downgrade():
    op.drop_index(op.f("ix_certificates_person_id"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index("ix_certificate_runs_template_id_id", table_name="certificate_runs")
    op.drop_table("certificate_runs")
    op.drop_index(op.f("ix_certificate_images_template_id"), table_name="certificate_images")
    op.drop_table("certificate_images")
    op.drop_index(op.f("ix_certificate_decisions_person_id"), table_name="certificate_decisions")
    op.drop_table("certificate_decisions")
    op.drop_table("certificate_templates")
