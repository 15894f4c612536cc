#!/usr/bin/env bash
# The README's test command: set up everything on a fresh machine, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test    # everything: training extras, fonts, Chromium
exec .venv/bin/python -m pytest "$@"
