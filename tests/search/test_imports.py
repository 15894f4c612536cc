"""`search` imports only `kernel` and `engines` (the result model) of ours; `pdf` no longer holds
an index of its own."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OURS = {path.parent.name for path in REPO.glob("*/__init__.py")}
ALLOWED = {"search", "kernel", "engines"}


def imported_packages(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(REPO)))
    return found


def test_search_imports_only_the_kernel_and_engines():
    ours = {package: files for package, files in imported_packages(REPO / "search").items() if package in OURS}
    assert set(ours) <= ALLOWED, {package: files for package, files in ours.items() if package not in ALLOWED}


def test_the_index_left_pdf():
    assert not (REPO / "pdf" / "search_index.py").exists()
    stale = [str(path.relative_to(REPO)) for package in OURS for path in (REPO / package).rglob("*.py")
             if path != Path(__file__).resolve() and "pdf.search_index" in path.read_text(encoding="utf-8")]
    assert stale == []
