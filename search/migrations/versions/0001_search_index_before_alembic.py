"""the search index as it was before Alembic (pdf/search_index.py made these tables itself)

An index made by that code is adopted as it is: a table that already exists is left alone.

Revision ID: s0001
Revises:
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = 's0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'search_documents' not in existing:
        op.create_table('search_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document', sa.String(), nullable=False),
        sa.Column('engine', sa.String(), nullable=False),
        sa.Column('engine_version', sa.String(), nullable=False),
        sa.Column('indexed_at', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('document')
        )
    if 'search_pages' not in existing:
        op.create_table('search_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['search_documents.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_search_pages_document_id', 'search_pages', ['document_id'], unique=False)
    if 'search_words' not in existing:
        op.create_table('search_words',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(), nullable=False),
        sa.Column('folded', sa.String(), nullable=False),
        sa.Column('x0', sa.Integer(), nullable=False),
        sa.Column('y0', sa.Integer(), nullable=False),
        sa.Column('x1', sa.Integer(), nullable=False),
        sa.Column('y1', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['page_id'], ['search_pages.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_search_words_page_id', 'search_words', ['page_id'], unique=False)


def downgrade() -> None:
    op.drop_table('search_words')
    op.drop_table('search_pages')
    op.drop_table('search_documents')
