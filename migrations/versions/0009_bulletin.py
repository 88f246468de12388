"""Bulletin: contacts, distribution lists, bulletins, sends and their deliveries; extra
headers on outbox messages (List-Unsubscribe, RFC 8058).

Revision ID: 0009_bulletin
Revises: 0005_agenda
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_bulletin"
down_revision = "0005_agenda"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))

    op.create_table(
        "bulletin_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("institution", sa.String(length=300), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_source", sa.String(length=16), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('authority', 'focal_point', 'partner', 'subscriber')",
            name=op.f("ck_bulletin_contacts_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'unsubscribed')",
            name=op.f("ck_bulletin_contacts_status"),
        ),
        sa.CheckConstraint(
            "language IN ('es', 'pt', 'en')", name=op.f("ck_bulletin_contacts_language")
        ),
        sa.CheckConstraint(
            "consent_source IS NULL OR consent_source IN ('subscription', 'import', 'staff')",
            name=op.f("ck_bulletin_contacts_consent_source"),
        ),
        sa.CheckConstraint(
            "status != 'active' OR consent_at IS NOT NULL",
            name=op.f("ck_bulletin_contacts_active_consented"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_bulletin_contacts_country_code_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_contacts")),
        sa.UniqueConstraint("email", name=op.f("uq_bulletin_contacts_email")),
    )
    with op.batch_alter_table("bulletin_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_contacts_country_code"), ["country_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bulletin_contacts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_contacts_status"), ["status"], unique=False)

    op.create_table(
        "bulletin_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_bulletin_lists_name")),
    )

    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("html", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compiled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('compiling', 'draft', 'published')", name=op.f("ck_bulletins_status")
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_bulletins_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_bulletins_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
    )
    with op.batch_alter_table("bulletins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletins_published_at"), ["published_at"], unique=False
        )

    op.create_table(
        "bulletin_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("expanded_through", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('expanding', 'queued')", name=op.f("ck_bulletin_sends_status")
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_sends_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["bulletin_lists.id"], name=op.f("fk_bulletin_sends_list_id_bulletin_lists")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_bulletin_sends_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_sends")),
        sa.UniqueConstraint(
            "bulletin_id", "list_id", name=op.f("uq_bulletin_sends_bulletin_id_list_id")
        ),
    )
    with op.batch_alter_table("bulletin_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_sends_list_id"), ["list_id"], unique=False)

    op.create_table(
        "bulletin_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'skipped')", name=op.f("ck_bulletin_deliveries_status")
        ),
        sa.ForeignKeyConstraint(
            ["send_id"],
            ["bulletin_sends.id"],
            name=op.f("fk_bulletin_deliveries_send_id_bulletin_sends"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name=op.f("fk_bulletin_deliveries_bulletin_id_bulletins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["bulletin_contacts.id"],
            name=op.f("fk_bulletin_deliveries_contact_id_bulletin_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_bulletin_deliveries_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_deliveries")),
        sa.UniqueConstraint(
            "send_id", "contact_id", name=op.f("uq_bulletin_deliveries_send_id_contact_id")
        ),
        sa.UniqueConstraint(
            "bulletin_id", "email", name=op.f("uq_bulletin_deliveries_bulletin_id_email")
        ),
    )
    with op.batch_alter_table("bulletin_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulletin_deliveries_contact_status", ["contact_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_bulletin_deliveries_outbox_message_id"),
            ["outbox_message_id"],
            unique=False,
        )


def downgrade():
    op.drop_table("bulletin_deliveries")
    op.drop_table("bulletin_sends")
    op.drop_table("bulletins")
    op.drop_table("bulletin_lists")
    op.drop_table("bulletin_contacts")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("headers")
