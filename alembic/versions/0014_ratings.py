"""ratings: one 👍/👎 per (answer, person): the rated question-log row and a keyed digest of the rater

Revision ID: 0014_ratings
Revises: 0015_attachments
Create Date: 2026-12-05 00:00:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0014_ratings'
down_revision = '0015_attachments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rater', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key('fk_rating_question', 'question_log', ['question_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_rating_answer_rater', ['question_id', 'rater'])


def downgrade() -> None:
    with op.batch_alter_table('satisfaction_ratings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_rating_answer_rater', type_='unique')
        batch_op.drop_constraint('fk_rating_question', type_='foreignkey')
        batch_op.drop_column('rater')
        batch_op.drop_column('question_id')
