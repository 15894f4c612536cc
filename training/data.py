"""Streaming training batches: synthetic samples made by worker processes, grouped by width bucket.

Nothing is materialised beyond a few batches per bucket; the stream is reproducible from the
generator seed and the start index (which is how training resumes).
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from inhouse.recognizer.charset import encode
from inhouse.recognizer.preprocess import SPEC, InputSpec, batch_images, bucket_width, preprocess
from training.synth.generator import SynthConfig, SynthGenerator

Sample = tuple[np.ndarray, str]  # preprocessed image (H, W) float16, label
Batch = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]  # images, steps, labels, label lengths, texts


@dataclass(frozen=True)
class StreamConfig:
    batch_size: int = 64
    workers: int = 1
    chunk: int = 64  # indices per worker task
    prefetch_chunks: int = 8


def fits_ctc(text: str, steps: int) -> bool:
    """CTC needs a time step per label plus one between repeated labels."""
    repeats = sum(a == b for a, b in zip(text, text[1:], strict=False))
    return steps >= len(text) + repeats


def make_batch(samples: list[Sample], spec: InputSpec = SPEC) -> Batch:
    images, steps = batch_images([s[0].astype(np.float32) for s in samples], spec)
    lengths = np.array([len(s[1]) for s in samples], np.int32)
    labels = np.zeros((len(samples), max(1, int(lengths.max(initial=0)))), np.int32)
    for i, (_, text) in enumerate(samples):
        labels[i, : len(text)] = encode(text)
    return images, steps, labels, lengths, [s[1] for s in samples]


_GEN: SynthGenerator | None = None


def _init_worker(config: SynthConfig) -> None:
    global _GEN
    _GEN = SynthGenerator(config)


def _make_chunk(start: int, count: int) -> list[Sample]:
    assert _GEN is not None
    out = []
    for i in range(start, start + count):
        img, text = _GEN.sample(i)
        x = preprocess(img)
        if fits_ctc(text, -(-x.shape[1] // SPEC.width_stride)):
            out.append((x.astype(np.float16), text))
    return out


def synthetic_batches(
    synth: SynthConfig, start_index: int = 0, stream: StreamConfig = StreamConfig()
) -> Iterator[tuple[int, Batch]]:
    """Endless (next sample index, batch) pairs; each batch holds crops of one width bucket."""
    ctx = mp.get_context("fork")
    pool = ctx.Pool(stream.workers, initializer=_init_worker, initargs=(synth,))
    buckets: dict[int, list[Sample]] = {}
    try:
        pending: deque = deque()
        next_start = start_index
        while True:
            while len(pending) < stream.prefetch_chunks:  # bounded read-ahead
                pending.append((next_start, pool.apply_async(_make_chunk, (next_start, stream.chunk))))
                next_start += stream.chunk
            chunk_start, result = pending.popleft()
            for sample in result.get():
                key = bucket_width(sample[0].shape[1])
                group = buckets.setdefault(key, [])
                group.append(sample)
                if len(group) == stream.batch_size:
                    yield chunk_start + stream.chunk, make_batch(group)
                    buckets[key] = []
    finally:
        pool.terminate()
