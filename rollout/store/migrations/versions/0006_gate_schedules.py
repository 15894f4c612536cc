"""gate schedules: progressive rollouts (steps, dwell, evidence per step, where each stands)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'gate_schedules',
        sa.Column('gate', sa.String(length=64), sa.ForeignKey('gates.name'), primary_key=True),
        sa.Column('steps_bp', sa.JSON(), nullable=False),
        sa.Column('dwell_minutes', sa.Integer(), nullable=False),
        sa.Column('min_pairs', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('step_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.Enum('running', 'waiting', 'done', 'stopped', 'rolled-back', name='schedulestatus',
                                    native_enum=False, create_constraint=False, length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('running', 'waiting', 'done', 'stopped', 'rolled-back')",
                           name='ck_status_closed_set'),
    )


def downgrade() -> None:
    op.drop_table('gate_schedules')
