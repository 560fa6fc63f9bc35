"""reports: PAKN classification (quy định / hành vi hành chính), publication date, date indexes

Revision ID: 0005_reports
Revises: 0004
Create Date: 2026-12-04 21:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_reports'
down_revision = '0005_feedback_waiting_pause'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('classification', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_status_changes_at'), ['at'], unique=False)
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_ratings_record_id'), ['record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfaction_ratings_record_id'))
    with op.batch_alter_table('feedback_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_status_changes_at'))
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('classification')
