"""jobs: the HTTP request that created a job (its workers' log lines carry it) and when each page
was last handed to the broker (lost messages are re-sent after OCRGATE_JOB_RESEND_SECONDS)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('http_request_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('job_pages') as batch:
        batch.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job_pages') as batch:
        batch.drop_column('sent_at')
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('http_request_id')
