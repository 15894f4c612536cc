"""Every back end gives the same answers: the same pages in the same order, the same scores,
snippets and word boxes, on a corpus with repeated words, accents, digits and punctuation."""

from __future__ import annotations

import random

import pytest

from search import SearchIndex
from tests.search.conftest import open_index, result

VOCABULARY = ["invoice", "total", "due", "amount", "Café", "café", "CAFÉ", "Müller", "muller", "naïve", "résumé", "12.50", "2026", "quick", "quickly", "quicker", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "über", "straße", "Øresund", "Ελλάδα", "Москва", "東京", "O'Brien", "e-mail", "well-known", "(note)", "«quoted»", "total:", "due;", "x_y"]
QUERIES = ["total", "TOTAL due", "cafe", "café muller", "quick*", "quick* brown", "qu*", "12.50", "2026 invoice",
           "uber", "strasse", "ελλαδα", "москва", "東京", "o'brien", "brien", "e-mail", "well known", "note",
           "quoted", "x_y", "y", "the the", "fox fox*", "lazy dog over", "absent", "total absent", "z*",
           '"quick" AND NOT brown', "NEAR(fox dog)", "Øresund", "oresund"]


def corpus() -> list[tuple[str, list[list[str]]]]:
    rng = random.Random(13)
    documents = []
    for number in range(40):
        pages = []
        for _ in range(rng.randint(1, 3)):
            pages.append([" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 9)))
                          for _ in range(rng.randint(1, 6))])
        documents.append((f"doc{number:02d}.pdf", pages))
    return documents


def answers(index: SearchIndex) -> dict[str, list[tuple]]:
    for name, pages in corpus():
        index.add(name, result(*pages))
    index.add("doc03.pdf", result(["replaced quick brown text"]))   # replacement
    index.remove("doc05.pdf")
    return {query: [(h.document, h.page, h.page_width, h.page_height, h.score, h.snippet,
                     [(w.text, w.bbox) for w in h.words]) for h in index.search(query, limit=15)]
            for query in QUERIES}


def test_every_back_end_gives_the_same_hits(backend, tmp_path, request):
    reference_index = SearchIndex(tmp_path / "reference.sqlite")  # FTS5 where this SQLite has it
    reference = answers(reference_index)
    reference_index.engine.dispose()
    got = answers(open_index(backend, tmp_path, request))
    assert sum(len(hits) for hits in reference.values()) > 100  # the corpus exercises the ranking
    for query in QUERIES:
        expected, actual = reference[query], got[query]
        assert [hit[:4] + hit[5:] for hit in actual] == [hit[:4] + hit[5:] for hit in expected], query
        assert [hit[4] for hit in actual] == pytest.approx([hit[4] for hit in expected], rel=1e-12), query


def test_a_writer_without_fts5_leaves_the_fts5_table_rebuilt_not_stale(tmp_path):
    """A process whose SQLite lacks FTS5 (e.g. TensorFlow imported first) writes the same database:
    the next process with FTS5 finds its pages, and not the ones it removed."""
    path = tmp_path / "shared.sqlite"
    with_fts5 = SearchIndex(path)
    if with_fts5.backend != "sqlite-fts5":
        pytest.skip("this process's SQLite has no FTS5")
    with_fts5.add("old.pdf", result(["shared words here"]))
    with_fts5.add("gone.pdf", result(["shared words gone"]))
    without = SearchIndex(path, fts5=False)
    without.add("new.pdf", result(["shared words later"]))
    without.remove("gone.pdf")
    assert sorted(h.document for h in without.search("shared")) == ["new.pdf", "old.pdf"]
    # the long-lived FTS5 index notices on its next search; a newly opened one on open
    assert sorted(h.document for h in with_fts5.search("shared words")) == ["new.pdf", "old.pdf"]
    assert [h.document for h in SearchIndex(path).search("later")] == ["new.pdf"]
