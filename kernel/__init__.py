"""The kernel: what every ocrgate package may import, and which imports nothing of ours.

`errors` (the exception hierarchy with exit codes), `deadline` (the per-call time limit engines
honour), `observe` (the one engine-run primitive), `atomic` (all-or-nothing file writes),
`provenance` (which code produced a result) and `settings` (every OCRGATE_* variable).
"""

__version__ = "0.1.0"
