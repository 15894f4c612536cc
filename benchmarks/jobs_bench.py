"""Jobs on the Celery back end: pages/s with 1 and 2 `ocrgate worker` processes, the queue's
overhead per page against a direct `observe` call, and the peak RSS of each worker.

    nice .venv/bin/python benchmarks/jobs_bench.py [--pages N] [--broker redis://127.0.0.1:6379/13]

Tesseract reads the sample pages (repeated to N) with no gate (no shadow runs), the API is the
service's Flask app in this process, workers share a SQLite file. Writes benchmarks/results/jobs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ocrgate-bench-"))
    os.environ.update(OCRGATE_BROKER_URL=args.broker, HOME=str(work), XDG_DATA_HOME=str(work / "data"))
    # the direct arm reads on one thread per page, as `ocrgate worker` does: the same engine both ways
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import redis

    from engines import RecognizeOptions, get_engine
    from imaging import load_first_page, page_png
    from jobs.pages import Document
    from jobs.store import NewJob, create_job
    from kernel.observe import observe
    from rollout.store.models import Job
    from service.app import create_app
    from service.settings import ServiceSettings

    redis.Redis.from_url(args.broker).flushdb()
    samples = sorted((REPO / "samples").glob("*.jpg"))
    pngs = [p.read_bytes() for p in samples]
    database = f"sqlite:///{work / 'bench.db'}"
    app = create_app(ServiceSettings(database_url=database, default_engine="tesseract", auto_rollback=False))
    service, backend = app.extensions["ocrgate"], app.extensions["ocrgate-jobs"].backend

    # the direct path: observe() on the same pages, one after another
    engine, options = get_engine("tesseract"), RecognizeOptions()
    pages = [load_first_page(pngs[i % len(pngs)]) for i in range(args.pages)]
    started = time.perf_counter()
    for page in pages:
        observe(engine, page, options).value()
    direct = time.perf_counter() - started

    def run_job(workers: int) -> tuple[float, list[float]]:
        processes = [subprocess.Popen([sys.executable, "-m", "ocrgate", "worker", "--concurrency", "1",
                                       "--hostname", f"bench{n}@%h", "--db", database], cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for n in range(workers)]
        time.sleep(5)  # the workers connect before the clock starts
        document = Document("image", args.pages, page_pngs=tuple(page_png(page) for page in pages))
        job_id = create_job(service.store, NewJob(None, "no-gate", "bench", "bench", RecognizeOptions()), document)
        started = time.perf_counter()
        backend.submit(job_id, args.pages)
        while True:
            with service.store.session() as session:
                if session.get(Job, job_id).status == "done":
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        rss = [_peak_rss_mib(p.pid) for p in processes]
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            p.wait(30)
        return elapsed, rss

    one, rss_one = run_job(1)
    two, rss_two = run_job(2)
    results = {
        "pages": args.pages, "engine": "tesseract", "cores": os.cpu_count(),
        "load_avg_before": os.getloadavg()[0], "omp_thread_limit": os.environ["OMP_THREAD_LIMIT"],
        "broker": args.broker.split("://")[0],
        "direct_pages_per_s": round(args.pages / direct, 3),
        "one_worker_pages_per_s": round(args.pages / one, 3),
        "two_workers_pages_per_s": round(args.pages / two, 3),
        "speedup_two_vs_one": round(one / two, 3),
        "queue_overhead_ms_per_page": round((one - direct) / args.pages * 1000, 1),
        "peak_rss_mib_per_worker": {"one": rss_one, "two": rss_two},
    }
    (REPO / "benchmarks" / "results").mkdir(exist_ok=True)
    (REPO / "benchmarks" / "results" / "jobs.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    service.close()
    redis.Redis.from_url(args.broker).flushdb()


if __name__ == "__main__":
    main()
