"""Apply findings' fixes to file texts: the engine of ``check --fix`` and ``check --diff``.

A ``Fix`` replaces whole lines of one file. Several fixes of one file are
applied together against the original line numbers; when two fixes claim
a common line only the first (in the order given, which is the findings'
order) is applied and the others are skipped with a reason, because
splicing both would corrupt the file. A second run of ``--fix`` picks them
up against the new text. Line endings (LF or CRLF) and a byte-order mark
are kept, and a YAML file that parsed before fixing must still parse after,
or none of its fixes are applied.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import posixpath
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from checks.findings import Finding, Fix, counted
from checks.yaml_docs import load_yaml

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_BOM = "\ufeff"


class FixError(Exception):
    """A fixed file could not be written."""


@dataclass(frozen=True)
class SkippedFix:
    """A fix that was not applied, and why (in words for the user)."""

    fix: Fix
    reason: str


@dataclass(frozen=True)
class FileFix:
    """The fixes of one file: its text before and after, what was applied and what was skipped."""

    path: str
    before: str
    after: str
    applied: tuple[Fix, ...]
    skipped: tuple[SkippedFix, ...]
    bom: bool = False

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def encoded(self) -> bytes:
        """The fixed file's bytes (UTF-8, with the byte-order mark it had)."""
        return ((_BOM if self.bom else "") + self.after).encode("utf-8")


def split_lines(text: str) -> list[str]:
    """The lines of a text with their line ends (LF, CRLF or CR), as the YAML parser counts them."""
    return _LINE.findall(text)


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, list[Fix], list[SkippedFix]]:
    """Apply line-replacing fixes to one text; returns (new text, applied, skipped).

    Line numbers refer to ``text`` as given. A fix identical to one already
    applied is a duplicate (two findings with the same remedy) and counts once.
    Fixes of the same lines that both keep those lines and only add lines
    after them (``retryInterval`` and ``timeout`` added under one ``interval``)
    do not conflict: their additions are combined, in order.
    """
    lines = split_lines(text)
    applied: list[Fix] = []
    skipped: list[SkippedFix] = []
    edits: dict[tuple[int, int], str] = {}  # (start, end) -> replacement, the text the applied fixes make
    for fix in fixes:
        if fix in applied:
            continue
        if not 1 <= fix.start_line <= fix.end_line <= len(lines):
            skipped.append(SkippedFix(fix, f"{_span(fix)}: outside the file ({counted(len(lines), 'line')})"))
            continue
        span = (fix.start_line, fix.end_line)
        clash = next(((start, end) for start, end in edits if start <= fix.end_line and fix.start_line <= end), None)
        if clash is None:
            edits[span] = fix.replacement
            applied.append(fix)
            continue
        original = "".join(line.rstrip("\r\n") + "\n" for line in lines[fix.start_line - 1:fix.end_line])
        if clash == span and _adds_after(edits[span], original) and _adds_after(fix.replacement, original):
            edits[span] += _with_line_end(fix.replacement)[len(original):]
            applied.append(fix)
            continue
        first = next(f for f in applied if (f.start_line, f.end_line) == clash)
        skipped.append(SkippedFix(fix, f"{_span(fix)}: overlaps the fix of {_span(first)}, applied "
                                       "first; run --fix again to apply it"))
    for (start, end), replacement in sorted(edits.items(), reverse=True):
        lines[start - 1:end] = _replacement_lines(replacement, lines[end - 1], end == len(lines))
    return "".join(lines), applied, skipped


def _adds_after(replacement: str, original: str) -> bool:
    """True when a replacement keeps the original lines as they were and only adds lines after them."""
    replacement = _with_line_end(replacement)
    return len(replacement) > len(original) and replacement.startswith(original)


def _with_line_end(text: str) -> str:
    return text + "\n" if text and not text.endswith("\n") else text


def _replacement_lines(replacement: str, last: str, at_end: bool) -> list[str]:
    """The replacement text split into lines, with the line end the replaced lines used."""
    ending = "\r\n" if last.endswith("\r\n") else "\r" if last.endswith("\r") else "\n"
    # A fix replaces whole lines; never glue the next line onto it.
    new = [line[:-1] + ending if line.endswith("\n") else line for line in split_lines(_with_line_end(replacement))]
    if new and at_end and not last.endswith(("\n", "\r")):
        new[-1] = new[-1].rstrip("\r\n")  # the file had no final line end; do not add one
    return new


def _span(fix: Fix) -> str:
    return f"line {fix.start_line}" if fix.start_line == fix.end_line else f"lines {fix.start_line}-{fix.end_line}"


def plan_fixes(findings: Sequence[Finding], read: Callable[[str], bytes | None]) -> list[FileFix]:
    """The fixes of the findings, grouped per file and applied to the files' texts (nothing is written).

    ``read`` returns a file's bytes, or None when it cannot be read. Files
    that are not UTF-8, or whose fixed text would no longer parse as YAML,
    keep their text and list every fix as skipped.
    """
    by_path: dict[str, list[Fix]] = {}
    for finding in findings:
        if finding.fix is not None:
            by_path.setdefault(finding.fix.path, []).append(finding.fix)
    planned = []
    for path, fixes in by_path.items():
        data = read(path)
        if data is None:
            planned.append(_refused(path, "", fixes, "the file cannot be read"))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            planned.append(_refused(path, "", fixes, "the file is not UTF-8 text"))
            continue
        bom = text.startswith(_BOM)
        text = text.removeprefix(_BOM)
        after, applied, skipped = apply_fixes(text, fixes)
        if applied and path.endswith((".yaml", ".yml")) and _parses(path, text) and not _parses(path, after):
            planned.append(_refused(path, text, fixes, "the fixed file would not be valid YAML", bom))
            continue
        planned.append(FileFix(path, text, after, tuple(applied), tuple(skipped), bom))
    return planned


def _refused(path: str, text: str, fixes: list[Fix], reason: str, bom: bool = False) -> FileFix:
    return FileFix(path, text, text, (), tuple(SkippedFix(f, reason) for f in fixes), bom)


def _parses(path: str, text: str) -> bool:
    return load_yaml(path, text.encode("utf-8")).ok


def unified_diff(planned: Iterable[FileFix]) -> str:
    """The changes as one unified diff with ``a/`` and ``b/`` prefixes (``git apply`` reads it)."""
    chunks: list[str] = []
    for file_fix in planned:
        if not file_fix.changed:
            continue
        lines = difflib.unified_diff(split_lines(file_fix.before), split_lines(file_fix.after),
                                     fromfile=f"a/{file_fix.path}", tofile=f"b/{file_fix.path}")
        for line in lines:
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def write_fixes(root: str | os.PathLike[str], planned: Iterable[FileFix]) -> tuple[list[FileFix], list[FileFix]]:
    """Write the changed files under ``root`` atomically; returns (written, refused).

    Only regular files inside ``root`` are written (never through a symbolic
    link); each is written to a temporary file beside it and renamed over it,
    so an interrupted run leaves either the old or the new file, never half.
    """
    root = os.path.realpath(os.fspath(root))
    written, refused = [], []
    for file_fix in planned:
        if not file_fix.changed:
            continue
        target = _target(root, file_fix.path)
        if target is None:
            refused.append(file_fix)
            continue
        _write_atomically(target, file_fix.encoded())
        written.append(file_fix)
    return written, refused


def _target(root: str, path: str) -> str | None:
    """The file a repository path names inside ``root``, or None when it would leave ``root``."""
    norm = posixpath.normpath(path)
    if norm.startswith(("/", "../")) or norm in (".", "..") or "\\" in path:
        return None
    target = os.path.join(root, *norm.split("/"))
    if os.path.commonpath([root, os.path.realpath(os.path.dirname(target))]) != root:
        return None
    try:
        info = os.lstat(target)
    except OSError:
        return None
    return target if stat.S_ISREG(info.st_mode) else None


def _write_atomically(target: str, data: bytes) -> None:
    mode = stat.S_IMODE(os.stat(target).st_mode)
    folder, name = os.path.split(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".flux-review")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise FixError(f"{target}: cannot write the fixed file ({exc.strerror or exc})") from exc
        raise


def describe(planned: Sequence[FileFix], findings: Sequence[Finding], written: set[str] | None = None) -> str:
    """What the fixes did (or, for a preview, would do), in lines for a terminal.

    ``written`` holds the paths actually written; None means a preview.
    """
    owners: dict[Fix, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None:
            owners.setdefault(finding.fix, []).append(finding)
    lines: list[str] = []
    done = [f for f in planned if f.changed and (written is None or f.path in written)]
    fixed = [finding for file_fix in done for fix in file_fix.applied for finding in owners.get(fix, [])]
    if done:
        verb = "Fixed" if written is not None else "Would fix"
        lines.append(f"{verb} {counted(len(fixed), 'problem')} in {counted(len(done), 'file')}:")
        for file_fix in done:
            rules = ", ".join(f"{finding.rule} (line {finding.line})" for fix in file_fix.applied
                              for finding in owners.get(fix, []))
            lines.append(f"  {file_fix.path}: {rules}")
    refused = [f for f in planned if f.changed and written is not None and f.path not in written]
    skipped = [(f.path, s) for f in planned for s in f.skipped]
    if refused or skipped:
        lines.append("Not fixed:")
        for file_fix in refused:
            lines.append(f"  {file_fix.path}: not a regular file inside the checked folder")
        for path, skip in skipped:
            for finding in owners.get(skip.fix, []):
                lines.append(f"  {path}:{finding.line} {finding.rule}: {skip.reason}")
    if not lines:
        lines.append("Nothing to fix.")
    return "\n".join(lines) + "\n"
