"""Engine speed against its floor: a libyaml compose-only pass over the same files.

Prints, per corpus: files, YAML files, objects, seconds for the full model
build and for all rules, the compose-only floor, the ratios, and the wall
time of a whole `flux-review check` process (its bytecode cached, as an
installed package has it, whatever PYTHONDONTWRITEBYTECODE says). Each corpus is
measured in a Python process of its own, as `check` reads one repository: what an
earlier, larger corpus left in the heap does not weigh on the next one. The floor,
the model and the analysis are timed in turn, best of ``--repeat`` each. Run by hand:

    .venv/bin/python bench/engine.py [CORPORA_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from checks.config import Config
from checks.engine import analyze
from checks.kustomize import forget_inline_patches
from checks.repo import build_model
from checks.source import RepoSnapshot


def _best(functions: list, repeat: int) -> list[float]:
    """The best time of each function, run in turn ``repeat`` times: a machine that speeds up or slows
    down while it measures moves the floor and the engine alike, not one of them."""
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for index, function in enumerate(functions):
            started = time.perf_counter()
            result = function()
            best[index] = min(best[index], time.perf_counter() - started)
            del result  # freed after the clock: `check` exits without freeing its model, and a caller keeps it
    return best


def _cold(function, snapshot: RepoSnapshot) -> object:
    """Run without what an earlier run left in the inline-patch caches."""
    forget_inline_patches()
    return function(snapshot, Config())


def _floor(snapshot: RepoSnapshot) -> float:
    """Compose every YAML file with libyaml's C loader and nothing else."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    started = time.perf_counter()
    for path in snapshot.paths():
        if path.endswith((".yaml", ".yml")):
            with contextlib.suppress(yaml.YAMLError):
                list(yaml.compose_all(snapshot.read(path), Loader=loader))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = pathlib.Path(__file__).resolve().parent.parent
    parser.add_argument("corpora", nargs="?", default=str(here.parent / "shared" / "corpora"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # CORPORA is one corpus
    args = parser.parse_args()
    root = pathlib.Path(args.corpora)
    if not root.is_dir():
        sys.exit(f"{root}: no such folder")
    if args.one:
        print(_measure(root, args.repeat))
        return
    print(f"{'corpus':<40} {'files':>6} {'yaml':>5} {'objects':>7} {'floor s':>8} {'model s':>8} "
          f"{'x floor':>7} {'rules s':>8} {'x floor':>7} {'process s':>9}", flush=True)
    for corpus in sorted(p for p in root.iterdir() if p.is_dir()):
        subprocess.run([sys.executable, __file__, str(corpus), "--one", "--repeat", str(args.repeat)], check=True)


def _measure(corpus: pathlib.Path, repeat: int) -> str:
    """One corpus's line of the table."""
    exe = pathlib.Path(sys.executable).with_name("flux-review")
    cache = tempfile.TemporaryDirectory(prefix="flux-review-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache.name
    snapshot = RepoSnapshot.from_folder(corpus)
    for path in snapshot.paths():
        snapshot.read(path)  # measure parsing, not the disk
    floor, model_time, rules_time = _best([lambda: _floor(snapshot), lambda: _cold(build_model, snapshot),
                                           lambda: _cold(analyze, snapshot)], repeat)
    model = build_model(snapshot, Config())
    process = []
    command = [str(exe), "check", str(corpus), "--format", "json"]
    subprocess.run(command, capture_output=True, check=False, env=env)  # compile and cache the bytecode
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, env=env)
        process.append(time.perf_counter() - started)
    yaml_files = sum(1 for p in snapshot.paths() if p.endswith((".yaml", ".yml")))
    return (f"{corpus.name:<40} {len(snapshot.sizes):>6} {yaml_files:>5} {len(model.objects):>7} "
            f"{floor:>8.4f} {model_time:>8.4f} {model_time / floor:>7.2f} {rules_time:>8.4f} "
            f"{rules_time / floor:>7.2f} {statistics.median(process):>9.3f}")


if __name__ == "__main__":
    main()
