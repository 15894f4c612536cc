#!/usr/bin/env bash
# The README's main command: set up everything on a fresh machine, then run ocrgate on the samples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ocrgate engines
for page in samples/*.jpg samples/*.png; do
  [ -e "$page" ] || continue
  echo "=== $page ==="
  .venv/bin/ocrgate ocr "$page" --engine "${OCRGATE_ENGINE:-tesseract}"
done
