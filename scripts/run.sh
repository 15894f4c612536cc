#!/usr/bin/env bash
# The README's main command: set up what serving needs on a fresh machine (scripts/setup.sh serve:
# no TensorFlow, fonts or Chromium), then run the OCR service with its admin on the embedded defaults
# (SQLite under var/, in-process shadow workers). It puts the
# `ocr-engine` gate in shadow, replays the sample pages as traffic, and keeps serving.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh serve   # serving only: no TensorFlow, fonts or Chromium

mkdir -p var
export OCRGATE_DATABASE_URL="${OCRGATE_DATABASE_URL:-sqlite:///$PWD/var/ocrgate.db}"
export OCRGATE_LAB_NOTEBOOK="${OCRGATE_LAB_NOTEBOOK:-$PWD/var/lab-notebook.jsonl}"
port="${OCRGATE_PORT:-8080}"
ocrgate=.venv/bin/ocrgate

candidate=tesseract-block
if $ocrgate engines --json | .venv/bin/python -c 'import json,sys; sys.exit(0 if any(r["name"]=="inhouse" and r["status"]=="ok" for r in json.load(sys.stdin)) else 1)'; then
  candidate=inhouse
fi
$ocrgate gate set ocr-engine --control tesseract --candidate "$candidate" --stage shadow \
  --reason "README main command: shadow the candidate on live traffic" >/dev/null
token="$($ocrgate tokens create "demo-$(date +%s)-$$" --scope ocr --scope read)"

$ocrgate serve --host 127.0.0.1 --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' INT TERM
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

$ocrgate replay samples/*.jpg --url "http://127.0.0.1:$port" --token "$token" --category screenshots --unit "demo-{n}"

cat <<MSG

ocrgate is serving on http://127.0.0.1:$port   (database: $OCRGATE_DATABASE_URL)
  gate:        .venv/bin/ocrgate gate show ocr-engine      (control tesseract, candidate $candidate, stage shadow)
  API token:   $token
  OCR a page:  curl -H "Authorization: Bearer $token" -F image=@samples/docbank_dedf40c145a6.jpg -F unit=me -F category=screenshots http://127.0.0.1:$port/v1/ocr
  pairs:       curl -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/pairs?limit=5"
  health:      http://127.0.0.1:$port/healthz
  admin:       http://127.0.0.1:$port/admin/   (first admin: .venv/bin/ocrgate users create NAME --role admin)
Press Ctrl-C to stop.
MSG
wait "$server"
