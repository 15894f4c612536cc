"""page text and terms, the inverted index (search_terms), state flags; tsvector + GIN on PostgreSQL

Pages indexed before this revision get their text, terms and postings from their words.

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-03
"""
from collections import Counter

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from search.text import tokens

revision = 's0002'
down_revision = 's0001'
branch_labels = None
depends_on = None

#: `search_pages.tsv` on PostgreSQL: the page's terms as they are (no parser, no dictionary)
TSV_EXPRESSION = "array_to_tsvector(string_to_array(body, ' '))"


def upgrade() -> None:
    with op.batch_alter_table('search_pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('body', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('length', sa.Integer(), server_default='0', nullable=False))
    op.create_table('search_terms',
    sa.Column('term', sa.String(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['page_id'], ['search_pages.id'], ),
    sa.PrimaryKeyConstraint('term', 'page_id')
    )
    op.create_index('ix_search_terms_page_id', 'search_terms', ['page_id'], unique=False)
    op.create_table('search_state',
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('search_pages', sa.Column('tsv', postgresql.TSVECTOR(),
                                                sa.Computed(TSV_EXPRESSION, persisted=True), nullable=False))
        op.create_index('ix_search_pages_tsv', 'search_pages', ['tsv'], unique=False, postgresql_using='gin')
        # prefix queries (term LIKE 'abc%') in any collation
        op.create_index('ix_search_terms_term_prefix', 'search_terms', ['term'], unique=False,
                        postgresql_ops={'term': 'text_pattern_ops'})
    _backfill(op.get_bind())


def _backfill(connection) -> None:
    """Text, terms and postings for pages indexed before this revision, from their words."""
    pages = sa.table('search_pages', sa.column('id', sa.Integer), sa.column('text', sa.Text),
                     sa.column('body', sa.Text), sa.column('length', sa.Integer))
    words = sa.table('search_words', sa.column('id', sa.Integer), sa.column('page_id', sa.Integer),
                     sa.column('text', sa.String), sa.column('folded', sa.String))
    terms = sa.table('search_terms', sa.column('term', sa.String), sa.column('page_id', sa.Integer),
                     sa.column('count', sa.Integer))
    for (page_id,) in connection.execute(sa.select(pages.c.id).order_by(pages.c.id)).all():
        texts, body = [], []
        for word_id, word_text in connection.execute(
                sa.select(words.c.id, words.c.text).where(words.c.page_id == page_id).order_by(words.c.id)).all():
            word_terms = tokens(word_text)
            connection.execute(sa.update(words).where(words.c.id == word_id).values(folded=' '.join(word_terms)))
            texts.append(word_text)
            body.extend(word_terms)
        connection.execute(sa.update(pages).where(pages.c.id == page_id).values(
            text=' '.join(texts), body=' '.join(body), length=len(body)))
        counts = Counter(body)
        if counts:
            connection.execute(sa.insert(terms), [{'term': term, 'page_id': page_id, 'count': count}
                                                  for term, count in counts.items()])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_search_terms_term_prefix', table_name='search_terms')
        op.drop_index('ix_search_pages_tsv', table_name='search_pages')
        op.drop_column('search_pages', 'tsv')
    op.drop_table('search_state')
    op.drop_index('ix_search_terms_page_id', table_name='search_terms')
    op.drop_table('search_terms')
    with op.batch_alter_table('search_pages', schema=None) as batch_op:
        batch_op.drop_column('length')
        batch_op.drop_column('body')
        batch_op.drop_column('text')
