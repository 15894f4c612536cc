"""The OCR service: HTTP API (token auth) over the gated router, plus the admin (dashboards/)."""
