"""The self-contained HTML report analysts read: summary tables, plots, verdicts, worst pages."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from evaluation.diff import DIFF_CSS, aligned_html
from evaluation.plots import error_distribution, metric_bars, speed_vs_accuracy

WORST_PAGES = 8
WORST_WORDS = 40
MAX_DIFF_LINES = 60

CSS = (
    """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.better{background:#dfd}.worse{background:#fdd}
.ci{color:#777;font-size:85%}img.plot{max-width:100%;border:1px solid #eee;margin:4px}
h2{border-bottom:2px solid #eee;padding-bottom:4px;margin-top:32px}.crop{max-height:40px}
"""
    + DIFF_CSS
)


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def _with_ci(row: dict[str, Any], key: str) -> str:
    if key not in row:
        return "–"
    low, high = row[f"{key}_ci95"]
    return f'{_pct(row[key])} <span class="ci">[{_pct(low)}, {_pct(high)}]</span>'


def _summary_table(summary: dict[str, dict[str, Any]], level: str) -> str:
    metrics = (
        ["swa", "cer", "wer"]
        if level == "word"
        else ["aligned_cer", "cer", "wer", "bow_recall", "det_precision", "det_recall"]
    )
    head = "".join(f"<th>{m}</th>" for m in metrics)
    rows = []
    for engine, categories in summary.items():
        for category, row in categories.items():
            cells = "".join(f"<td>{_with_ci(row, m)}</td>" for m in metrics)
            rows.append(
                f'<tr><td class="l">{escape(engine)}</td><td class="l">{escape(category)}</td>'
                f"<td>{row['n']}</td><td>{row['failures']}</td>{cells}"
                f"<td>{row['seconds_per_page']:.3f}</td></tr>"
            )
    return (
        f'<table><tr><th class="l">engine</th><th class="l">category</th><th>n</th><th>failures</th>{head}'
        f"<th>s/page</th></tr>{''.join(rows)}</table>"
    )


def _verdict_table(verdicts: list[dict[str, Any]]) -> str:
    if not verdicts:
        return "<p>One engine only: no paired comparison.</p>"
    rows = []
    for v in verdicts:
        low, high = v["delta_ci95"]
        css = {"better": "better", "worse": "worse"}.get(v["verdict"], "")
        rows.append(
            f'<tr class="{css}"><td class="l">{escape(v["candidate"])} vs {escape(v["control"])}</td>'
            f'<td class="l">{escape(v["category"])}</td><td class="l">{v["metric"]}</td><td>{v["n"]}</td>'
            f"<td>{_pct(v['control_error'])}</td><td>{_pct(v['candidate_error'])}</td>"
            f'<td>{100 * v["delta"]:+.2f} pt <span class="ci">[{100 * low:+.2f}, {100 * high:+.2f}]</span></td>'
            f"<td>{v['p_value']:.4f}</td><td>{v.get('p_adjusted', v['p_value']):.4f}</td>"
            f'<td class="l"><b>{escape(v["verdict"])}</b></td></tr>'
        )
    return (
        '<table><tr><th class="l">comparison</th><th class="l">category</th><th class="l">metric</th><th>n</th>'
        "<th>control</th><th>candidate</th><th>Δ (95% BCa CI)</th><th>p</th><th>p (Holm)</th>"
        '<th class="l">candidate is</th></tr>' + "".join(rows) + "</table>"
    )


def _worst_pages(pages: list[dict[str, Any]], engines: list[str]) -> str:
    worst = sorted(pages, key=lambda p: -max(p["engines"][e]["metrics"]["aligned_cer"] for e in p["engines"]))
    parts = []
    for page in worst[:WORST_PAGES]:
        scores = ", ".join(
            f"{escape(e)}: {_pct(page['engines'][e]['metrics']['aligned_cer'])}"
            for e in engines
            if e in page["engines"]
        )
        parts.append(f"<h3>{escape(page['id'])} <small>({escape(page['category'])}; aligned CER {scores})</small></h3>")
        for engine in engines:
            entry = page["engines"].get(engine)
            if not entry:
                continue
            if entry["error"]:
                parts.append(f"<p><b>{escape(engine)}</b> failed: {escape(entry['error'])}</p>")
            rows = []
            for truth, read in entry.get("line_pairs", []):
                if truth != read:
                    left, right = aligned_html(truth, read)
                    rows.append(f'<tr><td class="l">{left}</td><td class="l">{right}</td></tr>')
            shown = rows[:MAX_DIFF_LINES]
            more = f"<p>… {len(rows) - len(shown)} more lines differ</p>" if len(rows) > len(shown) else ""
            parts.append(
                f"<p><b>{escape(engine)}</b>: {len(rows)} lines differ from the ground truth</p>"
                f'<table class="diff"><tr><th class="l">ground truth</th><th class="l">{escape(engine)}</th></tr>'
                f"{''.join(shown)}</table>{more}"
            )
    return "".join(parts)


def _thumbnail(path: str) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    return f'<img class="crop" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _misread_words(pages: list[dict[str, Any]], engines: list[str]) -> str:
    wrong = [p for p in pages if any(not p["engines"][e]["metrics"]["exact"] for e in p["engines"])]
    rows = []
    for page in wrong[:WORST_WORDS]:
        cells = []
        for engine in engines:
            entry = page["engines"].get(engine)
            if entry is None:
                cells.append("<td></td>")
                continue
            _, right = aligned_html(entry["metrics"]["truth"], entry["metrics"]["read"])
            mark = "" if entry["metrics"]["exact"] else ' class="l worse"'
            cells.append(f"<td{mark or ' class=l'}>{right or '<i>(nothing)</i>'}</td>")
        rows.append(
            f'<tr><td class="l">{escape(page["id"])}</td><td>{_thumbnail(page["image"])}</td>'
            f'<td class="l">{escape(page["truth"])}</td>{"".join(cells)}</tr>'
        )
    head = "".join(f"<th class='l'>{escape(e)}</th>" for e in engines)
    return (
        f"<p>{len(wrong)} crops misread by at least one engine; the first {len(rows)}:</p>"
        f'<table class="diff"><tr><th class="l">id</th><th>crop</th><th class="l">truth</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def render_report(results: dict[str, Any]) -> str:
    run, summary, pages = results["run"], results["summary"], results["pages"]
    engines = [e["name"] for e in run["engines"]]
    level = run["level"]
    metric = "swa" if level == "word" else "aligned_cer"
    per_category: dict[str, dict[str, list[float]]] = {}
    for page in pages:
        for engine, entry in page["engines"].items():
            value = (0.0 if entry["metrics"]["exact"] else 1.0) if level == "word" else entry["metrics"]["aligned_cer"]
            per_category.setdefault(page["category"], {}).setdefault(engine, []).append(value)
    sets = ", ".join(f"{escape(s['name'])} ({s['n']} records, sha256 {s['content_hash'][:12]})" for s in run["sets"])
    engine_list = ", ".join(f"{escape(e['name'])} {escape(e['version'])}" for e in run["engines"])
    plots = [metric_bars(summary, metric), speed_vs_accuracy(summary, metric)]
    if level == "page":
        plots.insert(1, error_distribution(per_category, metric))
    detail = _misread_words(pages, engines) if level == "word" else _worst_pages(pages, engines)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ocrgate evaluation {escape(run["id"])}</title>
<style>{CSS}</style></head><body>
<h1>ocrgate evaluation</h1>
<p>Run <b>{escape(run["id"])}</b> at {escape(run["started"])} · commit {escape(run["git_commit"])} ·
sets: {sets} · engines: {engine_list} · {escape(run["normalization"])}</p>
<h2>Summary per category</h2>
<p>Rates are micro-averaged over characters/words; brackets are 95% bootstrap intervals over pages.
{
        "SWA: share of crops read exactly."
        if level == "word"
        else "aligned CER: the headline metric, robust to reading order (see docs/evaluation.md)."
    }</p>
{_summary_table(summary, level)}
<h2>Paired comparison</h2>
<p>Candidate minus control on the same {"crops" if level == "word" else "pages"}; "better"/"worse" only when the
95% interval of the difference excludes zero.</p>
{_verdict_table(results["paired"])}
<h2>Plots</h2>
{"".join(f'<img class="plot" src="{uri}">' for uri in plots)}
<h2>{"Misread words" if level == "word" else "Worst pages"}</h2>
{detail}
</body></html>
"""
