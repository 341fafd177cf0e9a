"""Whole-process time of `flux-review check` on the largest real repository, start-up included.

Prints, for the corpus with the most files (or the one given): the wall and
CPU seconds of a whole ``flux-review check`` process (best and median of
``--repeat``), the same for a bare ``python -c pass`` and for importing the
command line, and whether the process imported the App's dependencies
(networkx, Flask, PyGithub, the bot package), which ``check`` does not need.

Bytecode is cached in a temporary folder first (PYTHONPYCACHEPREFIX), as an
installed package has it, whatever PYTHONDONTWRITEBYTECODE says. Run by hand:

    .venv/bin/python bench/startup.py [CORPUS_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent.parent
CORPORA = HERE.parent / "shared" / "corpora"
HEAVY = ("networkx", "flask", "github", "bot", "huey", "redis", "requests", "jwt")


def largest_corpus(root: pathlib.Path) -> pathlib.Path:
    """The corpus folder holding the most files."""
    folders = [p for p in root.iterdir() if p.is_dir()]
    return max(folders, key=lambda p: sum(len(files) for _, _, files in os.walk(p)))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def summary(label: str, runs: list[tuple[float, float]]) -> None:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    print(f"{label:<34} wall best {min(walls):6.3f} s median {statistics.median(walls):6.3f} s   "
          f"CPU best {min(cpus):6.3f} s median {statistics.median(cpus):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=pathlib.Path)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    corpus = args.corpus or largest_corpus(CORPORA)
    exe = str(pathlib.Path(sys.executable).with_name("flux-review"))
    with tempfile.TemporaryDirectory(prefix="flux-review-pyc-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        check = [exe, "check", str(corpus), "--format", "json"]
        subprocess.run(check, capture_output=True, env=env, check=False)  # compile and cache the bytecode
        imported = subprocess.run(
            [sys.executable, "-c", "import runpy, sys; sys.argv = " + repr(["flux-review", *check[1:]])
             + "\nfrom checks.cli import main\nimport contextlib, io\n"
             "with contextlib.redirect_stdout(io.StringIO()): main(sys.argv[1:])\n"
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"],
            capture_output=True, text=True, env=env, check=False).stdout.strip()
        files = sum(len(names) for _, _, names in os.walk(corpus))
        print(f"corpus {corpus.name}: {files} files; check imported: {imported or 'none of ' + ', '.join(HEAVY)}")
        summary("python -c pass", [timed([sys.executable, "-c", "pass"], env) for _ in range(args.repeat)])
        summary("import checks.cli", [timed([sys.executable, "-c", "import checks.cli"], env)
                                      for _ in range(args.repeat)])
        summary("flux-review check (whole process)", [timed(check, env) for _ in range(args.repeat)])


if __name__ == "__main__":
    main()
