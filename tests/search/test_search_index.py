"""The search index, on every back end: pages and word boxes for hits, folding, prefixes, safe
queries, replacement; and `ocrgate pdf --index` then `ocrgate search` from the command line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from engines.result import BBox
from kernel.errors import OcrInputError
from ocrgate.cli import main
from search import SearchIndex
from tests.pdf.conftest import KnownTextEngine
from tests.search.conftest import result


@pytest.fixture
def filled(index) -> SearchIndex:
    index.add("a.pdf", result(["Invoice from Café Müller", "total due 12.50"], ["The quick brown fox"]))
    index.add("b.pdf", result(["quick notes", "nothing else"]))
    return index


def test_hits_give_document_page_and_word_boxes(filled):
    (hit,) = filled.search("brown FOX")
    assert (hit.document, hit.page, hit.page_width) == ("a.pdf", 2, 1000)
    assert [(w.text, w.bbox) for w in hit.words] == [("brown", BBox(200, 0, 280, 40)), ("fox", BBox(300, 0, 380, 40))]
    assert hit.snippet == "The quick [brown] [fox]"


def test_case_accents_prefixes_and_ranking(filled):
    assert [h.document for h in filled.search("cafe muller")] == ["a.pdf"]
    assert [w.text for w in filled.search("invo*")[0].words] == ["Invoice"]
    assert [(h.document, h.page) for h in filled.search("quick")] == [("a.pdf", 2), ("b.pdf", 1)]
    assert [w.text for w in filled.search("12.50")[0].words] == ["12.50"]


@pytest.mark.parametrize("query", ['NEAR(quick', 'quick AND "', "quick OR -fox", "col:quick", "quick's", "a & b | !c:*"])
def test_fts_syntax_in_user_input_is_never_an_error(filled, query):
    filled.search(query)  # operators are plain words: no exception


def test_an_empty_query_or_a_silly_limit_is_refused(filled):
    with pytest.raises(OcrInputError, match="no words"):
        filled.search("  ** ")
    with pytest.raises(OcrInputError, match="limit"):
        filled.search("quick", limit=0)


def test_indexing_a_document_again_replaces_it(filled):
    filled.add("a.pdf", result(["entirely new text"]))
    assert filled.search("fox") == []
    assert [(h.document, h.page) for h in filled.search("entirely")] == [("a.pdf", 1)]
    filled.remove("a.pdf")
    assert filled.search("entirely") == []


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
    assert main(["search", "quick jumps", "--index", str(db)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{out.resolve()}  page 1  (2 words)  ") and "[quick]" in line


def test_the_command_line_defaults_to_the_store_database(tmp_path, sample_page, capsys, monkeypatch):
    """`--index` without a value and `ocrgate search` without `--index` use OCRGATE_DATABASE_URL,
    where the service indexes too; OCRGATE_SEARCH_INDEX still overrides it."""
    source, out = tmp_path / "in.png", tmp_path / "out.pdf"
    sample_page.image.save(source)
    monkeypatch.setattr("ocrgate.commands.pdf.get_engine", lambda name: KnownTextEngine(sample_page))
    monkeypatch.delenv("OCRGATE_SEARCH_INDEX", raising=False)
    monkeypatch.setenv("OCRGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    assert main(["pdf", str(source), "-o", str(out), "--index"]) == 0
    assert SearchIndex(f"sqlite:///{tmp_path / 'store.db'}").search("brown")[0].document == str(out.resolve())
    assert main(["search", "brown", "--json"]) == 0
    assert [hit["page"] for hit in json.loads(capsys.readouterr().out)] == [1]
    monkeypatch.setenv("OCRGATE_SEARCH_INDEX", str(tmp_path / "other.sqlite"))
    assert main(["search", "brown", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
