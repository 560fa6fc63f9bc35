"""durable inbox of webhook events; buttons of outbox replies

Revision ID: 0007_inbox
Revises: 0007_staff_sessions
Create Date: 2026-12-04 21:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_inbox'
down_revision = '0007_staff_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=120), nullable=False),
    sa.Column('chat_key', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'event_id', name='uq_inbox_event')
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_pending', ['status', 'channel', 'chat_key', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_received_at'), ['received_at'], unique=False)
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.create_index('ix_processed_events_received_at', ['received_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('options')
    with op.batch_alter_table('processed_events', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_events_received_at')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_received_at'))
        batch_op.drop_index('ix_inbox_pending')
    op.drop_table('inbox')
