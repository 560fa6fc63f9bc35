"""accounts: when each staff account last logged in (shown on the accounts page), temporary passwords

Revision ID: 0013_accounts
Revises: 0012_workflow
Create Date: 2026-12-05 00:00:00
"""
import sqlalchemy as sa

from alembic import op

revision = '0013_accounts'
down_revision = '0012_workflow'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('last_login_at')
