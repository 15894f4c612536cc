"""Searchable PDFs: scans with an invisible, correctly spaced text layer (see docs/pdf.md)."""
