"""The admin for ops and the analyst pages, under /admin of the service (server-rendered)."""
