"""rotating channel API tokens shared by every worker (Zalo refresh tokens are single-use)

Revision ID: 0009_channel_tokens
Revises: 0007_inbox
Create Date: 2026-12-04 22:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_channel_tokens'
down_revision = '0007_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_tokens',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('channel')
    )


def downgrade() -> None:
    op.drop_table('channel_tokens')
