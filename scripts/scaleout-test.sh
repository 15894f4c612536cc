#!/usr/bin/env bash
# Test only: a broker-backed deployment on this one machine, as docs/scale-out.md describes it —
# the API (`ocrgate serve`) and two `ocrgate worker` processes sharing a SQLite file and a Redis
# database (localhost's Redis, else a redis-server started here on a private port). It submits the
# sample pages as a job, prints the job, and stops everything it started.
#   bash scripts/scaleout-test.sh [redis://HOST:PORT/DB | amqp://USER:PASSWORD@HOST:PORT/VHOST]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

broker="${1:-redis://127.0.0.1:6379/15}"
if [[ "$broker" == redis://* ]] && ! redis-cli -u "$broker" ping >/dev/null 2>&1; then
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >/dev/null &
  pids+=($!)
  broker="redis://127.0.0.1:$port/0"
  sleep 1
fi
export OCRGATE_BROKER_URL="$broker"
export OCRGATE_DATABASE_URL="sqlite:///$work/ocrgate.db"
export HOME="$work" XDG_DATA_HOME="$work/data"
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ocrgate=.venv/bin/ocrgate

$ocrgate gate set ocr-engine --control tesseract --candidate tesseract-block --stage shadow --reason "scale-out test" >/dev/null
token="$($ocrgate tokens create "scaleout-$$" --scope ocr)"
$ocrgate serve --port "$port" >"$work/serve.log" 2>&1 & pids+=($!)
$ocrgate worker --hostname w1@%h >"$work/w1.log" 2>&1 & pids+=($!)
$ocrgate worker --hostname w2@%h >"$work/w2.log" 2>&1 & pids+=($!)
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

.venv/bin/python - "$port" "$token" samples/*.jpg <<'PY'
import sys, time
from PIL import Image
import io, json, urllib.request, uuid
port, token, files = sys.argv[1], sys.argv[2], sys.argv[3:]
frames = [Image.open(f).convert("L") for f in files]
buffer = io.BytesIO(); frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
boundary = uuid.uuid4().hex
body = (f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="samples.tif"\r\n\r\n'.encode()
        + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode())
headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
base = f"http://127.0.0.1:{port}"
with urllib.request.urlopen(urllib.request.Request(base + "/v1/jobs", body, headers)) as response:
    location = response.headers["Location"]
print(f"submitted {len(frames)} pages: {location}")
while True:
    with urllib.request.urlopen(urllib.request.Request(base + location, headers=headers)) as response:
        job = json.load(response)
    if job["status"] == "done":
        break
    time.sleep(0.5)
for row in job["results"]:
    print(f"page {row['page']}: {row['status']} {row['engine']} {len(row['text'] or '')} characters")
PY
