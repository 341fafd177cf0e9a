"""What the App comments on a pull request: planned from a review, posted by ``bot.pull_review``.

Plain data in, plain data out, so every rule of commenting is testable
without GitHub:

- A finding gets an inline comment only where GitHub accepts one: on a
  head line inside one of the file's hunks (RIGHT side). A range is used
  only when all of it lies in one hunk, so a review is never refused with
  422 for a line outside the diff.
- A ```suggestion is offered only when the finding's fix lies wholly in
  one hunk, and the comment then covers exactly the fixed lines (a
  suggestion replaces the commented range). Secret findings never carry a
  suggestion: their lines hold the value.
- Each comment carries a hidden marker with the fingerprints it speaks
  for. Fingerprints already commented (read back from GitHub) are never
  commented again; comments whose findings are gone are listed as
  resolved.
- Noise control: notices stay in the Check Run unless configured, findings
  of one rule on adjacent lines share a comment, and at most
  ``CommentSettings.max`` comments are posted; the rest are named in the
  review's body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from checks.config import CommentSettings
from checks.diff import ChangedFile
from checks.findings import Finding, Severity, counted, sort_key
from checks.report.markdown import ICONS
from checks.rule_docs import DOCS_URL

MARKER = re.compile(r"<!--\s*flux-review:(?P<kind>fingerprint|resolved)=(?P<prints>[0-9a-f,]+)\s*-->")
MAX_BODY = 65_536
MAX_BODY_LINES = 50


@dataclass(frozen=True)
class PostedComment:
    """A review comment of ours already on the pull request, as read back from GitHub."""

    id: int
    node_id: str
    body: str
    fingerprints: frozenset[str]
    resolved: bool = False


@dataclass(frozen=True)
class InlineComment:
    """One comment to post: on ``line`` (or ``start_line``..``line``) of ``path``, head side."""

    path: str
    line: int
    body: str
    fingerprints: tuple[str, ...]
    start_line: int | None = None
    suggestion: bool = False

    def to_api(self) -> dict[str, object]:
        """The ``comments[]`` entry of GitHub's create-review request."""
        entry: dict[str, object] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}
        if self.start_line is not None:
            entry.update(start_line=self.start_line, start_side="RIGHT")
        return entry


@dataclass(frozen=True)
class CommentPlan:
    """What to do on the pull request for one reviewed head."""

    comments: list[InlineComment] = field(default_factory=list)
    body: str = ""
    resolved: list[PostedComment] = field(default_factory=list)

    @property
    def posts_review(self) -> bool:
        """A review is posted only when it has something new to say inline."""
        return bool(self.comments)


def marker(fingerprints: Iterable[str], kind: str = "fingerprint") -> str:
    return f"<!-- flux-review:{kind}={','.join(fingerprints)} -->"


def read_marker(body: str) -> tuple[frozenset[str], bool] | None:
    """The fingerprints a comment body speaks for and whether it was marked resolved; None without a marker."""
    match = MARKER.search(body or "")
    if match is None:
        return None
    return frozenset(p for p in match["prints"].split(",") if p), match["kind"] == "resolved"


def hunks(change: ChangedFile) -> list[tuple[int, int]]:
    """The head-side line ranges GitHub shows for a file: runs of consecutive hunk lines.

    Hunks of a unified diff with context never touch on the head side (they
    would have been merged), so each run is exactly one hunk.
    """
    ranges: list[tuple[int, int]] = []
    for line in sorted(change.hunk_lines):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def _hunk_of(ranges: Sequence[tuple[int, int]], first: int, last: int) -> tuple[int, int] | None:
    return next(((start, end) for start, end in ranges if start <= first and last <= end), None)


def fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def plan_comments(findings: Sequence[Finding], changes: Mapping[str, ChangedFile],
                  posted: Sequence[PostedComment], settings: CommentSettings, check_url: str = "") -> CommentPlan:
    """Plan the review of one head: new inline comments, the review body, and our comments now resolved."""
    live = [c for c in posted if not c.resolved]
    commented = {p for c in live for p in c.fingerprints}
    current = {f.fingerprint for f in findings}
    resolved = [c for c in live if not c.fingerprints & current]
    eligible = [f for f in findings if settings.notices or f.severity > Severity.INFO]
    ranked = sorted(eligible, key=lambda f: (-int(f.severity), *sort_key(f)))
    inline: list[InlineComment] = []
    elsewhere: list[Finding] = []
    for group in _groups(ranked, changes):
        if any(f.fingerprint in commented for f in group):
            continue  # said already; the Check Run still lists it
        comment = _comment_for(group, changes)
        if comment is None:
            elsewhere.extend(group)
        else:
            inline.append(comment)
    shown, over = inline[:settings.max], inline[settings.max:]
    body = _body(shown, over, elsewhere, check_url) if shown else ""
    return CommentPlan(shown, body, resolved)


def _groups(findings: Sequence[Finding], changes: Mapping[str, ChangedFile]) -> list[list[Finding]]:
    """Findings of one rule on adjacent lines of one file, none offering a fix, share a comment."""
    groups: list[list[Finding]] = []
    open_groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(findings, key=sort_key):
        key = (finding.rule, finding.path)
        group = open_groups.get(key)
        if (group is not None and finding.fix is None and group[-1].fix is None
                and finding.line <= group[-1].last_line + 1):
            group.append(finding)
            continue
        group = [finding]
        open_groups[key] = group
        groups.append(group)
    rank = {id(f): i for i, f in enumerate(findings)}
    return sorted(groups, key=lambda g: min(rank[id(f)] for f in g))


def _comment_for(group: list[Finding], changes: Mapping[str, ChangedFile]) -> InlineComment | None:
    first = group[0]
    change = changes.get(first.path)
    if change is None or change.patch_missing or change.status == "removed":
        return None
    ranges = hunks(change)
    prints = tuple(f.fingerprint for f in group)
    fix = first.fix if len(group) == 1 else None
    if fix is not None and fix.path == first.path and not first.rule.startswith("secrets/") \
            and _hunk_of(ranges, fix.start_line, fix.end_line):
        start = fix.start_line if fix.start_line < fix.end_line else None
        return InlineComment(first.path, fix.end_line, _text(group, fix.replacement), prints, start, True)
    last = max(f.last_line for f in group)
    if _hunk_of(ranges, first.line, last):
        start = first.line if first.line < last else None
        return InlineComment(first.path, last, _text(group, None), prints, start)
    if _hunk_of(ranges, first.line, first.line):
        return InlineComment(first.path, first.line, _text(group, None), prints)
    return None


def _text(group: list[Finding], replacement: str | None) -> str:
    rule = group[0].rule
    worst = max(f.severity for f in group)
    if len(group) == 1:
        head = f"**{ICONS[worst]} {rule}**: {group[0].message}"
    else:
        items = "\n".join(f"- line {f.line}: {f.message}" for f in group)
        head = f"**{ICONS[worst]} {rule}** ({counted(len(group), 'finding')}):\n{items}"
    parts = [head]
    if replacement is not None:
        content = replacement if replacement.endswith("\n") or not replacement else replacement + "\n"
        ticks = fence(content)
        parts.append(f"{ticks}suggestion\n{content}{ticks}")
    parts.append(f"<sub>[About this rule]({DOCS_URL}/{rule}.md) · `/flux-review explain {rule}` · "
                 f"silence here: `# flux-review: ignore[{rule}]`</sub>")
    text = "\n\n".join(parts)
    tail = "\n" + marker(f.fingerprint for f in group)
    if len(text) + len(tail) > MAX_BODY:
        text = text[:MAX_BODY - len(tail) - 1] + "…"
    return text + tail


def _body(shown: Sequence[InlineComment], over: Sequence[InlineComment], elsewhere: Sequence[Finding],
          check_url: str) -> str:
    check = f"[the flux-review check]({check_url})" if check_url else "the flux-review check"
    lines = [f"flux-review: {counted(len(shown), 'new comment')} on the changed lines."]
    if over:
        lines.append(f"{counted(len(over), 'more comment')} would exceed the cap of {len(shown)} per review "
                     f"(`comments.max`); {check} lists every finding.")
    if elsewhere:
        lines.append("")
        lines.append(f"Outside the changed lines ({counted(len(elsewhere), 'finding')}, annotated in {check}):")
        for finding in elsewhere[:MAX_BODY_LINES]:
            lines.append(f"- {ICONS[finding.severity]} `{finding.rule}` `{finding.path}:{finding.line}`: "
                         f"{finding.message}")
        if len(elsewhere) > MAX_BODY_LINES:
            lines.append(f"- and {len(elsewhere) - MAX_BODY_LINES} more")
    text = "\n".join(lines)
    return text if len(text) <= MAX_BODY else text[:MAX_BODY - 1] + "…"


def resolved_body(comment: PostedComment, head_sha: str) -> str:
    """A resolved comment's new body: says so, quotes the finding's first paragraph, and marks it resolved.

    The suggestion is dropped: it would still offer to change lines that no longer need it.
    """
    first = MARKER.sub("", comment.body).strip().split("\n\n", 1)[0]
    tail = "\n" + marker(sorted(comment.fingerprints), kind="resolved")
    quoted = "\n".join(f"> {line}" if line else ">" for line in first.splitlines())
    body = f"✅ Resolved in {head_sha[:12]}: flux-review no longer finds this.\n\n{quoted}"
    if len(body) + len(tail) > MAX_BODY:
        body = body[:MAX_BODY - len(tail) - 1] + "…"
    return body + tail
