"""feedback: waiting-for-citizen pause (paused_at, paused_days)

The 'waiting' status needs no schema change (status is a string); these two columns keep the
deadline clock's pause. Existing records keep their stored due dates.

Revision ID: 0005_feedback_waiting_pause
Revises: 0004
Create Date: 2026-12-04 21:30:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0005_feedback_waiting_pause'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.drop_column('paused_days')
        batch_op.drop_column('paused_at')
