"""What the fuzz tests share: hypothesis profiles, seed manifests, mutations, and the engine's promises.

The profiles: ``ci`` (the default) runs a modest, derandomised number of
examples so every run of the suite tries the same inputs; ``campaign`` runs
many random ones (``HYPOTHESIS_PROFILE=campaign``, or ``bench/fuzz_campaign.py``).
Seeds come from the project's own YAML files and, when it sits beside the
checkout, from ``../shared/corpora``, read at run time and never copied in.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from checks.findings import Finding
from checks.rules import RULES_BY_ID
from checks.source import RepoSnapshot
from checks.yaml_docs import YamlFile, YMap, YSeq

PROJECT = Path(__file__).resolve().parents[1]
CORPORA = PROJECT.parent / "shared" / "corpora"

# A generous bound per example: a slow example is a finding of its own (hypothesis' deadline), a hang
# is turned into a failure by the watchdog instead of stopping the run.
DEADLINE_MS = 2000
WATCHDOG_SECONDS = 30
# What one generated file may weigh (the loader's own cap is 1 MiB; huge scalars go past it on purpose).
MAX_FILE_BYTES = 64 * 1024

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example]
settings.register_profile("ci", max_examples=100, deadline=DEADLINE_MS, derandomize=True, database=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("campaign", max_examples=5_000, deadline=DEADLINE_MS, derandomize=False,
                          database=None, suppress_health_check=_QUIET, print_blob=True)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if os.environ.get("FLUX_REVIEW_FUZZ_EXAMPLES"):  # bench/fuzz_campaign.py runs every test in batches of this size
    settings.register_profile(f"{_PROFILE}-batch", parent=settings.get_profile(_PROFILE),
                              max_examples=int(os.environ["FLUX_REVIEW_FUZZ_EXAMPLES"]))
    _PROFILE = f"{_PROFILE}-batch"
settings.load_profile(_PROFILE)


class Hang(Exception):
    """An example ran past the watchdog: the engine looped or backtracked instead of answering."""


@contextlib.contextmanager
def watchdog(seconds: float = WATCHDOG_SECONDS) -> Iterator[None]:
    """Raise ``Hang`` inside the code under test when it runs longer than ``seconds`` (main thread only)."""
    if not hasattr(signal, "setitimer") or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


# -- the engine's promises ---------------------------------------------------------------------------

_LEAKED_REPR = re.compile(r"<[^<>]* object at 0x[0-9a-fA-F]+>|<(?:class|function|built-in|bound method) ")


def finding_problems(finding: Finding, paths: set[str] | None) -> list[str]:
    """What is wrong with one finding, in words (empty when it keeps every promise)."""
    wrong = []
    if finding.rule not in RULES_BY_ID:
        wrong.append(f"rule {finding.rule!r} is not in the registry")
    if paths is not None and finding.path not in paths:
        wrong.append(f"path {finding.path!r} is not a file of the snapshot")
    if not isinstance(finding.line, int) or finding.line < 1:
        wrong.append(f"line {finding.line!r} is below 1")
    if finding.end_line is not None and finding.end_line < finding.line:
        wrong.append(f"end line {finding.end_line} is before line {finding.line}")
    if not isinstance(finding.message, str) or not finding.message.strip():
        wrong.append("empty message")
    elif _LEAKED_REPR.search(finding.message):
        wrong.append(f"a Python repr leaks into the message: {finding.message!r}")
    fix = finding.fix
    if fix is not None:
        if paths is not None and fix.path not in paths:
            wrong.append(f"fix path {fix.path!r} is not a file of the snapshot")
        if not 1 <= fix.start_line <= fix.end_line:
            wrong.append(f"fix lines {fix.start_line}-{fix.end_line} are not a range from line 1")
    finding.fingerprint  # noqa: B018 - computing it must not raise (file names that are not UTF-8)
    return wrong


def assert_findings_keep_promises(findings: list[Finding], snapshot: RepoSnapshot | None) -> None:
    """Every finding names a registered rule, a file of the snapshot, a line from 1, and a readable message."""
    paths = set(snapshot.sizes) if snapshot is not None else None
    wrong = [f"{f.rule} {f.path}:{f.line}: {problem}" for f in findings for problem in finding_problems(f, paths)]
    assert not wrong, "\n".join(wrong)


def positions(loaded: YamlFile) -> Iterator[tuple[str, int, int]]:
    """Every (what, line, end line) the loaded documents carry, aliases followed once."""
    seen: set[int] = set()
    stack: list[Any] = [doc.root for doc in loaded.docs]
    for doc in loaded.docs:
        yield "document", doc.pos.line, doc.pos.end_line
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YMap):
            yield "mapping", node.pos.line, node.pos.end_line
            for key, value in node.items():
                yield f"key {key!r}", node.key_pos[key].line, node.key_pos[key].end_line
                yield f"value of {key!r}", node.value_pos[key].line, node.value_pos[key].end_line
                stack.append(value)
        elif isinstance(node, YSeq):
            yield "sequence", node.pos.line, node.pos.end_line
            for item, pos in zip(node, node.item_pos, strict=True):
                yield "item", pos.line, pos.end_line
                stack.append(item)


# -- seeds ------------------------------------------------------------------------------------------

_OWN_SEED_FOLDERS = ("deploy", ".github")
_OWN_SEED_FILES = ("action.yml", "app.yml", ".pre-commit-hooks.yaml")
_SEED_LIMIT = 32 * 1024


@functools.cache
def seed_files() -> tuple[Path, ...]:
    """YAML files to mutate: the project's own manifests, and every small one of the corpora when present."""
    found: list[Path] = [PROJECT / name for name in _OWN_SEED_FILES if (PROJECT / name).is_file()]
    for folder in _OWN_SEED_FOLDERS:
        found.extend(sorted((PROJECT / folder).rglob("*.y*ml")))
    if CORPORA.is_dir():
        found.extend(p for p in sorted(CORPORA.rglob("*.y*ml")) if p.is_file() and p.stat().st_size <= _SEED_LIMIT)
    return tuple(p for p in found if p.is_file() and p.suffix in (".yaml", ".yml"))


@functools.cache
def seed_bytes(path: Path) -> bytes:
    return path.read_bytes()


@functools.cache
def small_repositories() -> tuple[Path, ...]:
    """Folders of the corpora small enough to analyse in one example: each is a whole repository."""
    if not CORPORA.is_dir():
        return ()
    candidates = [p for p in sorted(CORPORA.iterdir()) if p.is_dir()]
    testdata = CORPORA / "allenporter__flux-local-testdata"
    if testdata.is_dir():
        candidates.extend(p for p in sorted(testdata.iterdir()) if p.is_dir())
    return tuple(p for p in candidates if _yaml_count(p) <= 80)


def _yaml_count(folder: Path) -> int:
    count = 0
    for _ in folder.rglob("*.y*ml"):
        count += 1
        if count > 80:
            break
    return count


@functools.cache
def repository_files(folder: Path) -> dict[str, bytes]:
    """The YAML and ignore files of a corpus repository, by repo-relative path."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and (path.suffix in (".yaml", ".yml") or path.name in (
                "Kustomization", ".sourceignore")):
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


# -- mutations --------------------------------------------------------------------------------------

# Pieces that mean something to a YAML parser or to Flux, spliced into real manifests.
TOKENS = (
    b"---\n", b"...\n", b": ", b"- ", b"? ", b"{", b"}", b"[", b"]", b",", b"&a ", b"*a", b"<<: *a\n", b"&b [*b]",
    b"!!binary ", b"!!python/object:os.system ", b"!Ref ", b"!!str ", b"!!int ", b"!!float ", b"!!timestamp ",
    b"|\n", b">-\n", b"|2+\n", b'"', b"'", b"\\", b"#", b"%YAML 1.1\n", b"%TAG ! tag:x,2000:\n", b"\t", b"\r\n",
    b"\r", b"\n", b"  ", b"\xef\xbb\xbf", b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"${", b"${VAR}",
    b"${VAR:=x}", b"$VAR", b"<< inputs.name >>", b"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", b"sops:\n",
    b"=", b"~", b"null", b"0x1F", b"1e400", b".inf", b"-.nan", b"2001-12-14t21:59:43.10-05:00", b"yes", b"0o17",
    b"1_000", b"9" * 400, b"apiVersion: v1\n", b"kind: Kustomization\n", b"spec:\n  path: ../..\n",
    b"resources:\n- ../\n", b"dependsOn:\n- name: a\n", b"\xe2\x80\xa8", b"\xc2\x85",
)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, float, float, bytes]:
    """One edit: its kind, where (a fraction of the file), how far, and what it inserts."""
    kind = draw(st.sampled_from(("delete", "duplicate", "insert", "token", "flip", "truncate", "swap-lines",
                                 "indent", "dedent")))
    where = draw(st.floats(0, 1))
    span = draw(st.floats(0, 0.2))
    payload = draw(st.sampled_from(TOKENS)) if kind == "token" else draw(st.binary(max_size=16))
    return kind, where, span, payload


def mutate(data: bytes, edits: list[tuple[str, float, float, bytes]]) -> bytes:
    """Apply edits in order; every edit is defined on any input, the empty one included."""
    for kind, where, span, payload in edits:
        at = int(where * len(data))
        length = max(1, int(span * len(data)))
        if kind == "delete":
            data = data[:at] + data[at + length:]
        elif kind == "duplicate":
            data = data[:at + length] + data[at:at + length] + data[at + length:]
        elif kind in ("insert", "token"):
            data = data[:at] + payload + data[at:]
        elif kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (1 << (length % 8))]) + data[at + 1:]
        elif kind == "truncate":
            data = data[:at]
        else:
            lines = data.split(b"\n")
            line = min(int(where * len(lines)), len(lines) - 1)
            if kind == "swap-lines" and len(lines) > 1:
                other = (line + 1 + length) % len(lines)
                lines[line], lines[other] = lines[other], lines[line]
            elif kind == "indent":
                lines[line] = b"  " + lines[line]
            elif kind == "dedent":
                lines[line] = lines[line][2:] if lines[line].startswith(b"  ") else lines[line].lstrip()
            data = b"\n".join(lines)
    return data[:MAX_FILE_BYTES * 2]


mutations = st.lists(mutation(), min_size=1, max_size=6)


def line_ends(data: bytes, style: str) -> bytes:
    """The same text with other line ends (CRLF, lone CR, mixed)."""
    if style == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if style == "cr":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    if style == "mixed":
        return b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(data.split(b"\n")))
    return data


def encoded(text: str, encoding: str) -> bytes:
    """Text in an encoding a Git repository may well hold (only UTF-8, with or without BOM, is YAML for Flux)."""
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if encoding == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if encoding == "latin-1":
        return text.encode("latin-1", "replace")
    return text.encode("utf-8", "surrogatepass")
