"""Regular expressions a repository supplies, matched in linear time (RE2).

Patterns written in a pull request (``.sops.yaml`` ``path_regex``, a file's
``encrypted_regex``, ``.sourceignore`` and ``spec.ignore`` globs) must never
be able to stall the reviewer: Python's ``re`` backtracks, so ``(a+)+b`` or
``*a*a*a*a*b`` against a long path holds the interpreter for minutes. RE2
(the engine sops and Go use) matches in time linear in the input and reads
these patterns exactly as sops does; what RE2 refuses (backreferences,
lookarounds) sops refuses too.
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


def compile_linear(pattern: str) -> Matcher | None:
    """The pattern compiled with RE2, or None when RE2 (and so Go) does not accept it."""
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error:
        return None
