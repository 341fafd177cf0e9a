"""What users would otherwise run, on the same repositories in the same run: seconds and findings per tool.

For each corpus (every folder of ``../shared/corpora`` by default), times a
whole process of:

- ``flux-review check <corpus> --format json`` (this project; findings are its JSON findings);
- the floor: a Python process that reads every ``.yaml``/``.yml`` file and composes it with
  libyaml's C loader, nothing else (findings are the files libyaml refuses);
- ``yamllint -f parsable <corpus>`` with its default configuration (findings are its output lines);
- ``checkov --framework kubernetes -d <corpus> --quiet --compact --skip-download`` (findings are its
  "Failed checks"; ``--skip-download`` keeps it from asking Prisma Cloud for guidelines over the network).

Wall seconds are the best of ``--repeat`` runs (checkov runs once: it is slow); a run
past its timeout is killed and reported as "timed out after N s". Every tool
runs with its bytecode cached (``PYTHONPYCACHEPREFIX`` in a temporary folder,
whatever ``PYTHONDONTWRITEBYTECODE`` says), as an installed package has it,
after one run that is not counted. The tools are
not part of the project: install them in a throw-away virtualenv and pass their
paths (or put them on PATH). Run from the repository root:

    python3 -m venv /tmp/bench-tools && /tmp/bench-tools/bin/pip install yamllint checkov
    .venv/bin/python bench/compare.py --yamllint /tmp/bench-tools/bin/yamllint \\
        --checkov /tmp/bench-tools/bin/checkov [CORPORA_DIR] [--repeat N] [--checkov-timeout S] [--markdown]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = pathlib.Path(__file__).resolve().parent.parent
CORPORA = HERE.parent / "shared" / "corpora"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Run:
    """One tool on one corpus: wall seconds (best of the runs), and its findings; ``timeout`` when killed."""

    seconds: float
    findings: int | None
    timeout: float | None = None

    def cell(self) -> str:
        if self.timeout is not None:
            return f"timed out after {self.timeout:.0f} s"
        return f"{self.seconds:.2f}"

    def found(self) -> str:
        return "-" if self.findings is None else str(self.findings)


def yaml_files(corpus: pathlib.Path) -> list[pathlib.Path]:
    """The ``.yaml``/``.yml`` files below ``corpus``, outside ``.git``, in a stable order."""
    found = []
    for folder, names, files in os.walk(corpus):
        names[:] = sorted(n for n in names if n != ".git")
        found += [pathlib.Path(folder) / f for f in sorted(files) if f.endswith(YAML_SUFFIXES)]
    return found


def compose_all(corpus: pathlib.Path) -> int:
    """The floor's work: read and compose every YAML file with libyaml; returns how many it refused."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        raise SystemExit("PyYAML was built without libyaml: the floor would not be libyaml's")
    refused = 0
    for path in yaml_files(corpus):
        try:
            list(yaml.compose_all(path.read_bytes(), Loader=loader))
        except yaml.YAMLError:
            refused += 1
    return refused


def count_findings(tool: str, stdout: str) -> int | None:
    """Findings in a tool's output; None when the output does not say."""
    if tool == "flux-review":
        try:
            return len(json.loads(stdout)["findings"])
        except (ValueError, KeyError, TypeError):
            return None
    if tool == "floor":
        return int(stdout) if stdout.strip().isdigit() else None
    if tool == "yamllint":
        return sum(1 for line in stdout.splitlines() if line.strip())
    if tool == "checkov":
        counts = re.findall(r"Failed checks: (\d+)", stdout)
        return sum(int(c) for c in counts) if counts else (0 if "scan results" not in stdout else None)
    raise ValueError(tool)


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], timeout: float) -> tuple[float, str | None]:
    """Wall seconds and standard output of one process; None for the output when it ran past ``timeout``."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL, env=ENV)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, None
    return time.perf_counter() - started, done.stdout


def measure(tool: str, command: list[str], repeat: int, timeout: float) -> Run:
    """The best of ``repeat`` runs of ``command``; the findings of the first."""
    best, findings = None, None
    for _ in range(repeat):
        seconds, stdout = timed(command, timeout)
        if stdout is None:
            return Run(seconds, None, timeout)
        if best is None:
            findings = count_findings(tool, stdout)
        best = seconds if best is None else min(best, seconds)
    assert best is not None
    return Run(best, findings)


def version(command: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[-1]
    return "unknown"


def commands(corpus: pathlib.Path, tools: dict[str, str]) -> dict[str, list[str]]:
    """Each tool's command line for ``corpus``; a tool whose path is missing is left out."""
    planned = {
        "flux-review": [tools["flux-review"], "check", str(corpus), "--format", "json"],
        "floor": [sys.executable, str(pathlib.Path(__file__).resolve()), "--floor", str(corpus)],
    }
    if tools.get("yamllint"):
        planned["yamllint"] = [tools["yamllint"], "-f", "parsable", str(corpus)]
    if tools.get("checkov"):
        planned["checkov"] = [tools["checkov"], "--framework", "kubernetes", "-d", str(corpus), "--quiet",
                              "--compact", "--skip-download"]
    return planned


COLUMNS = ("flux-review", "floor", "yamllint", "checkov")


def print_table(rows: list[tuple[str, int, int, dict[str, Run]]], markdown: bool) -> None:
    heads = ["corpus", "files", "YAML", *(f"{t} s" for t in COLUMNS), *(f"{t} findings" for t in COLUMNS)]
    lines = []
    for name, files, yamls, runs in rows:
        lines.append([name, f"{files:,}", f"{yamls:,}",
                      *(runs[t].cell() if t in runs else "not run" for t in COLUMNS),
                      *(runs[t].found() if t in runs else "-" for t in COLUMNS)])
    if markdown:
        print("| " + " | ".join(heads) + " |")
        print("|---|" + "---:|" * (len(heads) - 1))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(heads)]
    for line in (heads, *lines):
        cells = zip(line, widths, strict=True)
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="?", type=pathlib.Path, default=CORPORA)
    parser.add_argument("--floor", type=pathlib.Path, help=argparse.SUPPRESS)  # the floor's own process
    parser.add_argument("--yamllint", default=shutil.which("yamllint"), help="yamllint to run (default: PATH)")
    parser.add_argument("--checkov", default=shutil.which("checkov"), help="checkov to run (default: PATH)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast tool; the best is kept")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--checkov-timeout", type=float, default=120.0, help="seconds before checkov is killed")
    parser.add_argument("--only", default="", help="comma-separated corpus names to run (default: all)")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    args = parser.parse_args()
    if args.floor is not None:
        print(compose_all(args.floor))
        return
    if not args.corpora.is_dir():
        sys.exit(f"{args.corpora}: no such folder")
    tools = {"flux-review": str(pathlib.Path(sys.executable).with_name("flux-review")),
             "yamllint": args.yamllint, "checkov": args.checkov}
    from importlib.metadata import version as installed

    import yaml

    print(f"flux-review: {installed('flux-review')}; floor: PyYAML {yaml.__version__} "
          f"with libyaml {yaml._yaml.get_version_string() if hasattr(yaml, '_yaml') else 'missing'}")
    print(f"yamllint: {version([args.yamllint, '--version']) if args.yamllint else 'not found (not run)'}; "
          f"checkov: {version([args.checkov, '--version']) if args.checkov else 'not found (not run)'}")
    only = {n for n in args.only.split(",") if n}
    corpora = sorted(p for p in args.corpora.iterdir() if p.is_dir() and (not only or p.name in only))
    with tempfile.TemporaryDirectory(prefix="flux-review-compare-pyc-") as cache:
        ENV["PYTHONPYCACHEPREFIX"] = cache
        for command in commands(corpora[0], tools).values():  # compile and cache every tool's bytecode
            timed(command, max(args.timeout, args.checkov_timeout))
        rows = [run_corpus(corpus, tools, args) for corpus in corpora]
    print_table(rows, args.markdown)


def run_corpus(corpus: pathlib.Path, tools: dict[str, str], args: argparse.Namespace
               ) -> tuple[str, int, int, dict[str, Run]]:
    """Every tool on one corpus: its name, files, YAML files and each tool's run."""
    files = sum(len(names) for folder, _, names in os.walk(corpus) if ".git" not in pathlib.Path(folder).parts)
    runs = {}
    for tool, command in commands(corpus, tools).items():
        repeat, timeout = (1, args.checkov_timeout) if tool == "checkov" else (args.repeat, args.timeout)
        runs[tool] = measure(tool, command, repeat, timeout)
    print(f"  {corpus.name}: " + ", ".join(f"{t} {r.cell()}" for t, r in runs.items()), file=sys.stderr)
    return corpus.name, files, len(yaml_files(corpus)), runs


if __name__ == "__main__":
    main()
