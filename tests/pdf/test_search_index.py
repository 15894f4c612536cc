"""The search index: pages and word boxes for hits, folding, prefixes, safe queries, replacement."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from engines.result import BBox, Block, Line, OcrResult, Page, Word
from ocrgate.cli import main
from kernel.errors import OcrInputError
from pdf.search_index import SearchIndex
from tests.pdf.conftest import KnownTextEngine


def result(*pages: list[str]) -> OcrResult:
    built = []
    for lines in pages:
        built_lines = [Line(words=[Word(word, BBox(100 * i, 50 * row, 100 * i + 80, 50 * row + 40), 0.9)
                                   for i, word in enumerate(line.split())])
                       for row, line in enumerate(lines)]
        built.append(Page(width=1000, height=800, blocks=[Block(lines=built_lines)]))
    return OcrResult(engine="test", engine_version="1", pages=built)


@pytest.fixture
def index(tmp_path) -> SearchIndex:
    index = SearchIndex(tmp_path / "index.sqlite")
    index.add("a.pdf", result(["Invoice from Café Müller", "total due 12.50"], ["The quick brown fox"]))
    index.add("b.pdf", result(["quick notes", "nothing else"]))
    return index


def test_hits_give_document_page_and_word_boxes(index):
    (hit,) = index.search("brown FOX")
    assert (hit.document, hit.page, hit.page_width) == ("a.pdf", 2, 1000)
    assert [(w.text, w.bbox) for w in hit.words] == [("brown", BBox(200, 0, 280, 40)), ("fox", BBox(300, 0, 380, 40))]
    assert "[brown]" in hit.snippet


def test_case_accents_prefixes_and_ranking(index):
    assert [h.document for h in index.search("cafe muller")] == ["a.pdf"]
    assert [w.text for w in index.search("invo*")[0].words] == ["Invoice"]
    assert sorted((h.document, h.page) for h in index.search("quick")) == [("a.pdf", 2), ("b.pdf", 1)]


@pytest.mark.parametrize("query", ['NEAR(quick', 'quick AND "', "quick OR -fox", "col:quick"])
def test_fts_syntax_in_user_input_is_never_an_error(index, query):
    index.search(query)  # operators are plain words: no exception


def test_an_empty_query_or_a_silly_limit_is_refused(index):
    with pytest.raises(OcrInputError, match="no words"):
        index.search("  ** ")
    with pytest.raises(OcrInputError, match="limit"):
        index.search("quick", limit=0)


def test_indexing_a_document_again_replaces_it(index):
    index.add("a.pdf", result(["entirely new text"]))
    assert index.search("fox") == []
    assert [(h.document, h.page) for h in index.search("entirely")] == [("a.pdf", 1)]
    index.remove("a.pdf")
    assert index.search("entirely") == []


def test_takes_a_sqlalchemy_engine(tmp_path):
    index = SearchIndex(create_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    index.add("c.pdf", result(["shared store"]))
    assert index.search("store")[0].document == "c.pdf"


def test_pdf_then_search_from_the_command_line(tmp_path, sample_page, capsys, monkeypatch):
    source, out, db = tmp_path / "in.png", tmp_path / "out.pdf", tmp_path / "index.sqlite"
    sample_page.image.save(source)
    monkeypatch.setattr("ocrgate.commands.pdf.get_engine", lambda name: KnownTextEngine(sample_page))
    assert main(["pdf", str(source), "-o", str(out), "--index", str(db)]) == 0
    assert main(["search", "quick jumps", "--index", str(db), "--json"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)
    assert hit["document"] == str(out.resolve()) and hit["page"] == 1
    expected = {text: box for text, box in sample_page.words}
    assert [(w["text"], BBox(**w["bbox"])) for w in hit["words"]] == [
        ("quick", expected["quick"]), ("jumps", expected["jumps"])]
