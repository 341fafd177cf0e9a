"""Line numbers as editors, git and GitHub count them, for YAML texts where libyaml counts differently.

libyaml takes U+0085, U+2028 and U+2029 for line breaks; git, GitHub's
diffs and the fixes count only LF, CRLF and CR. After one of those
characters every position libyaml reports would name a line too low, and a
fix or a review comment would land on the wrong line. ``Renumber`` gives
composed nodes marks renumbered from their character index.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import yaml

LINE_BREAK = re.compile(r"\r\n|\r|\n")
OTHER_BREAKS = ("\x85", "\u2028", "\u2029")


def lines(text: str) -> list[str]:
    """The text's lines: LF, CRLF or CR ends a line, nothing else (``str.splitlines`` splits on more)."""
    if not text:
        return []
    if "\r" not in text:  # as every loaded text is (decoding normalises line ends): no pattern to run
        return text.removesuffix("\n").split("\n")
    return LINE_BREAK.split(text.removesuffix("\n").removesuffix("\r"))


def needs_renumbering(text: str) -> bool:
    return not text.isascii() and any(ch in text for ch in OTHER_BREAKS)  # isascii is a flag of the string


class Renumber:
    """Marks of one text, renumbered to editor lines from their character index."""

    def __init__(self, text: str) -> None:
        self.breaks = [m.start() for m in LINE_BREAK.finditer(text)]

    def line(self, index: int) -> int:
        """The 0-based editor line of the character at ``index``."""
        return bisect.bisect_left(self.breaks, index)

    def _mark(self, mark: Any) -> Any:
        return yaml.Mark(mark.name, mark.index, self.line(mark.index), mark.column, None, None)

    def nodes(self, roots: list[Any]) -> None:
        """Give every node reachable from ``roots`` renumbered marks (libyaml's own marks are read-only)."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue  # an alias: the node is shared
            seen.add(id(node))
            node.start_mark, node.end_mark = self._mark(node.start_mark), self._mark(node.end_mark)
            if isinstance(node.value, list):
                for item in node.value:
                    stack.extend(item if isinstance(item, tuple) else (item,))
