"""The App's subcommands: registered on any parser, clear exits on bad configuration."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bot.cli import register

ROOT = Path(__file__).resolve().parents[1]


def test_register_adds_serve_and_worker_with_their_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    serve = parser.parse_args(["serve", "--host", "127.0.0.1", "--port", "8080"])
    assert (serve.host, serve.port, serve.func.__name__) == ("127.0.0.1", 8080, "run_serve")
    worker = parser.parse_args(["worker", "--threads", "3", "--metrics-port", "9100"])
    assert (worker.threads, worker.metrics_port, worker.func.__name__) == (3, 9100, "run_worker")


def run_bot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "REDIS_URL")}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=clean,
                          cwd=ROOT, timeout=60)


def test_serve_with_part_of_the_credentials_names_the_missing_variable() -> None:
    # Some credentials set and some not is a typo, never setup mode (which needs none at all).
    done = run_bot("serve", "--port", "1", WEBHOOK_SECRET="s")
    assert done.returncode == 2
    assert done.stderr.strip() == ("flux-review: APP_ID is not set: expected the numeric App id from the App's "
                                   "settings page")


def test_worker_needs_redis(tmp_path: Path) -> None:
    from bot_support.keys import key_pair

    done = run_bot("worker", APP_ID="1", PRIVATE_KEY=key_pair()[0], WEBHOOK_SECRET="s", DATA_DIR=str(tmp_path))
    assert done.returncode == 2
    assert "REDIS_URL is not set" in done.stderr
    assert "BEGIN" not in done.stderr  # the key is never echoed


def test_the_engine_command_line_offers_the_app_commands_when_installed() -> None:
    from importlib import metadata

    names = [entry.value for entry in metadata.entry_points(group="flux_review.commands")]
    if "bot.cli:register" not in names:
        import pytest

        pytest.skip("the flux_review.commands entry point is not in the installed metadata yet")
    from checks.cli import build_parser

    assert build_parser().parse_args(["serve", "--port", "1"]).func.__name__ == "run_serve"


def test_a_second_embedded_server_on_one_data_folder_is_refused(tmp_path: Path) -> None:
    from bot_support.keys import key_pair

    from bot.jobs import lock_data_dir

    held = lock_data_dir(tmp_path)
    try:
        done = run_bot("serve", "--port", "1", APP_ID="1", PRIVATE_KEY=key_pair()[0], WEBHOOK_SECRET="s",
                       DATA_DIR=str(tmp_path))
    finally:
        held.close()
    assert done.returncode == 2
    assert "another flux-review process already runs jobs from" in done.stderr
