"""Inline suppressions: comments in a file that silence named rules on a line or in the file.

Two forms, both naming the rules they silence::

    interval: 30s  # flux-review: ignore[interval/too-short]

    # flux-review: ignore[interval/too-short, interval/no-retry]
    interval: 30s

    # flux-review: ignore-file[structure/unrendered-file]

``ignore[...]`` as a trailing comment silences its own line; on a line of
its own it silences the next line that is not itself a comment (so several
suppression comments can be stacked above one line). ``ignore-file[...]``
anywhere in a file silences those rules in the whole file. A list is
required: a bare ``ignore`` would also hide every problem a later edit
introduces on that line, so it silences nothing and is reported.

Suppressions are read from the text of the file a finding is reported in,
at the line it is reported on (the line where the value was written), so a
finding that points into a parent's patch is silenced there. A suppression
that silences nothing (a typo in the rule id, a problem since fixed) is
reported as ``structure/unused-suppression`` so dead comments do not pile
up; its fix removes the stale id or the whole comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from checks.findings import Finding, Fix, Severity

UNUSED_RULE_ID = "structure/unused-suppression"

# A YAML comment starts with `#` at the start of a line or after whitespace.
_DIRECTIVE = re.compile(r"(?:^|(?<=\s))#\s*flux-review:\s*(?P<word>ignore[\w-]*)(?P<rest>.*)$")
_LIST = re.compile(r"^\s*\[(?P<ids>[^\]]*)\]")
_KINDS = {"ignore": "line", "ignore-file": "file"}


@dataclass
class Suppression:
    """One ``# flux-review: ignore...`` comment of a file."""

    path: str
    line: int
    kind: str  # "line", "file", or "invalid" (no list, unknown form)
    rule_ids: tuple[str, ...]
    text: str  # the comment as written, from `#`
    targets: frozenset[int] = frozenset()
    used: set[str] = field(default_factory=set)

    @property
    def form(self) -> str:
        return "ignore-file" if self.kind == "file" else "ignore"


@dataclass
class FileSuppressions:
    """The suppressions of one file, indexed for lookup by rule and line."""

    path: str
    lines: list[str]
    all: list[Suppression]
    by_line: dict[int, list[Suppression]]
    whole_file: list[Suppression]

    def silencer(self, rule_id: str, line: int) -> Suppression | None:
        """The suppression that silences ``rule_id`` at ``line``, if any (file-wide ones first)."""
        for suppression in self.whole_file:
            if rule_id in suppression.rule_ids:
                return suppression
        for suppression in self.by_line.get(line, ()):
            if rule_id in suppression.rule_ids:
                return suppression
        return None


def parse_suppressions(path: str, text: str) -> FileSuppressions:
    """Every suppression comment of a file's text, with the lines each one covers."""
    lines = text.split("\n")
    found: list[Suppression] = []
    for number, line in enumerate(lines, 1):
        if "flux-review:" not in line:
            continue
        match = _DIRECTIVE.search(line)
        if match is None:
            continue
        word = match["word"]
        listed = _LIST.match(match["rest"])
        ids = tuple(dict.fromkeys(i.strip() for i in listed["ids"].split(",") if i.strip())) if listed else ()
        kind = _KINDS.get(word, "invalid") if ids else "invalid"
        targets = {number}
        if kind == "line" and not line[:match.start()].strip():
            targets.add(_next_code_line(lines, number))
        found.append(Suppression(path, number, kind, ids, line[match.start():].rstrip(), frozenset(targets)))
    by_line: dict[int, list[Suppression]] = {}
    for suppression in found:
        if suppression.kind == "line":
            for target in suppression.targets:
                by_line.setdefault(target, []).append(suppression)
    return FileSuppressions(path, lines, found, by_line, [s for s in found if s.kind == "file"])


def _next_code_line(lines: list[str], number: int) -> int:
    """The first line after ``number`` (1-based) that is not a comment-only line."""
    for following in range(number + 1, len(lines) + 1):
        if not lines[following - 1].lstrip().startswith("#"):
            return following
    return number


@dataclass
class Outcome:
    """What suppressions did to a list of findings."""

    kept: list[Finding]
    suppressed: list[Finding]
    unused: list[Finding]
    silenced: list[tuple[Finding, Suppression]] = field(default_factory=list)


def apply_suppressions(
    findings: Iterable[Finding],
    texts: Mapping[str, str],
    read_text: Callable[[str], str | None],
    known_rules: Collection[str],
    ran_rules: set[str],
) -> Outcome:
    """Drop the findings a suppression silences and report the suppressions that silence nothing.

    ``texts`` are the files to scan for suppressions (the loaded YAML files);
    ``read_text`` reads any other file a finding is reported in.
    ``known_rules`` are the rule ids a suppression may name; those not in
    ``ran_rules`` (disabled, or needing the base of a change) are never
    called unused: their findings were not looked for.
    """
    parsed: dict[str, FileSuppressions | None] = {}

    def suppressions_of(path: str) -> FileSuppressions | None:
        if path not in parsed:
            text = texts.get(path)
            if text is None:
                text = read_text(path)
            parsed[path] = parse_suppressions(path, text) if text and "flux-review:" in text else None
        return parsed[path]

    kept, suppressed, silenced = [], [], []
    for finding in findings:
        index = suppressions_of(finding.path)
        silencer = index.silencer(finding.rule, finding.line) if index else None
        if silencer is None or finding.rule == UNUSED_RULE_ID:
            kept.append(finding)
        else:
            silencer.used.add(finding.rule)
            suppressed.append(finding)
            silenced.append((finding, silencer))
    for path, text in texts.items():
        if "flux-review:" in text:
            suppressions_of(path)
    unused = [finding for index in parsed.values() if index for suppression in index.all
              for finding in _unused(suppression, index, known_rules, ran_rules)]
    return Outcome(kept, suppressed, unused, silenced)


def _unused(suppression: Suppression, index: FileSuppressions, known_rules: Collection[str],
            ran_rules: set[str]) -> Iterable[Finding]:
    if suppression.kind == "invalid":
        yield _finding(suppression, "syntax", _invalid_message(suppression))
        return
    stale = [rule_id for rule_id in suppression.rule_ids if rule_id not in suppression.used and (
        rule_id not in known_rules or (rule_id in ran_rules and rule_id != UNUSED_RULE_ID))]
    if not stale:
        return
    # Every stale id of one comment gets the same fix, so applying them all is one edit.
    fix = _removal(suppression, stale, index)
    for rule_id in stale:
        if rule_id not in known_rules:
            import difflib  # only for an unknown rule id: not every check pays its import

            close = difflib.get_close_matches(rule_id, list(known_rules), n=1, cutoff=0.75)
            hint = f" Did you mean `{close[0]}`?" if close else " `flux-review rules` lists them."
            message = f"`{suppression.text}` names `{rule_id}`, which is not a rule, so it silences nothing.{hint}"
        elif suppression.kind == "file":
            message = (f"`{suppression.text}` silences nothing: no {rule_id} finding in this file. "
                       f"Remove `{rule_id}` from it.")
        else:
            where = " or ".join(str(t) for t in sorted(suppression.targets))
            message = (f"`{suppression.text}` silences nothing: no {rule_id} finding on line {where}. "
                       "Remove it, or move it onto the line of the finding or the line above.")
        yield _finding(suppression, f"{suppression.form}[{rule_id}]", message, fix)


def _invalid_message(suppression: Suppression) -> str:
    if suppression.rule_ids:
        return (f"`{suppression.text}` is not a suppression flux-review reads: use "
                "`# flux-review: ignore[RULE, ...]` for a line or `# flux-review: ignore-file[RULE, ...]` "
                "for the file.")
    return (f"`{suppression.text}` names no rule, so it silences nothing: list the rules it silences, "
            "e.g. `# flux-review: ignore[interval/too-short]`. A blanket ignore would also hide every "
            "problem a later edit brings to that line.")


def _finding(suppression: Suppression, key: str, message: str, fix: Fix | None = None) -> Finding:
    return Finding(UNUSED_RULE_ID, Severity.INFO, suppression.path, suppression.line, message, fix=fix, key=key)


def _removal(suppression: Suppression, stale: list[str], index: FileSuppressions) -> Fix:
    """Drop the stale rule ids from the comment, or the comment (its line, if alone) when none remain."""
    line = index.lines[suppression.line - 1]
    start = line.rfind(suppression.text)
    remaining = [i for i in suppression.rule_ids if i not in stale]
    if remaining:
        listed = "[" + ", ".join(remaining) + "]"
        comment = re.sub(r"\[[^\]]*\]", lambda _: listed, suppression.text, count=1)
        return Fix(suppression.path, suppression.line, suppression.line, line[:start] + comment + "\n")
    before = line[:start].rstrip()
    if not before:
        return Fix(suppression.path, suppression.line, suppression.line, "")
    return Fix(suppression.path, suppression.line, suppression.line, before + "\n")
