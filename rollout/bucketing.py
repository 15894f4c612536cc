"""The one bucketing function: a stable hash of (salt, key) onto 10,000 buckets (0.01% each).

A unit's bucket never changes for a given salt, so its assignment is sticky, and a unit is
in a rollout of N% exactly when its bucket < N × 100: raising N only adds units.
"""

from __future__ import annotations

import math
from hashlib import blake2b

BUCKETS = 10_000  # basis points: the rollout granularity is 0.01%


def bucket(salt: str, key: str) -> int:
    """The bucket (0 ≤ b < BUCKETS) of `key` under `salt`: blake2b-64 of `salt␟key`, mod BUCKETS.
    Changing this function moves every unit to another bucket: the golden values in
    tests/rollout/test_bucketing_and_gates.py pin it."""
    digest = blake2b(f"{salt}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def percent_to_bp(percent: float) -> int:
    """A percentage (finite, 0–100, at most two decimals) as basis points; raises ValueError otherwise."""
    if (
        isinstance(percent, bool)
        or not isinstance(percent, (int, float))
        or not math.isfinite(percent)
        or not 0 <= percent <= 100
    ):
        raise ValueError(f"percent must be between 0 and 100 in steps of 0.01, got {percent!r}")
    bp = round(percent * 100)
    if abs(bp - percent * 100) > 1e-6:
        raise ValueError(f"percent must be between 0 and 100 in steps of 0.01, got {percent!r}")
    return bp
