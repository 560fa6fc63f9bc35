"""workflow: internal notes (feedback_notes) apart from replies; the form of handling on a record

Revision ID: 0012_workflow
Revises: 0011_units
Create Date: 2026-12-04 23:50:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0012_workflow'
down_revision = '0011_units'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['feedback_records.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('feedback_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_notes_record_id'), ['record_id'], unique=False)
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handling', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.drop_column('handling')
    with op.batch_alter_table('feedback_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_notes_record_id'))
    op.drop_table('feedback_notes')
