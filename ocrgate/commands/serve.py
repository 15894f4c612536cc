"""`ocrgate serve [--host H] [--port P] [--db URL]`: the OCR service with its admin."""

from __future__ import annotations

import argparse

from ocrgate.commands.common import add_db_option, whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the OCR service (HTTP API and admin)")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=whole(1, 65_535), default=None, help="default: $OCRGATE_PORT, else 8080")
    parser.add_argument("--threads", type=whole(1, 1024), default=8, help="request threads")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kernel.settings import load_settings

    environment = load_settings()  # every OCRGATE_* value is checked before anything starts
    from service.app import create_app
    from service.http_server import serve_http
    from service.request_log import configure_logging
    from service.settings import ServiceSettings

    configure_logging()
    settings = ServiceSettings(database_url=args.db) if args.db else ServiceSettings()
    port = args.port or environment.port
    app = create_app(settings)
    print(f"ocrgate serving on http://{args.host}:{port} (database {settings.database_url})", flush=True)
    try:
        serve_http(app, host=args.host, port=port, threads=args.threads)
    finally:
        app.extensions["ocrgate"].close()
    return 0
