"""Options every engine understands, validated once, hashable for caching."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kernel.errors import OcrInputError

Mode = Literal["page", "line", "word"]
MODES: tuple[str, ...] = ("page", "line", "word")


@dataclass(frozen=True)
class RecognizeOptions:
    """What a caller asks of an engine.

    mode: `page` finds and reads all text; `line` and `word` treat the whole image as a
    single line or word (no detection), like Tesseract's page-segmentation modes 7 and 8.
    languages: ISO 639-2 codes joined by `+`, e.g. `eng` or `eng+deu`.
    timeout_seconds: per image; an engine that runs past it raises EngineTimeoutError.
    engine_args: engine-specific settings (e.g. Tesseract's `psm`), as strings.
    """

    mode: Mode = "page"
    languages: str = "eng"
    timeout_seconds: float = 60.0
    engine_args: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise OcrInputError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if not self.languages or not all(part.isalnum() or "_" in part for part in self.languages.split("+")):
            raise OcrInputError(f"bad languages value {self.languages!r}; expected codes like 'eng' or 'eng+deu'")
        if not (0 < self.timeout_seconds <= 3600):
            raise OcrInputError(f"timeout_seconds must be in (0, 3600], got {self.timeout_seconds}")
        object.__setattr__(self, "engine_args", dict(sorted((str(k), str(v)) for k, v in self.engine_args.items())))

    def output_settings(self) -> dict[str, Any]:
        """Everything that can change an engine's output (not the timeout), as plain data: what a
        stored request keeps so that its shadow runs read it the same way."""
        data = asdict(self)
        data.pop("timeout_seconds")
        data["engine_args"] = dict(self.engine_args)
        return data

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None, timeout_seconds: float) -> RecognizeOptions:
        """The options `output_settings` described, with a time limit of the caller's."""
        settings = settings or {}
        return cls(
            mode=settings.get("mode", "page"),
            languages=settings.get("languages", "eng"),
            timeout_seconds=timeout_seconds,
            engine_args=settings.get("engine_args") or {},
        )

    def cache_key(self) -> str:
        """A stable string naming everything that can change an engine's output (not the timeout)."""
        return json.dumps(self.output_settings(), sort_keys=True)

    def __hash__(self) -> int:
        return hash((self.mode, self.languages, self.timeout_seconds, tuple(self.engine_args.items())))
