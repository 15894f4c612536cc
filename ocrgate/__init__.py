"""ocrgate: an OCR platform with pluggable engines, gated rollout, evaluation and searchable PDFs."""

__version__ = "0.1.0"
