"""The README's two commands are the real ones: CI runs the test command as written, and the main command starts.

``.ci/run`` ends with the test command, character for character. The main
command's last step, ``.venv/bin/flux-review serve``, is run here as a new
operator runs it: in an empty folder, with no App credentials in the
environment; it must start and answer the setup page.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests
from bot_support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
SETUP = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/flux-review serve"
TESTS = ("python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/ruff check . "
         "&& .venv/bin/pytest")


def readme_commands() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_the_set_up_section_gives_the_two_commands_and_ci_runs_the_test_command_as_written() -> None:
    assert readme_commands()[:2] == [SETUP, TESTS]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == TESTS


def test_the_main_command_starts_without_any_environment_and_serves_the_setup_page(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "flux-review"  # the .venv/bin/flux-review the README runs
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if k not in ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "REDIS_URL", "DATA_DIR",
                        "PUBLIC_URL", "WEBHOOK_PROXY_URL", "GITHUB_URL", "GITHUB_API_URL")}
    env.update(PORT=str(port), HOST="127.0.0.1")
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(command), "serve"], cwd=tmp_path, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def page() -> str | None:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            except requests.RequestException:
                return None
            return answer.text if answer.status_code == 200 else None

        text = wait_until(page, 30.0, 0.1, "the setup page")
        assert "Register flux-review on GitHub" in text
        assert "flux-review is not registered yet: open http://127.0.0.1:" in log.read_text()
        assert (tmp_path / ".flux-review").is_dir()  # the embedded default DATA_DIR, in the working folder
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
