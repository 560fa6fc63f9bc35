"""learning: staff decisions about questions the bot missed (teach / out of scope / skip, undo, applied)

Revision ID: 0007_learning_decisions
Revises: 0009_channel_tokens
Create Date: 2026-12-04 21:50:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0010_learning_decisions'
down_revision = '0009_channel_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'learning_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=True),
        sa.Column('question', sa.String(length=500), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=80), nullable=False),
        sa.Column('actor', sa.String(length=80), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('batch', sa.String(length=40), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.String(length=80), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['question_id'], ['question_log.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('learning_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_decisions_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_decisions_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learning_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_decisions_at'))
        batch_op.drop_index(batch_op.f('ix_learning_decisions_question_id'))
    op.drop_table('learning_decisions')
