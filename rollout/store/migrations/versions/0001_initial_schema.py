"""initial schema: requests, images, engine runs, shadow jobs, pairs, gates, audit log, API tokens

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('token_sha256')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('gate', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_gate'), ['gate'], unique=False)

    op.create_table('gates',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('control', sa.String(length=64), nullable=False),
    sa.Column('candidate', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=False),
    sa.Column('shadow_bp', sa.Integer(), nullable=False),
    sa.Column('aa_bp', sa.Integer(), nullable=False),
    sa.Column('killed', sa.Boolean(), nullable=False),
    sa.Column('allow_units', sa.JSON(), nullable=False),
    sa.Column('deny_units', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('images',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('gate', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('served_engine', sa.String(length=64), nullable=True),
    sa.Column('fell_back', sa.Boolean(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['image_sha256'], ['images.sha256'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requests_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_created_at'), ['created_at'], unique=False)

    op.create_table('engine_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('engine', sa.String(length=64), nullable=False),
    sa.Column('engine_version', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('mean_confidence', sa.Float(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('engine_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_engine_runs_request_id'), ['request_id'], unique=False)

    op.create_table('shadow_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('engine', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('shadow_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shadow_jobs_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_shadow_jobs_status', ['status', 'lease_until'], unique=False)

    op.create_table('pairs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('gate', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('served_run_id', sa.Integer(), nullable=False),
    sa.Column('shadow_run_id', sa.Integer(), nullable=False),
    sa.Column('control_engine', sa.String(length=64), nullable=False),
    sa.Column('candidate_engine', sa.String(length=64), nullable=False),
    sa.Column('cer_between', sa.Float(), nullable=True),
    sa.Column('exact_match', sa.Boolean(), nullable=False),
    sa.Column('confidence_delta', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.ForeignKeyConstraint(['served_run_id'], ['engine_runs.id'], ),
    sa.ForeignKeyConstraint(['shadow_run_id'], ['engine_runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairs_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairs_gate'), ['gate'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairs_request_id'), ['request_id'], unique=False)

    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    """The audit log is evidence: the database itself refuses to change or delete an entry."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairs_request_id'))
        batch_op.drop_index(batch_op.f('ix_pairs_gate'))
        batch_op.drop_index(batch_op.f('ix_pairs_created_at'))
        batch_op.drop_index(batch_op.f('ix_pairs_category'))

    op.drop_table('pairs')
    with op.batch_alter_table('shadow_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_shadow_jobs_status')
        batch_op.drop_index(batch_op.f('ix_shadow_jobs_request_id'))

    op.drop_table('shadow_jobs')
    with op.batch_alter_table('engine_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_runs_request_id'))
        batch_op.drop_index(batch_op.f('ix_engine_runs_created_at'))

    op.drop_table('engine_runs')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_requests_category'))

    op.drop_table('requests')
    op.drop_table('images')
    op.drop_table('gates')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_gate'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('api_tokens')
