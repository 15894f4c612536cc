"""aligned agreement: each pair's position-aligned disagreement as (edits, control characters)

Pairs stored before 0005 keep NULL here: their runs are compared by text order only, and the
traffic statistics leave them out of the aligned figures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pairs') as batch:
        batch.add_column(sa.Column('aligned_errors', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('aligned_length', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pairs') as batch:
        batch.drop_column('aligned_length')
        batch.drop_column('aligned_errors')
