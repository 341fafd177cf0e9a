"""Regular expressions a repository supplies, matched in linear time (RE2).

Patterns written in a pull request (``.sops.yaml`` ``path_regex``, a file's
``encrypted_regex``, ``.sourceignore`` and ``spec.ignore`` globs) must never
be able to stall the reviewer: Python's ``re`` backtracks, so ``(a+)+b`` or
``*a*a*a*a*b`` against a long path holds the interpreter for minutes. RE2
(the engine sops and Go use) matches in time linear in the input and reads
these patterns exactly as sops does; what RE2 refuses (backreferences,
lookarounds) sops refuses too.

RE2 reads UTF-8. A file name that is not UTF-8 (kept with surrogate
escapes) is matched with each stray byte read as U+FFFD, as Go reads a byte
that is not UTF-8: ``.`` matches it, no literal does.
"""

from __future__ import annotations

from typing import Any, Protocol

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is an answer (None), not a line on standard error


class Matcher(Protocol):
    """What callers use of a compiled pattern."""

    def search(self, text: str) -> Any: ...

    def match(self, text: str) -> Any: ...

    def fullmatch(self, text: str) -> Any: ...


class _Linear:
    """An RE2 pattern that also takes text holding surrogate escapes."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    def search(self, text: str) -> Any:
        return self._compiled.search(_utf8(text))

    def match(self, text: str) -> Any:
        return self._compiled.match(_utf8(text))

    def fullmatch(self, text: str) -> Any:
        return self._compiled.fullmatch(_utf8(text))


def _utf8(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def compile_linear(pattern: str) -> Matcher | None:
    """The pattern compiled with RE2, or None when RE2 (and so Go) does not accept it."""
    try:
        return _Linear(re2.compile(_utf8(pattern), _OPTIONS))
    except re2.error:
        return None
