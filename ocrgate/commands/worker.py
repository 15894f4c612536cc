"""`ocrgate worker [--concurrency N] [--db URL]`: an OCR worker of the broker-backed job back end.

It reads job pages (and, when no page waits, their shadow runs) from the Celery queue at
`OCRGATE_BROKER_URL`, each page in a jailed child forked from this process, so engines load once per worker. Each page
reads on one thread (`OMP_THREAD_LIMIT=1` unless set): the worker's parallelism is its pages, and
Tesseract's own OpenMP threads would only fight them for the cores (1.21× → 2.01× with 2 workers
on 2 cores, benchmarks/jobs_bench.py)."""

from __future__ import annotations

import argparse
import dataclasses
import os

from kernel.errors import SettingsError
from kernel.request_context import configure_logging
from ocrgate.commands.common import add_db_option, whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="read job pages from the broker (OCRGATE_BROKER_URL)")
    parser.add_argument(
        "--concurrency",
        type=whole(1, 64),
        default=None,
        help="pages read at once, each in its own jailed process; default: $OCRGATE_JOB_WORKERS, else 2",
    )
    parser.add_argument("--hostname", default=None, help="the worker's name among Celery workers")
    parser.add_argument(
        "--metrics-port",
        type=whole(1, 65_535),
        default=None,
        help="serve this worker's Prometheus metrics (its pages, failures, engine runs) on "
        "http://127.0.0.1:PORT/metrics; default: none",
    )
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kernel.settings import load_settings

    settings = load_settings()  # every OCRGATE_* value is checked before anything starts
    if not settings.broker_url:
        raise SettingsError(
            "ocrgate worker needs OCRGATE_BROKER_URL (redis://… or amqp://…); without a "
            "broker, `ocrgate serve` reads jobs itself"
        )
    if args.db:
        settings = dataclasses.replace(settings, database_url=args.db)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # inherited by the jailed pages and their Tesseract
    from jobs.celery_app import WORK_QUEUE, make_app

    configure_logging()  # each line with the request id of the job its page belongs to
    app = make_app(settings)
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr="127.0.0.1")  # loopback only: it has no authentication
    argv = [
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        str(args.concurrency or settings.job_workers),
        "--queues",
        WORK_QUEUE,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if args.hostname:
        argv += ["--hostname", args.hostname]
    app.worker_main(argv)
    return 0
