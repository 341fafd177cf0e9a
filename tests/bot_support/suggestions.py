"""Applying a review comment's ```suggestion to a file, as GitHub's "Commit suggestion" button does."""

from __future__ import annotations

import re

_SUGGESTION = re.compile(r"^(?P<fence>`{3,})suggestion\n(?P<content>.*?)^(?P=fence)$", re.S | re.M)


def suggested_text(body: str) -> str | None:
    """The replacement a comment body suggests, or None when it suggests nothing."""
    match = _SUGGESTION.search(body)
    return match["content"] if match else None


def apply_suggestion(text: str, start_line: int | None, line: int, body: str) -> str:
    """``text`` with lines ``start_line``..``line`` (1-based) replaced by the suggestion."""
    replacement = suggested_text(body)
    assert replacement is not None, "the comment carries no suggestion"
    lines = text.splitlines(keepends=True)
    first = start_line or line
    return "".join(lines[:first - 1]) + replacement + "".join(lines[line:])
