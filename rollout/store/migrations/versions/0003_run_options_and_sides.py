"""requests keep their options; runs carry their side; pairs keyed by control and candidate runs;
roles, sides and kinds are closed sets

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

RUN_ROLES = "'served', 'served-failed', 'shadow', 'aa'"
SIDES = "'control', 'candidate'"


def upgrade() -> None:
    with op.batch_alter_table('requests') as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=True))
    with op.batch_alter_table('engine_runs') as batch_op:
        batch_op.add_column(sa.Column('side', sa.String(length=16), nullable=True))
    with op.batch_alter_table('pairs') as batch_op:
        batch_op.add_column(sa.Column('control_run_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('candidate_run_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('served_side', sa.String(length=16), nullable=True))

    connection = op.get_bind()
    runs = sa.table('engine_runs', sa.column('id', sa.Integer), sa.column('engine', sa.String),
                    sa.column('side', sa.String))
    pairs = sa.table('pairs', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('served_run_id', sa.Integer), sa.column('shadow_run_id', sa.Integer),
                     sa.column('control_engine', sa.String), sa.column('candidate_engine', sa.String),
                     sa.column('control_run_id', sa.Integer), sa.column('candidate_run_id', sa.Integer),
                     sa.column('served_side', sa.String))
    engine_of: dict[int, str] = dict(connection.execute(sa.select(runs.c.id, runs.c.engine)).all())
    for row in connection.execute(sa.select(pairs)).mappings().all():
        served_is_candidate = row['kind'] != 'aa' and engine_of.get(row['served_run_id']) == row['candidate_engine'] \
            and row['candidate_engine'] != row['control_engine']
        control, candidate = ((row['shadow_run_id'], row['served_run_id']) if served_is_candidate
                              else (row['served_run_id'], row['shadow_run_id']))
        connection.execute(pairs.update().where(pairs.c.id == row['id']).values(
            control_run_id=control, candidate_run_id=candidate,
            served_side='candidate' if served_is_candidate else 'control'))
        connection.execute(runs.update().where(runs.c.id == control).values(side='control'))
        connection.execute(runs.update().where(runs.c.id == candidate).values(
            side='control' if row['kind'] == 'aa' else 'candidate'))

    with op.batch_alter_table('engine_runs') as batch_op:
        batch_op.create_check_constraint('ck_role_closed_set', f"role IN ({RUN_ROLES})")
        batch_op.create_check_constraint('ck_side_closed_set', f"side IN ({SIDES})")
    with op.batch_alter_table('shadow_jobs') as batch_op:
        batch_op.create_check_constraint('ck_role_closed_set', "role IN ('candidate', 'control', 'aa')")
    with op.batch_alter_table('pairs') as batch_op:
        batch_op.drop_column('served_run_id')
        batch_op.drop_column('shadow_run_id')
        batch_op.alter_column('control_run_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('candidate_run_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('served_side', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_foreign_key('fk_pairs_control_run', 'engine_runs', ['control_run_id'], ['id'])
        batch_op.create_foreign_key('fk_pairs_candidate_run', 'engine_runs', ['candidate_run_id'], ['id'])
        batch_op.create_check_constraint('ck_served_side_closed_set', f"served_side IN ({SIDES})")
        batch_op.create_check_constraint('ck_kind_closed_set', "kind IN ('candidate', 'aa')")


def downgrade() -> None:
    raise NotImplementedError("0003 is one-way: the served/shadow columns are derived from control/candidate")
