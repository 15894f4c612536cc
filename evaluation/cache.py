"""On-disk cache of engine outputs for evaluation, keyed by what can change them:
the image bytes' hash, the engine's name and version, and the recognition options."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import platformdirs

from engines.options import RecognizeOptions
from engines.result import OcrResult


def default_cache_dir() -> Path:
    return Path(os.environ.get("OCRGATE_EVAL_CACHE", platformdirs.user_cache_dir("ocrgate") + "/eval"))


def cache_key(image_sha256: str, engine: str, version: str, options: RecognizeOptions) -> str:
    raw = json.dumps([image_sha256, engine, version, options.cache_key()], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


class ResultCache:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> OcrResult | None:
        path = self._path(key)
        try:
            return OcrResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: OcrResult) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(result.to_dict(), handle)
        os.replace(tmp, path)
