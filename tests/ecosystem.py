"""The ecosystem check: what `flux-review check` reports on each real repository, recorded.

For every corpus in ../shared/corpora (and each repository inside
allenporter__flux-local-testdata) the findings are recorded in
``tests/corpora_expected/<name>.json``: rule, severity, path, object and
fingerprint, one finding per line so that a change shows as a readable git
diff. The record is what the engine does today, not a claim that it is right:
an engine change is reviewed by reading the difference it makes here.

    python tests/ecosystem.py            # print the difference, exit 1 when there is one
    python tests/ecosystem.py --update   # rewrite the records after the difference has been read

`tests/test_corpora.py` fails on any difference and prints it the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from checks.cli import main as flux_review  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
TESTDATA = CORPORA / "allenporter__flux-local-testdata"
EXPECTED = Path(__file__).resolve().parent / "corpora_expected"
RECORDED = ("rule", "severity", "path", "object", "fingerprint")


def corpus_folders() -> list[Path]:
    """Every corpus, then each repository inside the flux-local test data."""
    if not CORPORA.is_dir():
        return []
    folders = sorted(p for p in CORPORA.iterdir() if p.is_dir())
    if TESTDATA.is_dir():
        folders += sorted(p for p in TESTDATA.iterdir() if p.is_dir())
    return folders


def corpus_name(folder: Path) -> str:
    """``onedr0p__home-ops``, or ``allenporter__flux-local-testdata/cluster8`` for a nested repository."""
    return folder.relative_to(CORPORA).as_posix()


def expected_file(folder: Path) -> Path:
    return EXPECTED / f"{corpus_name(folder)}.json"


def run_check(folder: Path) -> tuple[int, dict, str]:
    """`flux-review check FOLDER --format json`, in-process: exit code, JSON document, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = flux_review(["check", str(folder), "--format", "json"])
    document = json.loads(out.getvalue()) if out.getvalue() else {}
    return code, document, err.getvalue()


def record(findings: list[dict]) -> list[dict]:
    """The recorded fields of each finding, in a stable order."""
    rows = [{key: item[key] for key in RECORDED} for item in findings]
    return sorted(rows, key=lambda r: (r["path"], r["rule"], r["object"] or "", r["fingerprint"], r["severity"]))


def render(rows: list[dict]) -> str:
    """One finding per line, so a git diff of the record reads finding by finding."""
    if not rows:
        return "[]\n"
    lines = [json.dumps(row, separators=(", ", ": ")) for row in rows]
    return "[\n" + ",\n".join(f"  {line}" for line in lines) + "\n]\n"


def read_expected(folder: Path) -> list[dict] | None:
    path = expected_file(folder)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _key(row: dict) -> tuple:
    return tuple(row[key] or "" for key in RECORDED)


def difference(expected: list[dict], findings: list[dict]) -> str:
    """The findings that appeared (with their line and message) and disappeared; "" when none did."""
    actual = Counter(_key(row) for row in record(findings))
    wanted = Counter(_key(row) for row in expected)
    removed = wanted - actual
    added = actual - wanted
    if not removed and not added:
        return ""
    by_key: dict[tuple, list[dict]] = {}
    for item in findings:
        by_key.setdefault(_key(item), []).append(item)
    lines = []
    for key in sorted(removed.elements(), key=lambda k: (k[2], k[0], k[3])):
        rule, severity, path, obj, fingerprint = key
        lines.append(f"- {rule} {severity} {path} {obj or '-'} [{fingerprint}]")
    for key in sorted(added.elements(), key=lambda k: (k[2], k[0], k[3])):
        rule, severity, path, obj, fingerprint = key
        item = by_key[key][0]
        lines.append(f"+ {rule} {severity} {path}:{item['line']} {obj or '-'} [{fingerprint}]")
        lines.append(f"    {item['message']}")
    summary = f"{len(list(removed.elements()))} findings gone, {len(list(added.elements()))} new"
    return summary + "\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the records with today's findings")
    parser.add_argument("names", nargs="*", help="only these corpora (as named in tests/corpora_expected)")
    args = parser.parse_args(argv)
    folders = corpus_folders()
    if not folders:
        print(f"{CORPORA} is absent: nothing to check", file=sys.stderr)
        return 2
    if args.names:
        folders = [f for f in folders if corpus_name(f) in args.names]
    changed = 0
    for folder in folders:
        code, document, err = run_check(folder)
        if code not in (0, 1) or err:
            print(f"{corpus_name(folder)}: flux-review check exited {code}: {err.strip()}", file=sys.stderr)
            return 2
        findings = document["findings"]
        expected = read_expected(folder)
        diff = difference(expected or [], findings)
        if expected is None or diff:
            changed += 1
            print(f"== {corpus_name(folder)}: {diff or 'no record yet'}")
        if args.update and (expected is None or diff):
            path = expected_file(folder)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(record(findings)), encoding="utf-8")
    if args.update:
        print(f"{changed} records rewritten")
        return 0
    print(f"{changed} of {len(folders)} corpora differ from their record")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
