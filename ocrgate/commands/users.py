"""`ocrgate users create NAME --role R | list | set NAME [--role R] [--disable|--enable] [--password]`.

Passwords are never arguments: they are prompted for on a terminal, or read from standard
input (first line) when it is not one.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from accounts.roles import ROLES
from ocrgate.commands.common import add_db_option, add_json_option, open_store, print_records


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="admin users of the dashboards")
    actions = parser.add_subparsers(dest="users_command", required=True)
    create = actions.add_parser("create", help="add a user (password prompted, or read from stdin)")
    create.add_argument("name", help="the user's sign-in name")
    create.add_argument("--role", choices=ROLES, required=True, help="what the user may do in the admin")
    add_db_option(create)
    create.set_defaults(func=run_create)
    listing = actions.add_parser("list", help="users and roles")
    add_json_option(listing)
    add_db_option(listing)
    listing.set_defaults(func=run_list)
    change = actions.add_parser("set", help="change a user's role, state or password")
    change.add_argument("name", help="the user's sign-in name")
    change.add_argument("--role", choices=ROLES, help="a new role")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true", help="the user can no longer sign in")
    state.add_argument("--enable", action="store_true", help="the user can sign in again")
    change.add_argument("--password", action="store_true", help="set a new password (prompted or stdin)")
    add_db_option(change)
    change.set_defaults(func=run_set)


def read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            from kernel.errors import OcrInputError

            raise OcrInputError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def run_create(args: argparse.Namespace) -> int:
    from accounts.users import create_user

    create_user(open_store(args), args.name, read_password(), args.role)
    print(f"created {args.name} ({args.role})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from accounts.users import list_users

    users = [{"name": u.username, "role": u.role, "disabled": u.disabled} for u in list_users(open_store(args))]
    print_records(
        args,
        users,
        lambda rows: (
            f"{row['name']:<24} {row['role']:<9} {'disabled' if row['disabled'] else 'active'}" for row in rows
        ),
    )
    return 0


def run_set(args: argparse.Namespace) -> int:
    from accounts.users import update_user

    disabled = True if args.disable else False if args.enable else None
    update_user(
        open_store(args),
        args.name,
        role=args.role,
        disabled=disabled,
        password=read_password() if args.password else None,
    )
    print(f"updated {args.name}")
    return 0
