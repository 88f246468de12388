"""Agenda item ids are never reused on SQLite (AUTOINCREMENT), as on PostgreSQL.

Published versions and calendar UIDs name items by id; SQLite would otherwise hand the id
of a deleted last item to the next new one.

Revision ID: 0005_agenda
Revises: 0004_api
"""

from alembic import op

revision = "0005_agenda"
down_revision = "0004_api"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "agenda_items", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "agenda_items", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
