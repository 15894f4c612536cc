"""CTC decoding and per-word confidence from the network's per-time-step logits."""

from __future__ import annotations

import numpy as np

from inhouse.recognizer.charset import BLANK_ID, decode


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def collapse(path: np.ndarray, blank: int = BLANK_ID) -> list[int]:
    """CTC path -> label ids: merge repeats, then drop blanks."""
    out, prev = [], -1
    for p in path.tolist():
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return out


def greedy_decode(logits: np.ndarray, steps: int, temperature: float = 1.0) -> tuple[str, float]:
    """Best path decoding of one (T, C) logit array -> (text, raw confidence).

    Confidence is the probability of the best path itself (product of the per-step maxima):
    low wherever the network hesitated at any step.
    """
    lp = log_softmax(logits[:steps], temperature)
    path = lp.argmax(axis=-1)
    return decode(collapse(path)), float(np.exp(lp.max(axis=-1).sum()))


def beam_decode(logits: np.ndarray, steps: int, beam_width: int = 8, temperature: float = 1.0) -> tuple[str, float]:
    """Prefix beam search over one (T, C) logit array -> (text, probability of that labelling)."""
    lp = log_softmax(logits[:steps], temperature)
    # beams: prefix -> (log p ending in blank, log p ending in non-blank)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -np.inf)}
    for t in range(lp.shape[0]):
        row = lp[t]
        candidates = np.argsort(row)[-beam_width:]
        nxt: dict[tuple[int, ...], list[float]] = {}

        def add(prefix: tuple[int, ...], pb: float, pnb: float, nxt: dict[tuple[int, ...], list[float]] = nxt) -> None:
            cur = nxt.setdefault(prefix, [-np.inf, -np.inf])
            cur[0], cur[1] = np.logaddexp(cur[0], pb), np.logaddexp(cur[1], pnb)

        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            add(prefix, total + row[BLANK_ID], -np.inf)
            for c in candidates.tolist():
                if c == BLANK_ID:
                    continue
                if prefix and prefix[-1] == c:
                    add(prefix, -np.inf, pnb + row[c])  # repeat without blank: same label
                    add(prefix + (c,), -np.inf, pb + row[c])  # blank separated: new label
                else:
                    add(prefix + (c,), -np.inf, total + row[c])
        ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(kv[1][0], kv[1][1]))[:beam_width]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    best, (pb, pnb) = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))
    return decode(list(best)), float(np.exp(np.logaddexp(pb, pnb)))
