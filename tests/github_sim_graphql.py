"""Reading the small part of GraphQL the simulator answers: operations, aliased fields, arguments, variables.

GitHub's GraphQL endpoint takes a document and variables; the bot only
sends mutations such as ``minimizeComment``. Parsing the document for
real (instead of matching a regular expression) lets the simulator answer
exactly the fields asked for, follow aliases and ``$variables``, and
refuse what it does not understand the way GitHub does: HTTP 200 with an
``errors`` list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"""
    (?P<skip>[\s,]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[{}()\[\]:!$=@])
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
""", re.VERBOSE)


class GraphQLError(ValueError):
    """A document the simulator cannot read or will not run; the message is what the answer says."""


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass(frozen=True)
class Enum:
    """An enum value written bare in the document (``OUTDATED``), unlike a quoted string."""

    value: str


@dataclass
class Field:
    name: str
    alias: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    selections: list[Field] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The name the answer uses for this field: its alias when it has one."""
        return self.alias or self.name


@dataclass
class Operation:
    kind: str  # "query" or "mutation"
    name: str | None
    variables: dict[str, str]  # declared variable name -> its type as written
    selections: list[Field]


def parse(document: str) -> Operation:
    """The single operation of ``document``; fragments, directives and subscriptions are refused."""
    tokens = _tokens(document)
    reader = _Reader(tokens)
    operation = reader.operation()
    if not reader.done():
        raise GraphQLError("The simulator answers one operation per document, without fragments")
    return operation


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with every ``$variable`` replaced by its value (GraphQLError when one was not given)."""
    if isinstance(value, Variable):
        if value.name not in variables:
            raise GraphQLError(f"Variable ${value.name} was not provided")
        return variables[value.name]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def _tokens(document: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(document):
        match = _TOKEN.match(document, position)
        if match is None:
            raise GraphQLError(f"Parse error on {document[position:position + 10]!r} at offset {position}")
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "skip":
            tokens.append((kind, match.group()))
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, text: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (text is not None and token != text) or (kind is not None and token_kind != kind) or token_kind == "end":
            raise GraphQLError(f"Parse error on {token or 'end of document'!r} (expected {text or kind})")
        self.at += 1
        return token

    def operation(self) -> Operation:
        kind, name, variables = "query", None, {}
        if self.peek()[1] != "{":
            kind = self.take(kind="name")
            if kind not in ("query", "mutation"):
                raise GraphQLError(f"The simulator does not run {kind!r} operations")
            if self.peek()[0] == "name":
                name = self.take(kind="name")
            if self.peek()[1] == "(":
                variables = self.variable_definitions()
        return Operation(kind, name, variables, self.selection_set())

    def variable_definitions(self) -> dict[str, str]:
        self.take("(")
        declared = {}
        while self.peek()[1] != ")":
            self.take("$")
            name = self.take(kind="name")
            self.take(":")
            declared[name] = self.type_reference()
            if self.peek()[1] == "=":
                raise GraphQLError("Default values of variables are not supported by the simulator")
        self.take(")")
        return declared

    def type_reference(self) -> str:
        if self.peek()[1] == "[":
            self.take("[")
            inner = self.type_reference()
            self.take("]")
            written = f"[{inner}]"
        else:
            written = self.take(kind="name")
        if self.peek()[1] == "!":
            self.take("!")
            written += "!"
        return written

    def selection_set(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "spread" or self.peek()[1] == "@":
                raise GraphQLError("Fragments and directives are not supported by the simulator")
            fields.append(self.field())
        self.take("}")
        if not fields:
            raise GraphQLError("Parse error on \"}\" (an empty selection)")
        return fields

    def field(self) -> Field:
        first = self.take(kind="name")
        alias, name = None, first
        if self.peek()[1] == ":":
            self.take(":")
            alias, name = first, self.take(kind="name")
        arguments = self.arguments() if self.peek()[1] == "(" else {}
        selections = self.selection_set() if self.peek()[1] == "{" else []
        return Field(name, alias, arguments, selections)

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        values = {}
        while self.peek()[1] != ")":
            name = self.take(kind="name")
            self.take(":")
            values[name] = self.value()
        self.take(")")
        return values

    def value(self) -> Any:
        kind, token = self.peek()
        if token == "$":
            self.take("$")
            return Variable(self.take(kind="name"))
        if token == "{":
            self.take("{")
            result = {}
            while self.peek()[1] != "}":
                key = self.take(kind="name")
                self.take(":")
                result[key] = self.value()
            self.take("}")
            return result
        if token == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if kind == "string":
            self.take()
            return json.loads(token)
        if kind == "number":
            self.take()
            return json.loads(token)
        if kind == "name":
            self.take()
            return {"true": True, "false": False, "null": None}.get(token, Enum(token))
        raise GraphQLError(f"Parse error on {token or 'end of document'!r} (expected a value)")
