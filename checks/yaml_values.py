"""YAML values that remember where they were written: composed nodes turned into ``YMap``/``YSeq``.

Every key, value and item keeps the file and the first and last line it was written on (as
editors count lines), so a finding lands on its line and a fix is an edit of known lines. The
conversion stays within the caps ``checks.yaml_docs`` sets: nesting depth, and the number of
values alias expansion may produce (a YAML bomb is refused without being expanded).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from checks.findings import Finding, Severity

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 200
DEFAULT_MAX_VALUES = 1_000_000

_BOOL_TRUE = frozenset(("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"))
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_MERGE = _TAG + "merge"
_INT, _BOOL, _NULL, _FLOAT, _BINARY = (_TAG + name for name in ("int", "bool", "null", "float", "binary"))


@dataclass(frozen=True)
class YamlLimits:
    """Caps on what one file may cost."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_values: int = DEFAULT_MAX_VALUES


class Pos(NamedTuple):
    """Where a value was written: file and 1-based first and last line.

    A named tuple rather than a dataclass: one is made per value, and tuple
    creation is several times cheaper.
    """

    path: str
    line: int
    end_line: int


class YMap(dict):
    """A mapping that remembers its own position and those of its keys and values."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}

    def set(self, key: Any, value: Any, key_pos: Pos, value_pos: Pos) -> None:
        self[key] = value
        self.key_pos[key] = key_pos
        self.value_pos[key] = value_pos


class YSeq(list):
    """A sequence that remembers its own position and those of its items."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []

    def add(self, value: Any, pos: Pos) -> None:
        self.append(value)
        self.item_pos.append(pos)


class TooBig(Exception):
    """A file beyond the caps: its values are not read (the message says why, on ``line``)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Unusual(Exception):
    """Counting while converting met what only the full size check judges exactly (see ``convert``)."""



def _pos(path: str, node: Node, offset: int = 0) -> Pos:
    """Where a node was written (for collections, prefer the bottom-up position ``_convert_at`` finds)."""
    start = node.start_mark.line + 1 + offset
    if node.__class__ is not ScalarNode and node.value and not node.flow_style:
        last = node.value[-1][1] if node.__class__ is MappingNode else node.value[-1]
        if last.start_mark.index > node.start_mark.index:
            return _new_pos(Pos, (path, start, _pos(path, last, offset).end_line))
    end_mark = node.end_mark
    end = end_mark.line + 1 + offset
    # A block scalar ends at column 0 of the line after its last line.
    if end > start and end_mark.column == 0:
        end -= 1
    return _new_pos(Pos, (path, start, end))


_new_pos = tuple.__new__
_new_map, _new_list = dict.__new__, list.__new__  # YMap, YSeq without a Python-level __init__


def _at(lines: dict[int, Pos], path: str, offset: int, node: Node) -> Pos:
    """Where a scalar was written; a one-line position is made once per line (``lines``) and shared."""
    line, end_mark = node.start_mark.line, node.end_mark  # a block scalar ends at column 0 after it
    if end_mark.line == line or (end_mark.line == line + 1 and not end_mark.column):
        pos = lines.get(line)
        if pos is None:
            pos = lines[line] = _new_pos(Pos, (path, line + 1 + offset, line + 1 + offset))
        return pos
    return _pos(path, node, offset)


class Converter:
    """Turns composed nodes into positioned containers, within the caps."""

    def __init__(self, path: str, limits: YamlLimits, problems: list[Finding], line_offset: int = 0) -> None:
        self.path = path
        self.offset = line_offset
        self.limits = limits
        self.problems = problems
        self.seen: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.totals: dict[int, int] = {}  # expanded sizes of the collections converted while counting
        self.counting = False
        self.duplicates: list[tuple[YMap, Any, int, int]] = []
        self.tracking = True
        self.documents = 0
        self.constructor: yaml.constructor.SafeConstructor | None = None  # made when a float or odd int needs it
        self.lines: dict[int, Pos] = {}  # one-line positions by 0-based line, shared by the values written there

    def pos(self, node: Node) -> Pos:
        return _pos(self.path, node, self.offset)

    def convert(self, node: Node, depth: int, has_aliases: bool = True) -> Any:
        """A document's value, once it is known to stay within the caps.

        A document with aliases is converted while its expanded size is counted, in one walk
        (conversion shares an aliased value, so it costs no more than the nodes). Anything that
        only the separate size walk judges exactly (a collection near the depth cap, an alias of
        a value still being converted, a collection as a key, a size above the cap) drops the
        attempt for that walk and then a plain conversion, so every refusal is the one it was.
        """
        self.tracking = has_aliases
        if has_aliases:
            self.counting = True
            try:
                root = self._convert(node, depth)
            except _Unusual:
                self.seen.clear()
                self.duplicates.clear()
                self.counting = False
                root = self._convert_checked(node, depth)
            finally:
                self.counting = False
        else:
            root = self._convert(node, depth)
        if self.duplicates:
            self._report_duplicates(root)
        self.documents += 1
        return root

    def _convert_checked(self, node: Node, depth: int) -> Any:
        if self._expanded_size(node, 0) > self.limits.max_values:
            raise TooBig(
                f"alias expansion would produce more than {self.limits.max_values:,} values "
                "(a YAML bomb?); the file was not read.",
                node.start_mark.line + 1 + self.offset,
            )
        return self._convert(node, depth)

    def _report_duplicates(self, root: Any) -> None:
        """Duplicate keys become findings keyed by their key path, never by a line number."""
        paths = _container_paths(root)
        for mapping, key, line, first_line in self.duplicates:
            where = paths.get(id(mapping), "")
            self.problems.append(Finding(
                "structure/duplicate-key", Severity.ERROR, self.path, line,
                f"the key `{key}` appears twice in one mapping (first on line "
                f"{first_line}); Go's YAML parser, which Flux uses, rejects the file, and other tools keep "
                "only the last value. Keep one.",
                key=f"{self.documents}:{where}.{key}" if where else f"{self.documents}:{key}",
            ))
        self.duplicates.clear()

    def _expanded_size(self, node: Node, depth: int) -> int:
        """The number of values the node stands for once every alias is expanded (memoised)."""
        known = self.sizes.get(id(node))
        if known is not None:
            if known < 0:  # still being counted: the value contains an alias of itself, as Go's YAML refuses
                raise TooBig(f"the value on line {node.start_mark.line + 1 + self.offset} holds an alias of itself "
                              "(a recursive alias); Flux cannot read the file.", node.start_mark.line + 1 + self.offset)
            return known
        if depth > self.limits.max_depth:
            raise TooBig(f"values nested deeper than {self.limits.max_depth} levels; the file was not read.",
                          node.start_mark.line + 1 + self.offset)
        self.sizes[id(node)] = -1  # in progress: meeting it again below means a recursive alias
        if isinstance(node, MappingNode):
            total = 1 + sum(self._expanded_size(k, depth + 1) + self._expanded_size(v, depth + 1)
                            for k, v in node.value)
        elif isinstance(node, SequenceNode):
            total = 1 + sum(self._expanded_size(v, depth + 1) for v in node.value)
        else:
            total = 1
        total = min(total, self.limits.max_values + 1)
        self.sizes[id(node)] = total
        return total

    def _convert(self, node: Node, depth: int) -> Any:
        return self._convert_at(node, depth)[0]

    def _convert_at(self, node: Node, depth: int) -> tuple[Any, Pos]:
        """The value of a node and where it was written.

        The hot loop of loading. A block collection's end mark is the next token
        (a sibling key, a comment or blank lines away), so its last line is taken
        from its last child, computed bottom-up in the same pass.
        """
        if self.tracking:
            known = self.seen.get(id(node))
            if known is not None:
                if self.counting and id(node) not in self.totals:
                    raise _Unusual  # an alias of a value still being converted: a recursive alias
                return known, known.pos
        path, offset, lines = self.path, self.offset, self.lines
        if node.__class__ is ScalarNode:
            return (node.value if node.tag == _STR else self._scalar(node)), _at(lines, path, offset, node)
        if depth >= self.limits.max_depth:
            if self.counting:
                raise _Unusual  # its values may lie beyond the depth cap
            if depth > self.limits.max_depth:
                raise TooBig(f"values nested deeper than {self.limits.max_depth} levels; the file was not read.",
                              node.start_mark.line + 1 + offset)
        tracking = self.tracking  # only an alias can meet a collection before its position is known
        if tracking:
            start = node.start_mark.line + 1 + offset
            placeholder = _new_pos(Pos, (path, start, start))
        if node.__class__ is SequenceNode:
            seq = _new_list(YSeq)
            seq.item_pos = []
            if tracking:
                seq.pos = placeholder
                self.seen[id(node)] = seq
            items = seq.item_pos
            # Without aliases every item is written after the one before it; an alias may point back.
            last_written, bound = True, node.start_mark.index if tracking else 0
            for item in node.value:
                if item.__class__ is ScalarNode:  # _at, inlined as for the values of a mapping
                    seq.append(item.value if item.tag == _STR else self._scalar(item))
                    line, end_mark = item.start_mark.line, item.end_mark
                    end = end_mark.line
                    if end == line or (end == line + 1 and not end_mark.column):
                        item_pos = lines.get(line)
                        if item_pos is None:
                            item_pos = lines[line] = _new_pos(Pos, (path, line + 1 + offset, line + 1 + offset))
                    else:
                        item_pos = _pos(path, item, offset)
                else:
                    value, item_pos = self._convert_at(item, depth + 1)
                    seq.append(value)
                items.append(item_pos)
                if tracking:
                    index = item.start_mark.index
                    last_written = index > bound
                    if last_written:
                        bound = index
            # _collection_pos, inlined (as below for a mapping): it runs for every collection
            start = node.start_mark.line + 1 + offset
            if items and last_written and not node.flow_style:
                end = items[-1].end_line
                end = end if end > start else start
            else:
                end_mark = node.end_mark
                end = end_mark.line + 1 + offset
                if end > start and end_mark.column == 0:
                    end -= 1
            seq.pos = _new_pos(Pos, (path, start, end))
            if self.counting:
                self._count(node, 1 + sum(self.totals.get(id(item), 1) for item in node.value))
            return seq, seq.pos
        mapping = _new_map(YMap)
        mapping.key_pos, mapping.value_pos = {}, {}
        if tracking:
            mapping.pos = placeholder
            self.seen[id(node)] = mapping
        key_positions, value_positions = mapping.key_pos, mapping.value_pos
        merges: list[YMap] = []
        last_pos = None
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                key = key_node.value
            elif key_node.tag == _MERGE:
                merged, last_pos = self._convert_at(value_node, depth + 1)
                merges.extend(m for m in (merged if isinstance(merged, list) else [merged]) if isinstance(m, YMap))
                continue
            else:
                if self.counting and key_node.__class__ is not ScalarNode:
                    raise _Unusual  # a collection as a key: its text is made only once its size is known
                key = self._convert(key_node, depth + 1)
                if not _hashable(key):
                    key = str(key)
            if key_node.__class__ is ScalarNode:  # _at, inlined: it runs for every key and scalar value
                line, end_mark = key_node.start_mark.line, key_node.end_mark
                end = end_mark.line
                if end == line or (end == line + 1 and not end_mark.column):
                    key_pos = lines.get(line)
                    if key_pos is None:
                        key_pos = lines[line] = _new_pos(Pos, (path, line + 1 + offset, line + 1 + offset))
                else:
                    key_pos = _pos(path, key_node, offset)
            else:
                key_pos = _pos(path, key_node, offset)
            if key in mapping:
                self.duplicates.append((mapping, key, key_pos.line, key_positions[key].line))
            if value_node.__class__ is ScalarNode:
                mapping[key] = value_node.value if value_node.tag == _STR else self._scalar(value_node)
                line, end_mark = value_node.start_mark.line, value_node.end_mark
                end = end_mark.line
                if end == line or (end == line + 1 and not end_mark.column):
                    last_pos = lines.get(line)
                    if last_pos is None:
                        last_pos = lines[line] = _new_pos(Pos, (path, line + 1 + offset, line + 1 + offset))
                else:
                    last_pos = _pos(path, value_node, offset)
            else:
                mapping[key], last_pos = self._convert_at(value_node, depth + 1)
            key_positions[key] = key_pos
            value_positions[key] = last_pos
        for merged in merges:
            for key, value in merged.items():
                if key not in mapping:
                    mapping.set(key, value, merged.key_pos[key], merged.value_pos[key])
        # Of the last entry (the last merge or key): whether its value was written after its key, not an alias.
        # Without aliases a value is always written after its key (``last_pos`` is None without entries).
        last_written = not tracking or (
            bool(node.value) and node.value[-1][1].start_mark.index > node.value[-1][0].start_mark.index)
        start = node.start_mark.line + 1 + offset
        if last_pos is not None and last_written and not node.flow_style:
            end = last_pos.end_line
            end = end if end > start else start
        else:
            end_mark = node.end_mark
            end = end_mark.line + 1 + offset
            if end > start and end_mark.column == 0:
                end -= 1
        mapping.pos = _new_pos(Pos, (path, start, end))
        if self.counting:  # every key is a scalar here: one value each
            self._count(node, 1 + sum(1 + self.totals.get(id(value), 1) for _, value in node.value))
        return mapping, mapping.pos

    def _count(self, node: Node, total: int) -> None:
        """Record a collection's expanded size (its aliases counted in full), within the cap."""
        if total > self.limits.max_values:
            raise _Unusual
        self.totals[id(node)] = total

    def _scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR or node.style:
            return value
        if tag == _INT:
            try:
                return int(value.replace("_", ""), 10)
            except ValueError:
                return self._construct(node)
        if tag == _BOOL:
            return value in _BOOL_TRUE
        if tag == _NULL:
            return None
        if tag == _FLOAT:
            return self._construct(node)
        if tag == _BINARY:
            try:
                return base64.b64decode(value)
            except ValueError:
                return value
        return value  # timestamps, `=`, and unknown tags stay text, as Kubernetes reads them

    def _construct(self, node: ScalarNode) -> Any:
        if self.constructor is None:
            self.constructor = yaml.constructor.SafeConstructor()
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, IndexError):  # `!!int abc`, `!!int` alone, an integer of 4,301 digits
            return node.value


def relocated(value: Any, path: str, delta: int) -> Any:
    """A copy of a loaded value as if written in ``path``, ``delta`` lines further down.

    The same YAML text embedded in several files (each cluster's copy of one inline patch) is
    parsed once and moved. Scalars are shared; a collection that aliases made shared stays one
    copy (each distinct container is copied once, so an alias never expands).
    """
    return _Relocation(path, delta).copy(value)


class _Relocation:
    def __init__(self, path: str, delta: int) -> None:
        self.path = path
        self.delta = delta
        self.copies: dict[int, Any] = {}
        self.moved: dict[Pos, Pos] = {}  # one-line positions are shared by every value on their line

    def move(self, pos: Pos) -> Pos:
        new = self.moved.get(pos)
        if new is None:
            new = self.moved[pos] = _new_pos(Pos, (self.path, pos.line + self.delta, pos.end_line + self.delta))
        return new

    def copy(self, value: Any) -> Any:
        if not isinstance(value, YMap | YSeq):
            return value
        copy = self.copies.get(id(value))
        if copy is not None:
            return copy
        move = self.move
        if isinstance(value, YMap):
            copy = self.copies[id(value)] = YMap(move(value.pos))
            key_pos, value_pos = value.key_pos, value.value_pos
            for key, item in value.items():
                copy.set(key, self.copy(item), move(key_pos[key]), move(value_pos[key]))
        else:
            copy = self.copies[id(value)] = YSeq(move(value.pos))
            for item, pos in zip(value, value.item_pos, strict=True):
                copy.add(self.copy(item), move(pos))
        return copy


def _container_paths(root: Any) -> dict[int, str]:
    """The key path (``spec.values[0]``) of every mapping and list under a document root."""
    paths: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, where = stack.pop()
        if id(node) in paths:
            continue
        if isinstance(node, dict):
            paths[id(node)] = where
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in node.items())
        elif isinstance(node, list):
            paths[id(node)] = where
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(node))
    return paths


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True

