"""`python -m tests.jobs.worker_main ARGS…`: `ocrgate worker ARGS…` with the test engines registered."""

from __future__ import annotations

import sys

from ocrgate.cli import main
from tests.jobs import engines

if __name__ == "__main__":
    engines.register()
    sys.exit(main(["worker", *sys.argv[1:]]))
