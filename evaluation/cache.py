"""On-disk cache of engine outputs for evaluation, keyed by what can change them:
the image bytes' hash, the engine's name and version, and the recognition options."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from engines.options import RecognizeOptions
from engines.result import OcrResult
from kernel.atomic import write_text
from kernel.settings import load_settings


def default_cache_dir() -> Path:
    """`OCRGATE_EVAL_CACHE`, else `eval/` in the user cache directory."""
    return load_settings().eval_cache_dir


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
        write_text(self._path(key), json.dumps(result.to_dict()))
