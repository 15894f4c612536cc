"""Where a result came from: the git commit of the code that produced it, and the machine.

The same code, weights and packages can read a page differently on another processor:
onnxruntime, OpenCV and NumPy pick their kernels by the instruction sets the CPU has (AVX2,
AVX-512, VNNI), and the rounding of those kernels moves a borderline MSER region or a top
reading (the held-out train pages went from aligned CER .1295 to .1339 and back between machines
with identical installs: lab notebook, "machine-not-packages"). So every measurement records
`machine()`, and comparisons say when two ran on different machines.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CPUINFO = Path("/proc/cpuinfo")
#: the instruction-set flags that choose numeric kernels (a CPU's other flags do not change results)
NUMERIC_ISA = (
    "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c",
    "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "avx_vnni", "amx_tile", "amx_int8", "amx_bf16", "asimd", "sve",
)  # fmt: skip


def git_commit() -> str:
    """HEAD's hash, with `+dirty` when the work tree has uncommitted changes; `unknown` outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


@functools.cache
def machine() -> dict[str, Any]:
    """The processor and platform a measurement ran on: CPU model, its numeric instruction sets,
    logical cores, architecture and Python version."""
    model, flags = "", set[str]()
    try:
        for line in CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "Model", "cpu model") and not model:
                model = value.strip()
            elif key in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {
        "cpu": model or platform.processor() or "unknown",
        "isa": [f for f in NUMERIC_ISA if f in flags],
        "cores": os.cpu_count() or 0,
        "arch": platform.machine(),
        "python": platform.python_version(),
    }


def same_machine(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two recorded machines would pick the same numeric kernels (CPU model and
    instruction sets); None when either was not recorded."""
    if not a or not b:
        return None
    return (a.get("cpu"), a.get("isa")) == (b.get("cpu"), b.get("isa"))
