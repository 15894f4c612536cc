"""The arrows between our packages point one way; this test encodes them.

Each package lists the packages of ours it may import (at any depth, lazily or not). `kernel`
imports nothing of ours; `ocrgate` (the CLI) is a leaf that nothing imports; serving packages
never import `training` (which pulls in TensorFlow).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "imaging": {"kernel"},
    "engines": {"kernel", "imaging"},
    "inhouse": {"kernel", "imaging", "engines"},
    "rapidocr_engine": {"kernel", "imaging", "engines"},  # a plugin, as a third-party package would be
    "evaluation": {"kernel", "imaging", "engines"},
    "search": {"kernel", "engines"},
    "pdf": {"kernel", "imaging", "engines", "search"},
    "rollout": {"kernel", "imaging", "engines", "evaluation"},
    "accounts": {"kernel", "rollout"},
    "dashboards": {"kernel", "imaging", "engines", "evaluation", "rollout", "accounts", "search"},
    "capture": {"kernel", "evaluation"},  # the phone-capture simulator (photo sets, degraded training crops)
    "training": {"kernel", "imaging", "engines", "inhouse", "evaluation", "capture"},
    "jobs": {"kernel", "imaging", "engines", "search", "pdf", "rollout", "evaluation"},
    "service": {"kernel", "imaging", "engines", "evaluation", "search", "pdf", "rollout", "accounts",
                "dashboards", "jobs"},
    "ocrgate": {"kernel", "imaging", "engines", "inhouse", "evaluation", "search", "pdf", "rollout", "accounts",
                "dashboards", "service", "training", "jobs", "capture"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _violations(package: str) -> list[str]:
    ours = set(ALLOWED)
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for target in sorted((_imports(path) & ours) - ALLOWED[package] - {package}):
            bad.append(f"{path.relative_to(REPO)} imports {target}")
    return bad


def test_every_top_level_package_has_its_arrows_declared():
    packages = {p.parent.name for p in REPO.glob("*/__init__.py") if p.parent.name != "tests"}
    assert packages == set(ALLOWED), "declare the new package's arrows in ALLOWED"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    assert _violations(package) == []


def test_the_arrows_have_no_cycle():
    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, f"cycle: {' -> '.join(path + (package,))}"
        for target in ALLOWED[package]:
            visit(target, path + (package,))

    for package in ALLOWED:
        visit(package, ())


def test_the_checker_sees_a_lazy_wrong_arrow(tmp_path, monkeypatch):
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "bad.py").write_text("def f():\n    from rollout.store import Store\n")
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    assert _violations("kernel") == ["kernel/bad.py imports rollout"]
