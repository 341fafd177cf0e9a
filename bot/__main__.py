"""``python -m bot serve|worker``: the App's commands without the engine's command line."""

from __future__ import annotations

import argparse
import sys

from bot.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="flux-review GitHub App")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
