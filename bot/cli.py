"""The App's subcommands of ``flux-review``: ``serve`` and ``worker``.

The engine's command line loads ``register`` through the
``flux_review.commands`` entry point group, so ``checks`` never imports the
bot. ``python -m bot`` offers the same subcommands without the engine's CLI.
Each command returns an exit code: 0 after a clean stop, 2 for bad
configuration (the message names the variable).
"""

from __future__ import annotations

import argparse
import sys

from bot.settings import NotRegistered, Settings, SettingsError

EXIT_OK, EXIT_CONFIG = 0, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``worker`` to a ``flux-review`` command parser."""
    serve = subparsers.add_parser(
        "serve", help="run the GitHub App (webhooks, and in embedded mode the workers too)",
        description="Serve GitHub webhooks on HOST:PORT. Without REDIS_URL (embedded mode) the review "
                    "workers run as threads of this process and the queue is kept in SQLite under DATA_DIR.",
    )
    serve.add_argument("--host", help="address to listen on (default $HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default $PORT or 3000)")
    serve.set_defaults(func=run_serve)
    worker = subparsers.add_parser(
        "worker", help="run review workers (scale-out mode, needs REDIS_URL)",
        description="Consume review jobs from Redis. Run any number of these, on any machines.",
    )
    worker.add_argument("--threads", type=int, help="worker threads (default $FLUX_REVIEW_WORKERS or 4)")
    worker.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="address of the metrics port")
    worker.set_defaults(func=run_worker)


def _settings(*, setup: bool = False) -> Settings | None:
    try:
        return Settings.from_env(setup=setup)
    except SettingsError as error:
        print(f"flux-review: {error}", file=sys.stderr)
        return None


def _serve_settings() -> Settings | None:
    """The App's settings; without any credentials (none set, none stored) those of setup mode."""
    try:
        return Settings.from_env()
    except NotRegistered:
        return _settings(setup=True)
    except SettingsError as error:
        print(f"flux-review: {error}", file=sys.stderr)
        return None


def setup_address(settings: Settings) -> str:
    """Where the operator opens the setup page on this machine."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(settings.host, settings.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


def run_serve(args: argparse.Namespace) -> int:
    settings = _serve_settings()
    if settings is None:
        return EXIT_CONFIG
    if args.port is not None and not 0 < args.port < 65536:
        print("flux-review: --port must be between 1 and 65535", file=sys.stderr)
        return EXIT_CONFIG
    from bot import logs
    from bot.data_dir import make_private
    from bot.server import serve

    logs.configure(settings.log_level, settings.log_format)
    try:
        make_private(settings.data_dir)
        settings = settings.with_address(args.host, args.port)
        if not settings.registered:
            print(f"flux-review is not registered yet: open {setup_address(settings)} to create its GitHub App",
                  flush=True)
        serve(settings)
    except (RuntimeError, OSError) as error:
        print(f"flux-review: {error}", file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK


def run_worker(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings is None:
        return EXIT_CONFIG
    if not settings.scale_out:
        print("flux-review: REDIS_URL is not set: `worker` consumes jobs from Redis (scale-out mode); "
              "in embedded mode `flux-review serve` runs the workers itself", file=sys.stderr)
        return EXIT_CONFIG
    from prometheus_client import start_http_server

    from bot import logs
    from bot.jobs import Queue
    from bot.runtime import build_workers
    from bot.state import open_store

    logs.configure(settings.log_level, settings.log_format)
    from bot.data_dir import make_private

    try:
        make_private(settings.data_dir)
    except OSError as error:
        print(f"flux-review: DATA_DIR {settings.data_dir}: {error.strerror or error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=args.metrics_host)
    store = open_store(settings)
    workers = build_workers(Queue(settings, store), threads=args.threads)
    workers.run_forever()
    return EXIT_OK
