"""Character-aligned side-by-side diffs, rendered as HTML (escaped) for reports and dashboards."""

from __future__ import annotations

from html import escape

from rapidfuzz.distance import Levenshtein


def aligned_html(truth: str, read: str) -> tuple[str, str]:
    """Two HTML fragments: truth with its deleted/substituted characters marked, and the
    reading with its inserted/substituted characters marked (class `del`, `ins`, `sub`)."""
    left, right = [], []
    for op in Levenshtein.opcodes(truth, read):
        a = escape(truth[op.src_start : op.src_end])
        b = escape(read[op.dest_start : op.dest_end])
        if op.tag == "equal":
            left.append(a)
            right.append(b)
        elif op.tag == "replace":
            left.append(f'<span class="sub">{a}</span>')
            right.append(f'<span class="sub">{b}</span>')
        elif op.tag == "delete":
            left.append(f'<span class="del">{a}</span>')
        else:
            right.append(f'<span class="ins">{b}</span>')
    return "".join(left), "".join(right)


DIFF_CSS = """
.diff td{font-family:ui-monospace,monospace;white-space:pre-wrap;vertical-align:top;padding:2px 6px}
.diff .del{background:#fdd;text-decoration:line-through}.diff .ins{background:#dfd}
.diff .sub{background:#fe9}
"""
