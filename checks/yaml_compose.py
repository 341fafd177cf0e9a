"""Composing YAML text into libyaml's nodes: the C composer, and a lenient fallback for duplicate anchors.

``checks.yaml_docs`` turns the nodes into positioned values; this module only parses. The C composer
calls back into Python for every node (tag resolution and the path-resolver hooks), so the resolver
here does the least those callbacks can.
"""

from __future__ import annotations

import operator
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.nodes import Node, ScalarNode, SequenceNode

_Parser = getattr(getattr(yaml, "cyaml", None), "CParser", None)
_STR = "tag:yaml.org,2002:str"


class _FastResolver(yaml.resolver.Resolver):
    """PyYAML's implicit tag resolution, minus the per-node overhead we never use.

    libyaml's composer calls back into Python for every node (resolve, and the
    path-resolver hooks, which are unused). Same answers as ``Resolver``:
    a plain scalar whose first character starts no implicit type is a string,
    and the answer for a short plain scalar is remembered (``_RESOLVED``): keys
    such as ``name`` and ``namespace`` start like ``no`` and ``null`` and would
    otherwise be matched against those patterns in every file.
    """

    # The path-resolver hooks do nothing; C functions that accept their arguments cost less
    # to call than a Python method, and the composer calls both for every node.
    descend_resolver = staticmethod(operator.is_)  # (parent, index) -> ignored
    ascend_resolver = staticmethod(tuple)  # () -> ignored

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                tag = _RESOLVED.get(value)
                if tag is None:
                    tag = _resolve_plain(value)
                    if len(value) <= _REMEMBERED_LENGTH:
                        if len(_RESOLVED) >= _REMEMBERED_VALUES:
                            _RESOLVED.clear()
                        _RESOLVED[value] = tag
                return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


def _resolve_plain(value: str) -> str:
    """The tag of a plain scalar, as PyYAML's implicit resolvers decide it."""
    resolvers = _IMPLICIT.get(value[0] if value else "")
    if resolvers:
        for tag, regexp in resolvers:
            if regexp.match(value):
                return tag
    return _STR


_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# Tags of short plain scalars already resolved: bounded (cleared when full), a few MB at most.
_RESOLVED: dict[str, str] = {}
_REMEMBERED_LENGTH = 64
_REMEMBERED_VALUES = 20_000

if _Parser is not None:

    class _Loader(_Parser, yaml.constructor.SafeConstructor, _FastResolver):
        # Only composes: the constructor's state is never read, nor the resolver's path state
        # (its hooks do nothing), so neither is set up for every file.
        __init__ = _Parser.__init__
else:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


class _LenientComposer(Composer):
    """Python composer over libyaml events that lets a later anchor replace an earlier one.

    Used only when the C composer refuses a duplicate anchor, which Go's YAML
    parser (and therefore Flux) accepts.
    """

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not isinstance(event, yaml.AliasEvent):
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


if _Parser is not None:

    class _FallbackLoader(_LenientComposer, _Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        def __init__(self, stream: Any) -> None:
            _Parser.__init__(self, stream)
            _LenientComposer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        # CParser's own get_node/check_node would bypass the Python composer.
        get_node = Composer.get_node
        check_node = Composer.check_node
        get_single_node = Composer.get_single_node
else:  # pragma: no cover - PyYAML without libyaml

    class _FallbackLoader(_LenientComposer, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                          yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        def __init__(self, stream: Any) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _LenientComposer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def compose_nodes(text: str) -> list[Node]:
    """Compose every document of ``text`` into nodes (C fast path, lenient fallback)."""
    try:
        loader = _Loader(text)
        try:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
            return nodes
        finally:
            loader.dispose()
    except ComposerError as exc:
        if "duplicate anchor" not in str(exc):
            raise
    return list(yaml.compose_all(text, Loader=_FallbackLoader))

