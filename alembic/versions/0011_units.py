"""units: cơ quan / xã as data, staff membership with a role per unit, each record in one unit

Existing records move into the coordinator queue ("chưa phân loại") and existing staff become its
members (tiếp nhận), so nobody loses sight of a record they handled the day before the upgrade.

Revision ID: 0011_units
Revises: 0010_learning_decisions
Create Date: 2026-12-04 23:50:00
"""
import datetime as dt

import sqlalchemy as sa

from alembic import op

revision = '0011_units'
down_revision = '0010_learning_decisions'
branch_labels = None
depends_on = None

COORDINATOR = 'chua-phan-loai'


def upgrade() -> None:
    units = op.create_table(
        'units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('keywords', sa.String(length=1000), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_table(
        'unit_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'user_id'),
    )
    with op.batch_alter_table('unit_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_members_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_members_user_id'), ['user_id'], unique=False)

    op.bulk_insert(units, [{'code': COORDINATOR, 'name': 'Chưa phân loại (điều phối)', 'kind': 'dieu_phoi',
                            'keywords': '', 'active': True, 'created_at': dt.datetime.now(dt.UTC).replace(tzinfo=None)}])
    bind = op.get_bind()
    coordinator = bind.execute(sa.text('SELECT id FROM units WHERE code = :c'), {'c': COORDINATOR}).scalar_one()
    bind.execute(sa.text("INSERT INTO unit_members (unit_id, user_id, role) SELECT :u, id, 'tiep_nhan' FROM staff_users"),
                 {'u': coordinator})

    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
    bind.execute(sa.text('UPDATE feedback_records SET unit_id = :u'), {'u': coordinator})
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_feedback_records_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key('fk_feedback_records_unit_id_units', 'units', ['unit_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('feedback_records', schema=None) as batch_op:
        batch_op.drop_constraint('fk_feedback_records_unit_id_units', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_feedback_records_unit_id'))
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('unit_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_unit_members_unit_id'))
    op.drop_table('unit_members')
    op.drop_table('units')
