"""Wall time of `flux-review review` for a one-file change on a real repository.

Copies a corpus into a temporary git repository, commits it, changes one
Kustomization's interval in a second commit, and times the whole review
process (median of several runs). Run by hand:

    .venv/bin/python bench/review.py [CORPUS_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def _git(repo: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
                        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
                        "PATH": "/usr/bin:/bin"})


def main() -> None:
    here = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=str(here.parent / "shared" / "corpora" / "onedr0p__home-ops"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    corpus = pathlib.Path(args.corpus)
    if not corpus.is_dir():
        sys.exit(f"{corpus}: no such folder")
    exe = pathlib.Path(sys.executable).with_name("flux-review")
    with tempfile.TemporaryDirectory() as tmp:
        repo = pathlib.Path(tmp) / "repo"
        shutil.copytree(corpus, repo)
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "base")
        target = next(p for p in sorted(repo.rglob("ks.yaml")) if "interval:" in p.read_text())
        target.write_text(re.sub(r"interval: \S+", "interval: 30s", target.read_text(), count=1))
        _git(repo, "commit", "-q", "-am", "one-file change")
        times, output = [], ""
        for _ in range(args.repeat):
            started = time.perf_counter()
            done = subprocess.run([str(exe), "review", str(repo), "--base", "HEAD~1", "--format", "json"],
                                  capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            output = done.stdout
        reported = output.count('"rule":')
        print(f"corpus: {corpus.name}; changed: {target.relative_to(repo)}")
        print(f"review process: median {statistics.median(times):.3f} s, min {min(times):.3f} s "
              f"over {args.repeat} runs; exit {done.returncode}; {reported} findings reported")


if __name__ == "__main__":
    main()
