"""Secrets at rest (issue 14, item 8): private and invitation links leave the database.

Registrations and invitations kept their link's secret in clear (`manage_token`, `token`).
Each row now keeps a random nonce and the SHA-256 of its link, which is rebuilt as
HMAC(TOKEN_KEY, purpose:nonce) (lanet/core/tokens.py). The links already emailed keep
working: the hash of each old token becomes the row's `previous_token_hash`; every email sent
after the upgrade carries the row's new link. The key is read from the application's
configuration (TOKEN_KEY, or derived from SECRET_KEY), as the application does.

Downgrade puts the link that works now (the new one) back in clear.

Revision ID: 0011_tokens
Revises: 0008_journeys
"""

import base64
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0011_tokens"
down_revision = "0008_journeys"
branch_labels = None
depends_on = None

# (table, old clear column, purpose): the purposes of lanet/core/tokens.py.
TABLES = (
    ("registrations", "manage_token", "registration"),
    ("invitations", "token", "invitation"),
)


# Frozen copies of lanet/core/tokens.py as of this revision, so that a later change there
# cannot change what this migration writes.
def _key() -> bytes:
    configured = current_app.config.get("TOKEN_KEY") or ""
    if configured:
        return configured.encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"lanet.core.tokens", hashlib.sha256).digest()


def _token(key: bytes, purpose: str, nonce: str) -> str:
    digest = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def upgrade():
    key = _key()
    connection = op.get_bind()
    for table_name, old, purpose in TABLES:
        with op.batch_alter_table(table_name) as batch:
            batch.add_column(sa.Column("token_nonce", sa.String(length=32), nullable=True))
            batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("previous_token_hash", sa.String(length=64), nullable=True))
        table = sa.table(
            table_name,
            sa.column("id", sa.Integer),
            sa.column(old, sa.String),
            sa.column("token_nonce", sa.String),
            sa.column("token_hash", sa.String),
            sa.column("previous_token_hash", sa.String),
        )
        rows = connection.execute(sa.select(table.c.id, table.c[old])).all()
        updates = []
        for row_id, clear in rows:
            nonce = secrets.token_urlsafe(16)
            updates.append(
                {
                    "row_id": row_id,
                    "nonce": nonce,
                    "hash": _digest(_token(key, purpose, nonce)),
                    "previous": _digest(clear) if clear else None,
                }
            )
        if updates:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values(
                    token_nonce=sa.bindparam("nonce"),
                    token_hash=sa.bindparam("hash"),
                    previous_token_hash=sa.bindparam("previous"),
                ),
                updates,
            )
        with op.batch_alter_table(table_name) as batch:
            batch.alter_column("token_nonce", existing_type=sa.String(length=32), nullable=False)
            batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
            batch.drop_constraint(f"uq_{table_name}_{old}", type_="unique")
            batch.drop_column(old)
            batch.create_unique_constraint(f"uq_{table_name}_token_hash", ["token_hash"])
            batch.create_unique_constraint(
                f"uq_{table_name}_previous_token_hash", ["previous_token_hash"]
            )


def downgrade():
    key = _key()
    connection = op.get_bind()
    for table_name, old, purpose in TABLES:
        with op.batch_alter_table(table_name) as batch:
            batch.add_column(sa.Column(old, sa.String(length=64), nullable=True))
        table = sa.table(
            table_name,
            sa.column("id", sa.Integer),
            sa.column(old, sa.String),
            sa.column("token_nonce", sa.String),
        )
        rows = connection.execute(sa.select(table.c.id, table.c.token_nonce)).all()
        updates = [{"row_id": i, "clear": _token(key, purpose, nonce)} for i, nonce in rows]
        if updates:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values({old: sa.bindparam("clear")}),
                updates,
            )
        with op.batch_alter_table(table_name) as batch:
            batch.alter_column(old, existing_type=sa.String(length=64), nullable=False)
            batch.drop_constraint(f"uq_{table_name}_previous_token_hash", type_="unique")
            batch.drop_constraint(f"uq_{table_name}_token_hash", type_="unique")
            batch.drop_column("previous_token_hash")
            batch.drop_column("token_hash")
            batch.drop_column("token_nonce")
            batch.create_unique_constraint(f"uq_{table_name}_{old}", [old])
