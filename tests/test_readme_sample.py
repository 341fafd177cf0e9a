"""The README's sample of what flux-review posts is the project's own output on examples/review, kept current.

The sample is made as a user would make it: the example's base committed,
its change committed on top, and ``flux-review review --format markdown``
run on the clone. ``FLUX_REVIEW_REFRESH_DOCS=1`` rewrites the README's
section instead of comparing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from checks import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "review"
START = "<!-- sample:start (tests/test_readme_sample.py) -->"
END = "<!-- sample:end -->"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=Example", "-c", "user.email=example@example.com",
                           *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    repo = tmp_path / "fleet"
    shutil.copytree(EXAMPLE / "base", repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")
    shutil.copytree(EXAMPLE / "change", repo, dirs_exist_ok=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "add weave-gitops")
    capsys.readouterr()
    code = cli.main(["review", str(repo), "--base", base, "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 1  # the change adds an error
    return out.strip()


def test_the_readme_sample_is_what_review_prints_on_the_example(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    made = sample(tmp_path, capsys)
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme, "README.md lost its sample markers"
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    block = f"{START}\n\n{made}\n\n{END}"
    if os.environ.get("FLUX_REVIEW_REFRESH_DOCS") == "1":
        (ROOT / "README.md").write_text(before + block + after)
        return
    assert before + block + after == readme, (
        "README.md's sample is stale: run FLUX_REVIEW_REFRESH_DOCS=1 pytest tests/test_readme_sample.py")
