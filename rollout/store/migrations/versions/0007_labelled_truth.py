"""labelled truth from traffic: word-crop tasks, labellers' readings, labelling consent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _closed(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=16)


def upgrade() -> None:
    op.create_table(
        'truth_tasks',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('pair_id', sa.Integer(), sa.ForeignKey('pairs.id'), nullable=False),
        sa.Column('request_id', sa.String(length=32), sa.ForeignKey('requests.id'), nullable=False),
        sa.Column('gate', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('bbox', sa.JSON(), nullable=False),
        sa.Column('control_text', sa.String(length=200), nullable=False),
        sa.Column('candidate_text', sa.String(length=200), nullable=False),
        sa.Column('stratum', _closed('truthstratum', 'disagree', 'agree'), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('truth', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stratum IN ('disagree', 'agree')", name='ck_stratum_closed_set'),
    )
    for column in ('pair_id', 'request_id', 'gate', 'category', 'created_at'):
        op.create_index(f'ix_truth_tasks_{column}', 'truth_tasks', [column])
    op.create_table(
        'truth_labels',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('task_id', sa.Integer(), sa.ForeignKey('truth_tasks.id'), nullable=False),
        sa.Column('labeller', sa.String(length=100), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('task_id', 'labeller', name='uq_truth_labels_task_labeller'),
    )
    op.create_index('ix_truth_labels_task_id', 'truth_labels', ['task_id'])
    op.create_table(
        'labelling_consent',
        sa.Column('kind', _closed('consentkind', 'unit', 'category'), primary_key=True),
        sa.Column('value', sa.String(length=200), primary_key=True),
        sa.Column('granted_by', sa.String(length=100), nullable=False),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('unit', 'category')", name='ck_kind_closed_set'),
    )


def downgrade() -> None:
    op.drop_table('labelling_consent')
    op.drop_index('ix_truth_labels_task_id', 'truth_labels')
    op.drop_table('truth_labels')
    for column in ('pair_id', 'request_id', 'gate', 'category', 'created_at'):
        op.drop_index(f'ix_truth_tasks_{column}', 'truth_tasks')
    op.drop_table('truth_tasks')
