"""Run engines over benchmark records in parallel, with a result cache, never dropping a page.

A page on which an engine fails is kept: its error is recorded and it scores as if the engine
returned nothing, so failures cost accuracy instead of vanishing from the average.
"""

from __future__ import annotations

import hashlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from tqdm import tqdm

from engines.options import RecognizeOptions
from engines.registry import get_engine
from engines.result import OcrResult
from evaluation.cache import ResultCache, cache_key
from evaluation.dataset import BenchmarkRecord, BenchmarkSet
from kernel.observe import observe


@dataclass
class EngineRun:
    engine: str
    record: BenchmarkRecord
    set_name: str
    result: OcrResult | None
    error: str | None
    seconds: float
    cached: bool


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def options_for(level: str, languages: str = "eng", timeout: float = 120.0) -> RecognizeOptions:
    """Page sets are read in `page` mode; word sets in `word` mode (no detection)."""
    return RecognizeOptions(mode="page" if level == "page" else "word", languages=languages, timeout_seconds=timeout)


def run_engines(
    engine_names: list[str],
    sets: list[BenchmarkSet],
    *,
    workers: int | None = None,
    cache: ResultCache | None = None,
    languages: str = "eng",
    timeout: float = 120.0,
    progress: bool | None = None,
) -> list[EngineRun]:
    engines = {name: get_engine(name) for name in engine_names}
    versions = {name: engine.version for name, engine in engines.items()}
    tasks = [(name, s, record) for s in sets for record in s.records for name in engine_names]
    hashes: dict[str, str] = {}

    def one(name: str, bench: BenchmarkSet, record: BenchmarkRecord) -> EngineRun:
        options = options_for(bench.level, languages, timeout)
        key = None
        if cache is not None:
            digest = hashes.setdefault(str(record.image), _sha256(record.image))
            key = cache_key(digest, name, versions[name], options)
            hit = cache.get(key)
            if hit is not None:
                return EngineRun(name, record, bench.name, hit, None, hit.elapsed_seconds, True)
        # the deadline, a crash or a hang cost this page only: observe returns them as data
        observation = observe(engines[name], record.image, options)
        if observation.error is not None:
            return EngineRun(
                name,
                record,
                bench.name,
                None,
                f"{type(observation.error).__name__}: {observation.error}",
                observation.latency_ms / 1000,
                False,
            )
        result = observation.value()
        if cache is not None and key is not None:
            cache.put(key, result)
        return EngineRun(name, record, bench.name, result, None, result.elapsed_seconds, False)

    workers = workers or os.cpu_count() or 1
    show = sys.stderr.isatty() if progress is None else progress
    runs: list[EngineRun] = []
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(tasks), unit="page", disable=not show, desc="eval") as bar,
    ):
        futures = [pool.submit(one, *task) for task in tasks]
        for future in as_completed(futures):
            run = future.result()
            runs.append(run)
            bar.update(1)
            if run.error:
                bar.write(f"eval: {run.engine} failed on {run.record.id}: {run.error}", file=sys.stderr)
    order = {(name, s.name, r.id): i for i, (name, s, r) in enumerate(tasks)}
    runs.sort(key=lambda run: order[(run.engine, run.set_name, run.record.id)])
    return runs
