"""What a change touched: files, their status, and the head lines inside its hunks.

Both the command line (``git diff`` of a local clone) and the bot (GitHub's
``pulls/{n}/files`` patches) describe a change with ``ChangedFile``. The
head-side lines of each hunk are the lines a review may comment on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class ChangedFile:
    """One file of a change.

    ``status`` is GitHub's word: added, removed, modified, renamed, copied,
    changed or unchanged. ``added_lines`` are head lines the change wrote;
    ``hunk_lines`` are all head lines shown in the hunks (added and context),
    where GitHub accepts review comments. ``patch_missing`` is set when the
    diff was not available (binary or very large files).
    """

    path: str
    status: str = "modified"
    previous_path: str | None = None
    added_lines: frozenset[int] = field(default_factory=frozenset)
    hunk_lines: frozenset[int] = field(default_factory=frozenset)
    patch_missing: bool = False

    @property
    def whole_file_changed(self) -> bool:
        """Added files, and files whose diff is unknown, count as changed throughout."""
        return self.status == "added" or self.patch_missing


def parse_patch(path: str, patch: str | None, status: str = "modified",
                previous_path: str | None = None) -> ChangedFile:
    """Read a unified diff body (GitHub's ``patch`` field) into a ``ChangedFile``."""
    if patch is None:
        return ChangedFile(path, status, previous_path, patch_missing=status not in ("removed",))
    added: set[int] = set()
    shown: set[int] = set()
    new_line = 0
    for line in patch.splitlines():
        match = _HUNK.match(line)
        if match:
            new_line = int(match.group(3))
            continue
        if not new_line and not line.startswith("@@"):
            continue  # header lines before the first hunk (git diff output)
        if line.startswith("+"):
            added.add(new_line)
            shown.add(new_line)
            new_line += 1
        elif line.startswith(" ") or line == "":
            shown.add(new_line)
            new_line += 1
        # "-" lines and "\ No newline at end of file" do not advance the head side
    return ChangedFile(path, status, previous_path, frozenset(added), frozenset(shown))


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _diff_path(text: str, prefix: str = "") -> str:
    """A path as git diff writes it: C-quoted when unusual (``"caf\\303\\251.yaml"``), a tab after
    names with spaces, and the ``a/``/``b/`` prefix."""
    text = text.rstrip("\t")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        raw, inner, index = bytearray(), text[1:-1], 0
        while index < len(inner):
            char = inner[index]
            if char == "\\" and index + 1 < len(inner):
                escaped = inner[index + 1]
                if escaped.isdigit():
                    raw.append(int(inner[index + 1:index + 4], 8) & 0xFF)
                    index += 4
                    continue
                raw.append(_ESCAPES.get(escaped, ord(escaped)))
                index += 2
                continue
            raw.extend(char.encode())
            index += 1
        text = raw.decode("utf-8", "surrogateescape")  # the name as the snapshot reads it
    return text.removeprefix(prefix)


def parse_git_diff(text: str) -> dict[str, ChangedFile]:
    """Split ``git diff -M --unified`` output into ``ChangedFile``s keyed by head path."""
    files: dict[str, ChangedFile] = {}
    for block in re.split(r"^(?=diff --git )", text, flags=re.M):
        if not block.startswith("diff --git "):
            continue
        header, _, body = block.partition("\n@@")
        old = new = None
        status = "modified"
        for line in header.splitlines():
            if line.startswith("--- "):
                old = None if line[4:] == "/dev/null" else _diff_path(line[4:], "a/")
            elif line.startswith("+++ "):
                new = None if line[4:] == "/dev/null" else _diff_path(line[4:], "b/")
            elif line.startswith("rename from "):
                old, status = _diff_path(line[12:]), "renamed"
            elif line.startswith("rename to "):
                new, status = _diff_path(line[10:]), "renamed"
            elif line.startswith("new file mode"):
                status = "added"
            elif line.startswith("deleted file mode"):
                status = "removed"
        if old is None and new is None:  # no hunks (empty or binary files): names from the first line
            first = header.split("\n", 1)[0][len("diff --git "):]
            quoted = re.fullmatch(r'(?:"a/.*"|a/.*) ("b/.*"|b/.*)', first)
            new = _diff_path(quoted.group(1), "b/") if quoted else None
            old = new
        patch = "@@" + body if body else ""
        if status == "removed":
            path = old or ""
            files[path] = ChangedFile(path, "removed")
            continue
        path = new or old or ""
        files[path] = parse_patch(path, patch, status, old if status == "renamed" else None)
    return files
