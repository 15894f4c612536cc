"""Serving the in-house engine never imports TensorFlow (nor Keras, Faker, onnx or the training
package): a page served through the HTTP app in a fresh process leaves none of them loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRAINING_ONLY = ("tensorflow", "keras", "faker", "onnx", "training", "tf_keras")

SERVE_A_PAGE = r"""
import io, json, sys
from PIL import Image, ImageDraw, ImageFont
from service.app import create_app

app = create_app()  # settings from OCRGATE_*: SQLite in a temp folder, the in-house engine served
page = Image.new("L", (900, 200), 255)
draw = ImageDraw.Draw(page)
for row, line in enumerate(["Invoice number 4711", "Total due 12.90 EUR"]):
    draw.text((30, 30 + 80 * row), line, fill=0, font=ImageFont.load_default(size=40))
png = io.BytesIO()
page.save(png, format="PNG")
response = app.test_client().post(
    "/v1/ocr", headers={"Authorization": "Bearer " + sys.argv[1]}, content_type="multipart/form-data",
    data={"image": (io.BytesIO(png.getvalue()), "page.png"), "unit": "u1", "category": "receipts"})
body = response.get_json()
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(",")))
print(json.dumps({"status": response.status_code, "engine": body.get("engine"), "text": body.get("text"),
                  "loaded": loaded}))
sys.stdout.flush()
app.extensions["ocrgate"].close()
"""


def test_serving_a_page_with_the_inhouse_engine_imports_no_training_code(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO),
           "OCRGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "OCRGATE_DEFAULT_ENGINE": "inhouse",
           "OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl"), "OCRGATE_SHADOW_WORKERS": "1"}
    token = subprocess.run([sys.executable, "-m", "ocrgate.cli", "tokens", "create", "serving-test"], cwd=REPO,
                           env=env, capture_output=True, text=True, timeout=300, check=True).stdout.split()[-1]
    run = subprocess.run([sys.executable, "-c", SERVE_A_PAGE, token, ",".join(TRAINING_ONLY)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["status"] == 200 and report["engine"] == "inhouse", (report, run.stderr[-2000:])
    read = set(report["text"].casefold().split())  # a real reading: most of the words on the page
    assert len(read & {"invoice", "number", "4711", "total", "due", "12.90", "eur"}) >= 4, report
    assert report["loaded"] == [], f"serving imported training-only modules: {report['loaded']}"


def test_the_engine_alone_imports_no_training_code():
    probe = ("import sys, numpy as np; from engines import get_engine; "
             "get_engine('inhouse').recognize(np.full((60, 200), 255, np.uint8)); "
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(TRAINING_ONLY)!r}))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
