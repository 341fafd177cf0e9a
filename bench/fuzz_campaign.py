"""A long fuzzing campaign: every fuzz test, with fresh random inputs, in turns, for N minutes.

The fuzz tests (``tests/test_fuzz_*.py``) run a fixed, modest set of
examples in CI. This runs them with hypothesis' ``campaign`` profile (random
seeds, no derandomisation) in batches, round-robin, until the time is up,
and reports how many examples each ran and every distinct failure with the
input that reproduces it (hypothesis shrinks it first). Run from the checkout:

    .venv/bin/python bench/fuzz_campaign.py --minutes 20 [--batch 200] [--json result.json] [-k model]

Exit status 1 when any failure was found. The same tests also run as a
campaign under pytest: ``HYPOTHESIS_PROFILE=campaign .venv/bin/pytest tests/test_fuzz_*.py``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("test_fuzz_yaml", "test_fuzz_model", "test_fuzz_rules")


@dataclass
class Failure:
    """One distinct failure: which test, what went wrong, and how to replay it."""

    test: str
    error: str
    first_seen_minute: float
    times: int = 1
    reproduce: list[str] = field(default_factory=list)
    trace: str = ""


@dataclass
class Campaign:
    minutes: float
    batch: int
    examples: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    rounds: int = 0
    started: str = ""
    wall_seconds: float = 0.0


def fuzz_tests(selected: str | None) -> dict[str, Callable[[], None]]:
    """The hypothesis tests of the fuzz modules that would run here (skip marks honoured), by name."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
    tests = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, test in sorted(vars(module).items()):
            if not attribute.startswith("test_") or not hasattr(test, "hypothesis"):
                continue
            marks = getattr(test, "pytestmark", [])
            if any(m.name == "skipif" and m.args and m.args[0] for m in marks):
                continue
            qualified = f"{name}::{attribute}"
            if selected is None or selected in qualified:
                tests[qualified] = test
    return tests


def counted(test: Any, campaign: Campaign, name: str) -> None:
    """Count every example the test runs (generation and shrinking alike) through its documented inner test."""
    inner = test.hypothesis.inner_test

    def counting(*args: Any, **kwargs: Any) -> Any:
        campaign.examples[name] = campaign.examples.get(name, 0) + 1
        return inner(*args, **kwargs)

    test.hypothesis.inner_test = counting


def describe(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:300]


def run(minutes: float, batch: int, selected: str | None) -> Campaign:
    os.environ["HYPOTHESIS_PROFILE"] = "campaign"
    os.environ["FLUX_REVIEW_FUZZ_EXAMPLES"] = str(batch)
    tests = fuzz_tests(selected)
    if not tests:
        raise SystemExit("no fuzz test selected")
    campaign = Campaign(minutes, batch, started=time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    for name, test in tests.items():
        counted(test, campaign, name)
    started = time.monotonic()
    deadline = started + minutes * 60
    while time.monotonic() < deadline:
        campaign.rounds += 1
        for name, test in tests.items():
            if time.monotonic() >= deadline:
                break
            began = time.monotonic()
            try:
                test()
            except Exception as error:  # a failure of the engine under test: recorded, the campaign goes on
                record(campaign, name, error, (time.monotonic() - started) / 60)
            campaign.seconds[name] = campaign.seconds.get(name, 0.0) + time.monotonic() - began
        print(f"round {campaign.rounds}: {sum(campaign.examples.values()):,} examples, "
              f"{len(campaign.failures)} distinct failures, {(time.monotonic() - started) / 60:.1f} min",
              flush=True)
    campaign.wall_seconds = round(time.monotonic() - started, 1)
    return campaign


def record(campaign: Campaign, name: str, error: Exception, minute: float) -> None:
    what = describe(error)
    for failure in campaign.failures:
        if failure.test == name and failure.error == what:
            failure.times += 1
            return
    # Hypothesis reports several distinct failures as a group, each with its falsifying input in its notes.
    parts = [error, *getattr(error, "exceptions", ())]
    notes = [n for part in parts for n in getattr(part, "__notes__", []) if n.strip()]
    trace = "".join(traceback.format_exception(error))[-20000:]
    campaign.failures.append(Failure(name, what, round(minute, 1), reproduce=notes, trace=trace))
    print(f"FAILURE in {name}: {what}", flush=True)
    for note in notes:
        print(f"    {note}", flush=True)


def report(campaign: Campaign) -> str:
    total = sum(campaign.examples.values())
    lines = [f"Fuzz campaign: {campaign.wall_seconds / 60:.1f} min, {campaign.rounds} rounds of {campaign.batch} "
             f"examples per test, {total:,} examples, {len(campaign.failures)} distinct failures", ""]
    width = max(len(name) for name in campaign.examples) if campaign.examples else 10
    for name, count in sorted(campaign.examples.items()):
        seconds = campaign.seconds.get(name, 0.0)
        lines.append(f"  {name:<{width}}  {count:>8,} examples  {seconds:>7.0f} s  "
                     f"{1000 * seconds / max(count, 1):>6.1f} ms/example")
    for failure in campaign.failures:
        lines += ["", f"FAILURE {failure.test} (x{failure.times}, first at minute {failure.first_seen_minute}):",
                  f"  {failure.error}", *(f"  {note}" for note in failure.reproduce)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="how long to fuzz (default 20)")
    parser.add_argument("--batch", type=int, default=200, help="examples per test per turn (default 200)")
    parser.add_argument("-k", dest="selected", help="only tests whose module::name contains this")
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    campaign = run(args.minutes, args.batch, args.selected)
    print(report(campaign))
    if args.json:
        args.json.write_text(json.dumps(asdict(campaign), indent=2) + "\n")
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    sys.exit(main())
