"""jobs: asynchronous OCR jobs and their pages (results written once per job and page)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _closed(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=16)


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('client', sa.String(length=100), nullable=True),
        sa.Column('gate', sa.String(length=64), nullable=False),
        sa.Column('unit', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=64), nullable=False),
        sa.Column('options', sa.JSON(), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('document', sa.LargeBinary(), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('status', _closed('jobstatus', 'queued', 'running', 'done'), nullable=False),
        sa.Column('callback_url', sa.Text(), nullable=True),
        sa.Column('callback_status', sa.String(length=200), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done')", name='ck_status_closed_set'),
    )
    op.create_index('ix_jobs_created_at', 'jobs', ['created_at'])
    op.create_index('ix_jobs_client', 'jobs', ['client'])
    op.create_table(
        'job_pages',
        sa.Column('job_id', sa.String(length=32), sa.ForeignKey('jobs.id'), primary_key=True),
        sa.Column('page', sa.Integer(), primary_key=True),
        sa.Column('status', _closed('pagestatus', 'pending', 'running', 'done', 'failed'), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('image', sa.LargeBinary(), nullable=True),
        sa.Column('request_id', sa.String(length=32), nullable=True),
        sa.Column('engine', sa.String(length=64), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('reason', sa.String(length=16), nullable=True),
        sa.Column('latency_ms', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name='ck_status_closed_set'),
    )
    op.create_index('ix_job_pages_status', 'job_pages', ['status', 'lease_until'])


def downgrade() -> None:
    op.drop_index('ix_job_pages_status', table_name='job_pages')
    op.drop_table('job_pages')
    op.drop_index('ix_jobs_client', table_name='jobs')
    op.drop_index('ix_jobs_created_at', table_name='jobs')
    op.drop_table('jobs')
