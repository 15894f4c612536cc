"""Named benchmark sets a user registers once (`ocrgate sets add NAME DIR`) and then names in
`--set`, beside plain folder paths."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.dataset import load_set
from kernel.atomic import write_text
from kernel.errors import OcrInputError
from kernel.settings import load_settings


def registry_path() -> Path:
    """`OCRGATE_SETS_FILE`, else `sets.json` in the user data directory."""
    return load_settings().sets_file_path


def registered() -> dict[str, str]:
    path = registry_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise OcrInputError(f"the set registry {path} is not valid JSON: {exc}") from exc
    return {str(k): str(v) for k, v in data.items()}


def register(name: str, folder: Path) -> int:
    """Validate the set at `folder` and register it as `name`; returns its record count."""
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise OcrInputError(f"set name {name!r} must be letters, digits, - or _")
    bench = load_set(folder, name)
    sets = registered()
    sets[name] = str(folder.resolve())
    write_text(registry_path(), json.dumps(sets, indent=2))
    return len(bench.records)


def resolve_set(ref: str) -> Path:
    """A folder path as given, or the folder of a registered set name."""
    path = Path(ref)
    if path.is_dir():
        return path
    sets = registered()
    if ref in sets:
        return Path(sets[ref])
    raise OcrInputError(
        f"no benchmark set {ref!r}: not a folder, and not a registered set "
        f"(registered: {', '.join(sorted(sets)) or 'none'})"
    )
