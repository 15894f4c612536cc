"""Peak resident memory of `ocrgate serve` after N in-house pages.

    python benchmarks/serve_rss.py [--pages 20] [--set ../shared/benchmarks/dev] [--tag after]
                                   [--root DIR]

Starts `ocrgate serve` (`python -m ocrgate.cli serve`) in a fresh process on a loopback port, with
a throw-away SQLite database and the in-house engine as the served engine (no gate, so the
router serves `OCRGATE_DEFAULT_ENGINE=inhouse` and runs no shadow), posts the first N dev pages
(round robin over the categories) to `POST /v1/ocr`, then reads the server's peak resident set
(`VmHWM` in /proc/PID/status) and whether TensorFlow's shared library is mapped into it. `--root`
serves another checkout of the code (e.g. `git worktree add /tmp/old <commit>`) with this venv, to
measure the code before a change. Writes benchmarks/results/serve_rss.json (the tag's entry; other
tags in the file are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.client import ApiClient  # noqa: E402  (the client runs here, not in the measured server)

DEFAULT_SET = ROOT.parent / "shared" / "benchmarks" / "dev"
RESULTS = ROOT / "benchmarks" / "results" / "serve_rss.json"


def pick_pages(bench: Path, n: int) -> list[dict]:
    """The first `n` records of the set, round robin over its categories."""
    by_category: dict[str, list[dict]] = {}
    for line in (bench / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        by_category.setdefault(record["category"], []).append(record)
    picked: list[dict] = []
    queues = [list(v) for _, v in sorted(by_category.items())]
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return picked


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])  # kB
    return out


def mapped(pid: int, needle: str) -> bool:
    return needle in Path(f"/proc/{pid}/maps").read_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose code is served")
    parser.add_argument("--tag", default="after")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    pages = pick_pages(args.set, args.pages)
    with tempfile.TemporaryDirectory(prefix="serve-rss-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(root), "OCRGATE_DATABASE_URL": f"sqlite:///{tmp}/serve.db",
               "OCRGATE_DEFAULT_ENGINE": "inhouse", "OCRGATE_LAB_NOTEBOOK": f"{tmp}/lab.jsonl",
               "OCRGATE_SERVE_TIMEOUT": "600"}
        cli = [sys.executable, "-m", "ocrgate.cli"]
        token = subprocess.run([*cli, "tokens", "create", "serve-rss"], cwd=root, env=env, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=root, env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "serve.log", "w"))
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=5)
                    break
                except OSError:
                    if server.poll() is not None:
                        raise SystemExit(f"ocrgate serve exited: {(Path(tmp) / 'serve.log').read_text()[-2000:]}")
                    time.sleep(0.5)
            started = proc_status(server.pid)
            client = ApiClient(base, token, timeout=600)
            engines, t0, words = set(), time.perf_counter(), 0
            for record in pages:
                body = client.ocr(args.set / record["image"], unit=record["id"], category=record["category"],
                                  filename=Path(record["image"]).name)
                engines.add(body.get("engine") or body.get("result", {}).get("engine"))
                words += len(body.get("text", "").split())
            seconds = time.perf_counter() - t0
            status = proc_status(server.pid)
            tensorflow = mapped(server.pid, "tensorflow")
        finally:
            server.terminate()
            server.wait(30)
    entry = {"pages": len(pages), "set": str(args.set), "served_by": sorted(e for e in engines if e),
             "peak_rss_mb": round(status["VmHWM"] / 1024, 1), "rss_mb": round(status["VmRSS"] / 1024, 1),
             "rss_after_start_mb": round(started["VmRSS"] / 1024, 1), "tensorflow_mapped": tensorflow,
             "seconds": round(seconds, 1), "words": words, "root": str(root),
             "git": subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                   text=True).stdout.strip()}
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results[args.tag] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({args.tag: entry}))


if __name__ == "__main__":
    main()
