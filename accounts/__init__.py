"""Accounts: admin users (Argon2id passwords, roles) and API tokens (stored as SHA-256 hashes).

The domain layer that the dashboards, the service and the CLI share; it imports only the kernel
and the store (`rollout.store`, whose models hold the `users` and `api_tokens` tables).
"""
