"""Lenient, bounded YAML loading where every value remembers where it was written.

Parsing uses libyaml's C composer (the fastest position-aware parse PyYAML offers). Nodes are then turned
(``checks.yaml_values``) into ``YMap``/``YSeq`` containers that carry the file and line of every key and
value, so every finding lands on the exact line (as editors count lines: ``checks.yaml_lines``) and a fix
is an edit of known lines.

Leniency follows what Flux (Go's YAML libraries) accepts: multi-document files, a byte-order mark, CRLF
line ends, anchors defined twice (the later wins), the ``=`` key, merge keys and unknown tags (read as plain
values). Bounds keep hostile files cheap: a size cap, a nesting cap and a cap on the number of values alias
expansion may produce, so a billion-laughs file is rejected in milliseconds instead of being expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from checks import yaml_lines
from checks.findings import Finding, Severity
from checks.yaml_compose import compose_nodes
from checks.yaml_values import Converter, Pos, TooBig, YamlLimits, YMap, YSeq

__all__ = ["Pos", "YMap", "YSeq", "YamlDoc", "YamlFile", "YamlLimits", "compose_nodes", "decode_text", "load_yaml",
           "may_hold_aliases"]

# Where libyaml may start an alias (`*name`) or an anchor (`&name`) token: at the start of a line, or
# after a space, [, {, a comma, a colon or a question mark (in a flow collection `?` starts a key with
# nothing after it: `[?*a]`), followed by a character libyaml takes in a name (letters, digits, `_` and
# `-`: it refuses a file where `*` or `&` starts a token without one, so a `*"` in a quoted cron schedule or
# `&&` in a script is no alias). Written to start with the literal `*` or `&` (and look behind it), which lets
# the regex engine jump from one to the next instead of trying the alternation at every character: 70 times
# faster on real files.
_ALIAS = re.compile(r"\*(?<![^\s\[{,:?]\*)[0-9A-Za-z_-]")
_ANCHOR = re.compile(r"&(?<![^\s\[{,:?]&)[0-9A-Za-z_-]")
_POSITIONED = (YMap, YSeq)
_new_doc = tuple.__new__


class YamlDoc(NamedTuple):
    """One document of a file; ``index`` counts from 0 within the file.

    A named tuple, as ``Pos`` is: one is made per document of every file, without a Python-level ``__init__``.
    """

    path: str
    index: int
    root: Any
    pos: Pos


@dataclass
class YamlFile:
    """A loaded file: its documents, its text, and what went wrong loading it."""

    path: str
    docs: list[YamlDoc] = field(default_factory=list)
    text: str = ""
    problems: list[Finding] = field(default_factory=list)
    # Where each document's root starts in ``text`` (a character index): the text of document i
    # lies between starts[i] and starts[i + 1], so a search of one document needs no line numbers.
    starts: list[int] = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems or not any(p.rule == "structure/yaml-invalid" for p in self.problems)

    @property
    def lines(self) -> list[str]:
        """The text's lines, split once per text: rules and fixes ask for them again and again. Read only."""
        split = self.__dict__.get("_lines")
        if split is None or split[0] is not self.text:
            split = self.__dict__["_lines"] = (self.text, yaml_lines.lines(self.text))
        return split[1]


_BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) and normalise line ends; ``UnicodeError`` otherwise."""
    if data.find(b"\0", 0, 8192) >= 0:  # without copying the first 8 KiB
        raise UnicodeError("binary content (NUL bytes)")
    text = data[3:].decode() if data.startswith(_BOM) else data.decode()  # as utf-8-sig, without its Python codec
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def load_yaml(path: str, data: bytes, limits: YamlLimits | None = None, line_offset: int = 0) -> YamlFile:
    """Load one file; problems become findings, never exceptions.

    ``line_offset`` shifts every position, for YAML embedded in another file
    (an inline patch is a string inside a Kustomization).
    """
    limits = limits or YamlLimits()
    result = YamlFile(path)
    if len(data) > limits.max_bytes:
        result.problems.append(Finding(
            "structure/file-too-large", Severity.INFO, path, 1 + line_offset,
            f"the file is {len(data):,} bytes, above the {limits.max_bytes:,}-byte limit; it was not checked. "
            "Raise `limits.max_file_bytes` in .github/flux-review.yml to check it.",
            key="size",
        ))
        return result
    try:
        result.text = decode_text(data)
    except UnicodeError as exc:
        reason = str(exc) if "binary" in str(exc) else "not valid UTF-8"
        result.problems.append(_invalid(path, 1 + line_offset,
                                        f"not a YAML text file ({reason}); Flux cannot read it."))
        return result
    renumber = yaml_lines.Renumber(result.text) if yaml_lines.needs_renumbering(result.text) else None
    try:
        nodes = compose_nodes(result.text)
        if renumber is not None:
            renumber.nodes(nodes)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = ((renumber.line(mark.index) if renumber else mark.line) + 1 if mark else 1) + line_offset
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        result.problems.append(_invalid(path, line, f"not valid YAML: {problem} (line {line})."))
        return result
    except yaml.YAMLError as exc:
        result.problems.append(_invalid(path, 1 + line_offset, f"not valid YAML: {exc}."))
        return result
    converter = Converter(path, limits, result.problems, line_offset)
    # Without an alias nothing can expand; libyaml already caps nesting at 1000.
    has_aliases = may_hold_aliases(result.text)
    for index, node in enumerate(nodes):
        try:
            root = converter.convert(node, 0, has_aliases)
        except TooBig as exc:
            result.problems.append(_invalid(path, exc.line, str(exc)))
            result.docs.clear()
            result.starts.clear()
            return result
        # Without aliases a collection's own position, found bottom-up, is the document's: not walked again.
        pos = root.pos if not has_aliases and root.__class__ in _POSITIONED else converter.pos(node)
        result.docs.append(_new_doc(YamlDoc, (path, index, root, pos)))
        result.starts.append(node.start_mark.index)
    return result


def may_hold_aliases(text: str) -> bool:
    """False only when libyaml cannot read an alias in ``text``, so its values need no expansion count.

    An alias needs an anchor of the same document before it, so a text without both (``*`` in a cron
    schedule or a glob, ``&`` in a URL's query) is converted without tracking shared values.
    """
    return ("*" in text and "&" in text and _ALIAS.search(text) is not None
            and _ANCHOR.search(text) is not None)


def _invalid(path: str, line: int, message: str) -> Finding:
    return Finding("structure/yaml-invalid", Severity.ERROR, path, line, message, key="parse")
