"""Attendance: a nonce per scan, stored totals, staff subscriptions to summaries and the
record of summaries sent.

Revision ID: 0003_attendance
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_attendance'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_attendance_nonce'), ['nonce'])

    op.create_table('attendance_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('instructors', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('person_days', sa.Integer(), nullable=False),
    sa.Column('compiled_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("dimension IN ('year', 'event', 'kind', 'cycle', 'country', 'institution_kind', 'role', 'gender', 'cycle_completion')", name=op.f('ck_attendance_totals_dimension')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_totals')),
    sa.UniqueConstraint('dimension', 'year', 'key', name=op.f('uq_attendance_totals_dimension_year_key'))
    )
    op.create_table('summary_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("frequency IN ('event_end', 'weekly', 'year_end')", name=op.f('ck_summary_subscriptions_frequency')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_summary_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_subscriptions')),
    sa.UniqueConstraint('user_id', 'frequency', name=op.f('uq_summary_subscriptions_user_id_frequency'))
    )
    with op.batch_alter_table('summary_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_summary_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('summary_dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("frequency IN ('event_end', 'weekly', 'year_end')", name=op.f('ck_summary_dispatches_frequency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_dispatches')),
    sa.UniqueConstraint('frequency', 'key', name=op.f('uq_summary_dispatches_frequency_key'))
    )


def downgrade():
    op.drop_table('summary_dispatches')
    with op.batch_alter_table('summary_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_summary_subscriptions_user_id'))
    op.drop_table('summary_subscriptions')
    op.drop_table('attendance_totals')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attendance_nonce'), type_='unique')
        batch_op.drop_column('nonce')
