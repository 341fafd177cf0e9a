"""Flux's postBuild variable substitution, read the way kustomize-controller reads it.

kustomize-controller runs a fork of drone/envsubst (fluxcd/pkg ``envsubst``)
over the YAML of every rendered object. Rules need to know, for one string,
which variables it references, which of them carry a default, and which
spans Flux cannot parse at all (a parse error fails the whole
Kustomization). This module answers that without evaluating anything.

Facts it follows (fluxcd/pkg envsubst ``parse``, ``template``):

- ``$$`` is an escape: ``$${var}`` is the literal text ``${var}``.
- A bare ``$var`` is plain text; only ``${...}`` is parsed.
- After ``${`` comes ``#`` (length) or a name of letters, digits and
  underscores; anything else (``${{``, ``${ var}``, ``${}``) is a parse error.
- After the name: ``}`` (bare), ``:=``, ``:-``, ``:?``, ``:+``, ``=`` (the
  default operators), ``:offset``, ``,``/``^`` (case), ``/`` (replace),
  ``#``/``%`` (trim). Anything else, notably ``${var-default}``, is a
  parse error ("missing closing brace").
- Arguments are evaluated before the variable, so ``${a:=${b}}`` reads
  ``b`` even when ``a`` is set.
- Under strict substitution only the default operators tolerate an unset
  variable; ``${var}``, ``${#var}``, ``${var^^}`` and the others fail.
- Variable names given to substitution (``substitute`` keys, the keys of
  ``substituteFrom`` ConfigMaps and Secrets) must match
  ``^[_[:alpha:]][_[:alpha:][:digit:]]*$`` or every object fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

VARIABLE_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
DEFAULT_OPERATORS = frozenset(("-", "+", "=", "?", ":-", ":+", ":=", ":?"))
DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
DISABLED = "disabled"


@dataclass(frozen=True)
class Reference:
    """One ``${...}`` that reads a variable; ``operator`` is ``""`` for a bare ``${name}``."""

    name: str
    operator: str
    start: int
    end: int

    @property
    def has_default(self) -> bool:
        """True when the expression supplies a value of its own when the variable is unset."""
        return self.operator in DEFAULT_OPERATORS


@dataclass(frozen=True)
class SyntaxProblem:
    """A ``${`` Flux cannot parse; ``dash_default`` names the variable of a ``${var-default}``."""

    start: int
    reason: str
    dash_default: str | None = None


@dataclass(frozen=True)
class Parsed:
    """The references and parse errors of one string."""

    references: tuple[Reference, ...]
    problems: tuple[SyntaxProblem, ...]


class _Error(Exception):
    def __init__(self, start: int, reason: str, dash_default: str | None = None) -> None:
        super().__init__(reason)
        self.problem = SyntaxProblem(start, reason, dash_default)


def valid_name(name: str) -> bool:
    """True when Flux accepts ``name`` as a substitution variable name."""
    return bool(VARIABLE_NAME.match(name))


def has_placeholder(text: str) -> bool:
    """Cheap test before parsing: could this string hold a substitution at all?"""
    return "${" in text


@lru_cache(maxsize=4096)
def parse(text: str) -> Parsed:
    """Every variable reference of ``text`` and the first parse error, as Flux would meet them.

    Flux stops at the first error of an object, so at most one problem is
    returned; references seen before it are kept. Parsed once per text (the answer is
    immutable): both substitution rules read the same strings, and repositories repeat them.
    """
    if "${" not in text:
        return Parsed((), ())
    references: list[Reference] = []
    i, length = 0, len(text)
    while i < length:
        if text.startswith("$$", i):
            i += 2  # escape: the second dollar is literal text
            continue
        if text.startswith("${", i):
            try:
                i = _parse_expression(text, i, references)
            except _Error as error:
                return Parsed(tuple(references), (error.problem,))
            continue
        i += 1
    return Parsed(tuple(references), ())


def substitute(text: str, variables: Mapping[str, str]) -> str | None:
    """``text`` with its ``${...}`` replaced as Flux would, or None when that cannot be known here.

    Only the forms whose result is certain are evaluated: ``${name}`` and the
    default operators (``${name:=d}``, ``${name:-d}``, ``${name=d}`` give ``d``
    when the variable is unset or empty). A variable that is not in
    ``variables``, nested expressions, ``$$`` escapes and the other operators
    make the answer unknown: the caller treats the value as unknown, never as
    literal text.
    """
    parsed = parse(text)
    if parsed.problems or "$$" in text:
        return None
    out, last = [], 0
    for ref in parsed.references:
        if ref.start < last:
            return None  # nested: ${a:=${b}}
        expression = text[ref.start:ref.end]
        value = variables.get(ref.name)
        if ref.operator == "":
            if value is None:
                return None
        elif ref.operator in (":=", ":-", "="):
            default = expression[2 + len(ref.name) + len(ref.operator):-1]
            if "${" in default:
                return None
            value = value if value else default
        else:
            return None
        out.append(text[last:ref.start])
        out.append(value)
        last = ref.end
    out.append(text[last:])
    return "".join(out)


def _is_ident(char: str) -> bool:
    return char.isalnum() or char == "_"


def _parse_expression(text: str, start: int, references: list[Reference]) -> int:
    """Parse ``${...}`` starting at ``start``; return the index after its closing brace."""
    i = start + 2
    length = len(text)
    if i < length and text[i] == "#":
        j = i + 1
        while j < length and _is_ident(text[j]):
            j += 1
        if j == i + 1 or j >= length or text[j] != "}":
            raise _Error(start, "bad substitution")
        references.append(Reference(text[i + 1:j], "#", start, j + 1))
        return j + 1
    j = i
    while j < length and _is_ident(text[j]):
        j += 1
    name = text[i:j]
    if not name:
        raise _Error(start, "unable to parse variable name")
    nxt = text[j] if j < length else ""
    if nxt == "}":
        references.append(Reference(name, "", start, j + 1))
        return j + 1
    if nxt == ":" and j + 1 < length and text[j + 1] in "=-?+":
        operator = text[j:j + 2]
    elif nxt == "=":
        operator = "="
    elif nxt == ":":
        operator = ":"
    elif nxt in (",", "^"):
        operator = nxt + (nxt if j + 1 < length and text[j + 1] == nxt else "")
    elif nxt in ("/", "#", "%"):
        operator = nxt
    elif nxt == "-":
        raise _Error(start, "missing closing brace: `${var-default}` is not supported", name)
    else:
        raise _Error(start, "missing closing brace")
    end = _parse_arguments(text, j + len(operator), start, references)
    references.append(Reference(name, operator, start, end))
    return end


def _parse_arguments(text: str, i: int, start: int, references: list[Reference]) -> int:
    """Skip the arguments of a function up to its closing brace, collecting nested references."""
    length = len(text)
    while i < length:
        if text.startswith("${", i):
            i = _parse_expression(text, i, references)
            continue
        if text[i] == "}":
            return i + 1
        i += 1
    raise _Error(start, "missing closing brace")


def dash_default_fixed(line: str, names: set[str] | None = None) -> str:
    """``line`` with every ``${var-default}`` turned into ``${var:=default}`` (escapes kept)."""

    def replace(match: re.Match[str]) -> str:
        dollars, name = match.group(1), match.group(2)
        if len(dollars) % 2 == 0 or (names is not None and name not in names):
            return match.group(0)
        return f"{dollars}{{{name}:="

    return re.sub(r"(\$+)\{([_\w]+)-", replace, line)


def substitution_disabled(labels: object, annotations: object) -> bool:
    """True when an object opts out with ``kustomize.toolkit.fluxcd.io/substitute: disabled``."""
    return any(isinstance(mapping, dict) and mapping.get(DISABLE_KEY) == DISABLED
               for mapping in (labels, annotations))
