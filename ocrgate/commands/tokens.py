"""`ocrgate tokens create NAME [--scope S]... | list | revoke NAME`: API tokens for services."""

from __future__ import annotations

import argparse

from accounts.tokens import DEFAULT_SCOPES, SCOPES
from ocrgate.commands.common import add_db_option, add_json_option, open_store, print_records


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tokens", help="API tokens (stored hashed)")
    actions = parser.add_subparsers(dest="tokens_command", required=True)
    for name, helptext, func in (
        ("create", "make a token; it is printed once", run_create),
        ("revoke", "revoke a token", run_revoke),
    ):
        action = actions.add_parser(name, help=helptext)
        action.add_argument("name", help="the token's name (who uses it)")
        if name == "create":
            action.add_argument(
                "--scope",
                action="append",
                choices=SCOPES,
                dest="scopes",
                help=f"what the token may do, repeatable (default: {' '.join(DEFAULT_SCOPES)}): "
                "ocr sends pages; read reads its own client's pairs, traffic and gates; "
                "admin widens read to every client",
            )
        add_db_option(action)
        action.set_defaults(func=func)
    listing = actions.add_parser("list", help="token names and states (never the tokens)")
    add_json_option(listing)
    add_db_option(listing)
    listing.set_defaults(func=run_list)


def run_create(args: argparse.Namespace) -> int:
    from accounts.tokens import create_token

    print(create_token(open_store(args), args.name, args.scopes or DEFAULT_SCOPES))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from accounts.tokens import revoke_token

    revoke_token(open_store(args), args.name)
    print(f"revoked {args.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from accounts.tokens import list_tokens

    print_records(
        args,
        list_tokens(open_store(args)),
        lambda rows: (
            f"{row['name']:<24} {row['created_at']}  {'revoked' if row['revoked'] else 'active':<8} "
            f"{' '.join(row['scopes'])}"
            for row in rows
        ),
    )
    return 0
