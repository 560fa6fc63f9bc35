"""attachments: photos and documents citizens send with a report (fetched and stored after filing)

Revision ID: 0015_attachments
Revises: 0013_accounts
Create Date: 2026-12-05 00:00:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0015_attachments'
down_revision = '0013_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('file_id', sa.String(length=300), nullable=False),
        sa.Column('source_url', sa.Text(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=True),
        sa.Column('mime', sa.String(length=40), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('stored_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['feedback_records.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_feedback_attachments_record_id', 'feedback_attachments', ['record_id'])
    op.create_index('ix_feedback_attachments_status', 'feedback_attachments', ['status'])


def downgrade() -> None:
    op.drop_index('ix_feedback_attachments_status', table_name='feedback_attachments')
    op.drop_index('ix_feedback_attachments_record_id', table_name='feedback_attachments')
    op.drop_table('feedback_attachments')
