"""accounts security: server-side admin sessions, the shared sign-in limiter, API token scopes, token
names unique among active tokens only, and the client that sent each request

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: scopes of the tokens that exist before 0004: what they could do before, less every client's pairs
EXISTING_TOKEN_SCOPES = 'ocr read'
#: SQLite reflects 0001's unnamed UNIQUE(name) without a name; batch mode names it by this convention
NAMING = {'uq': 'uq_%(table_name)s_%(column_0_name)s'}
ACTIVE = sa.text('revoked_at IS NULL')


def _unique_name_constraint() -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints('api_tokens'):
        if constraint['column_names'] == ['name']:
            return constraint['name'] or 'uq_api_tokens_name'
    raise RuntimeError('api_tokens has no unique constraint on name to replace')


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_sha256')
    )
    op.create_index(op.f('ix_admin_sessions_user_id'), 'admin_sessions', ['user_id'], unique=False)
    op.create_table('login_attempts',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )

    name_constraint = _unique_name_constraint()
    with op.batch_alter_table('api_tokens', naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(name_constraint, type_='unique')
    tokens = sa.table('api_tokens', sa.column('scopes', sa.String))
    op.execute(tokens.update().values(scopes=EXISTING_TOKEN_SCOPES))
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.alter_column('scopes', existing_type=sa.String(length=64), nullable=False)
    op.create_index('uq_api_tokens_active_name', 'api_tokens', ['name'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)

    with op.batch_alter_table('requests') as batch_op:
        batch_op.add_column(sa.Column('client', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_requests_client'), ['client'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('requests') as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_client'))
        batch_op.drop_column('client')

    op.drop_index('uq_api_tokens_active_name', table_name='api_tokens',
                  sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    # names are unique again: of the tokens that share a name (all but one revoked), keep the newest
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer), sa.column('name', sa.String))
    newest = sa.select(sa.func.max(tokens.c.id)).group_by(tokens.c.name)
    op.execute(tokens.delete().where(tokens.c.id.not_in(newest)))
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('scopes')
        batch_op.create_unique_constraint('api_tokens_name_key', ['name'])

    op.drop_table('login_attempts')
    op.drop_index(op.f('ix_admin_sessions_user_id'), table_name='admin_sessions')
    op.drop_table('admin_sessions')
