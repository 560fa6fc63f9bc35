"""staff sessions on the server (revocable) and login throttling per (username, address)

Revision ID: 0007_staff_sessions
Revises: 0005_reports
Create Date: 2026-12-04 21:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_staff_sessions'
down_revision = '0005_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)
    op.create_table(
        'staff_login_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=60), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username', 'address'),
    )


def downgrade() -> None:
    op.drop_table('staff_login_throttle')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))
    op.drop_table('staff_sessions')
