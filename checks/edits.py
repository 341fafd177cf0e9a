"""Line edits for building fixes: read a written line, and rewrite, delete or add next to it.

A ``Fix`` replaces whole lines of one file, so the rules build it from the
lines as written. These helpers keep what the user wrote around the edit
(indentation, quotes, a trailing comment) and return None when the line is
not the simple one-line ``key: value`` they expect: no fix is better than a
wrong one. A fix that keeps its line and only adds lines after it can be
combined with another such fix of the same line (see ``checks.fixes``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from checks.findings import Fix
from checks.yaml_docs import Pos

if TYPE_CHECKING:
    from checks.model import KubeObject
    from checks.repo import RepoModel

# A one-line `key: value` (or `- key: value`), with the value's quotes and any comment kept apart.
_SCALAR_LINE = re.compile(r"^(?P<prefix>\s*(?:-\s+)?(?P<key>[A-Za-z]+)\s*:\s*)(?P<quote>[\"']?)(?P<value>[^\"'#]*?)"
                          r"(?P=quote)(?P<rest>\s*(?:#.*)?)$")
_SPEC_LINE = re.compile(r"^\s*spec:\s*(#.*)?$")


def line_text(model: RepoModel, path: str, line: int) -> str | None:
    """The text of one line (1-based, without its line end) of a loaded file, or None."""
    loaded = model.files.get(path)
    if loaded is None:
        return None
    lines = loaded.lines
    return lines[line - 1] if 0 < line <= len(lines) else None


def line_at(model: RepoModel, pos: Pos) -> str | None:
    """The text of the first line of a position, or None."""
    return line_text(model, pos.path, pos.line)


def indentation(text: str) -> str:
    """The spaces a line starts with."""
    return text[: len(text) - len(text.lstrip(" "))]


def is_spec_line(text: str) -> bool:
    """True for a line that is ``spec:`` alone (a comment may follow): a block mapping starts below it."""
    return _SPEC_LINE.match(text) is not None


def in_own_document(obj: KubeObject, pos: Pos) -> bool:
    """True when a position lies in the object's own document (not in a parent's patch)."""
    return pos.path == obj.path and obj.body.pos.line <= pos.line <= obj.body.pos.end_line


def insert_below_fix(path: str, line: int, text: str, added: str) -> Fix:
    """Keep line ``line`` of ``path`` (whose text is ``text``) and add the lines ``added`` below it.

    ``added`` is newline-terminated and already indented.
    """
    return Fix(path, line, line, f"{text}\n{added}")


def replace_value_fix(model: RepoModel, pos: Pos, key: str, new_value: str) -> Fix | None:
    """Rewrite ``key: old`` on one line as ``key: new``, keeping indentation, quotes and comment."""
    text = line_at(model, pos)
    match = _SCALAR_LINE.match(text) if text is not None else None
    if match is None or match["key"] != key:
        return None
    new_line = f"{match['prefix']}{match['quote']}{new_value}{match['quote']}{match['rest']}"
    return Fix(pos.path, pos.line, pos.line, new_line + "\n")


def delete_line_fix(model: RepoModel, pos: Pos, key: str) -> Fix | None:
    """Delete a one-line ``key: value`` (not the first key of a list item, which would break the item)."""
    text = line_at(model, pos)
    match = _SCALAR_LINE.match(text) if text is not None else None
    if match is None or match["key"] != key or match["prefix"].lstrip().startswith("-"):
        return None
    return Fix(pos.path, pos.line, pos.line, "")


def add_sibling_fix(model: RepoModel, pos: Pos, key: str, new_key: str, new_value: str) -> Fix | None:
    """Keep the one-line ``key: value`` at ``pos`` and add ``new_key: new_value`` below it, at its indentation."""
    text = line_at(model, pos)
    match = _SCALAR_LINE.match(text) if text is not None else None
    if text is None or match is None or match["key"] != key:
        return None
    indent = " " * match.start("key")
    return insert_below_fix(pos.path, pos.line, text, f"{indent}{new_key}: {new_value}\n")


def add_spec_field_fix(model: RepoModel, obj: KubeObject, new_key: str, new_value: str) -> Fix | None:
    """Add ``new_key: new_value`` as the first field under the object's own ``spec:`` line."""
    spec = obj.get("spec")
    spec_pos = obj.key_pos("spec")
    if not isinstance(spec, dict) or not spec or not in_own_document(obj, spec_pos):
        return None
    spec_line = line_at(model, spec_pos)
    if spec_line is None or not is_spec_line(spec_line):
        return None
    below = [p for p in (obj.key_pos("spec", key) for key in spec)
             if in_own_document(obj, p) and p.line > spec_pos.line]
    first_line = line_at(model, min(below, key=lambda p: p.line)) if below else None
    if first_line is None:
        return None
    indent = first_line[: len(first_line) - len(first_line.lstrip())]
    return insert_below_fix(spec_pos.path, spec_pos.line, spec_line, f"{indent}{new_key}: {new_value}\n")
