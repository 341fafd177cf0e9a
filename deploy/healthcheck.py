"""The container's HEALTHCHECK: asks ``flux-review serve`` for ``/healthz``.

The image runs either ``serve`` (a web server to ask) or ``worker`` (no web
server, only an optional metrics port), so the check reads the container's
command from PID 1 and probes only a ``serve``; a worker counts as healthy
while it runs. The port is the one ``serve`` listens on: ``--port`` when the
command gives it, else ``PORT``, else 3000 (bot/settings.py's default).
Standard library only: the slim image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

DEFAULT_PORT = 3000


def serve_port(argv: Sequence[str], env: Mapping[str, str]) -> int | None:
    """The port ``serve`` listens on, or None when the command is not ``serve``."""
    if "serve" not in argv:
        return None
    for index, arg in enumerate(argv):
        if arg == "--port" and index + 1 < len(argv):
            return int(argv[index + 1])
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
    return int(env.get("PORT") or DEFAULT_PORT)


def probe(argv: Sequence[str], env: Mapping[str, str], host: str = "127.0.0.1", timeout: float = 4.0) -> int:
    """0 when healthy (or nothing to ask), 1 when ``/healthz`` does not answer 200."""
    port = serve_port(argv, env)
    if port is None:
        return 0
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthcheck: http://{host}:{port}/healthz: {error}", file=sys.stderr)
        return 1


def main() -> int:
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            argv = [part.decode(errors="replace") for part in handle.read().split(b"\0") if part]
    except OSError:
        argv = ["serve"]
    return probe(argv, os.environ)


if __name__ == "__main__":
    sys.exit(main())
