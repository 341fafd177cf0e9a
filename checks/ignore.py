"""Which files Flux leaves out of an artifact: built-in ignores, `.sourceignore`, `spec.ignore`.

source-controller filters the repository before kustomize-controller ever
walks it. The patterns use gitignore syntax; a pattern read from a
``.sourceignore`` applies to its own folder and below.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from checks.linear_regex import Matcher, compile_linear

# source-controller's defaults: VCS and CI folders, images and archives, SOPS and Flux config files.
DEFAULT_PATTERNS = (
    ".git/", ".gitignore", ".gitmodules", ".gitattributes",
    "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
    ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
    "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
    "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
)
_VCS_PATTERNS = (".git/", ".gitignore", ".gitmodules", ".gitattributes")


@dataclass(frozen=True)
class Pattern:
    """One gitignore line, anchored at ``base`` (a folder, ``""`` for the root)."""

    base: str
    regex: Matcher
    negate: bool
    only_folders: bool
    # The glob's literal pieces: a path it matches holds each, so most paths are refused without RE2.
    needles: tuple[str, ...] = ()


def parse_patterns(text: str, base: str = "") -> list[Pattern]:
    """Turn gitignore text into patterns (comments and blank lines skipped)."""
    return list(_parsed(text, base))


@lru_cache(maxsize=256)  # source-controller's defaults are parsed for every source of every analysis
def _parsed(text: str, base: str) -> tuple[Pattern, ...]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        only_folders = line.endswith("/")
        line = line.rstrip("/")  # a slash that ends it means folders; one that starts it, the source's root
        anchored = "/" in line
        line = line.lstrip("/")
        patterns.append(Pattern(base, _compile(line, anchored), negate, only_folders, _needles(line)))
    return tuple(patterns)


def _needles(glob: str) -> tuple[str, ...]:
    """The literal pieces of a glob, read as ``_compile`` reads it (``**/`` may match nothing, ``/**`` keeps
    its slash); none when a piece holds U+FFFD, which RE2 also matches against a name that is not UTF-8."""
    pieces, current, i = [], "", 0
    while i < len(glob):
        if glob.startswith("**/", i) or (glob.startswith("**", i) and not glob.startswith("/**", i)):
            pieces.append(current)
            current, i = "", i + (3 if glob.startswith("**/", i) else 2)
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            pieces.append(current + "/")
            current, i = "", i + 3
        elif glob[i] in "*?":
            pieces.append(current)
            current, i = "", i + 1
        else:
            current, i = current + glob[i], i + 1
    pieces.append(current)
    return () if any("\ufffd" in p for p in pieces) else tuple(p for p in pieces if p)


# Every piece of a translated glob is escaped, so RE2 accepts it; this never matches, just in case.
_NOTHING: Matcher = compile_linear("[^\\s\\S]")  # type: ignore[assignment]


class _Plain:
    """A glob without wildcards, or ``*`` alone, matched as RE2 matches what ``_compile`` would build.

    Such globs (``/*``, ``!/clusters/``, ``cloudbuild.yaml``) are most of what ``spec.ignore``
    holds, and an RE2 call costs more than the rest of the decision. Anchored, ``^glob$`` is the
    path itself and ``^[^/]*$`` a path without a slash; unanchored, ``^(?:.*/)?glob$`` is the path
    or its end after a slash with no line break before it (RE2's ``.`` stops at one). Only ASCII
    globs: RE2 reads a name that is not UTF-8 with U+FFFD, which a literal could match.
    """

    def __init__(self, glob: str, anchored: bool) -> None:
        self.glob, self.anchored = glob, anchored
        self.tail = "/" + glob

    def match(self, text: str) -> bool:
        if self.glob == "*" and self.anchored:
            return "/" not in text
        if text == self.glob:
            return True
        return not self.anchored and text.endswith(self.tail) and "\n" not in text[:len(text) - len(self.tail)]

    search = fullmatch = match  # anchored at both ends: the three agree


@lru_cache(maxsize=4096)
def _compile(glob: str, anchored: bool) -> Matcher:
    """A gitignore glob as an RE2 expression: the repository writes these, so they must match in
    linear time (``*a*a*a*a*b`` against a long name would backtrack for minutes in Python's ``re``)."""
    if glob.isascii() and (not any(char in glob for char in "*?") or (anchored and glob == "*")):
        return _Plain(glob, anchored)
    return _expression(glob, anchored)


def _expression(glob: str, anchored: bool) -> Matcher:
    """The RE2 expression of a glob: ``**`` crosses folders, ``*`` and ``?`` stay within a name."""
    parts = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            parts.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            parts.append(".*")
            i += 2
        else:
            char = glob[i]
            parts.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    body = "".join(parts)
    prefix = "" if anchored else "(?:.*/)?"
    compiled = compile_linear(f"^{prefix}{body}$")
    return compiled if compiled is not None else _NOTHING


class IgnoreRules:
    """Decides whether a repo path (``folder/`` for folders) is left out of the artifact."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        # Last first, as ``_last_matching`` reads them, each with its folder spelled ``base/`` once.
        self._newest_first = [(index, pattern.base + "/" if pattern.base else "", pattern.only_folders,
                               pattern.needles, pattern.regex)
                              for index, pattern in reversed(list(enumerate(patterns)))]
        self._answers: dict[str, bool] = {}
        self._last_match: dict[tuple[str, bool], int] = {}

    @classmethod
    def for_repository(cls, sourceignores: dict[str, str], spec_ignore: str | None) -> IgnoreRules:
        """Defaults (or only the VCS ones when ``spec.ignore`` is set), then every `.sourceignore`."""
        defaults = _VCS_PATTERNS if spec_ignore is not None else DEFAULT_PATTERNS
        patterns = parse_patterns("\n".join(defaults))
        if spec_ignore is not None:
            patterns += parse_patterns(spec_ignore)
        for path in sorted(sourceignores, key=lambda p: p.count("/")):
            patterns += parse_patterns(sourceignores[path], posixpath.dirname(path))
        return cls(patterns)

    def ignored(self, path: str) -> bool:
        """Whether source-controller leaves ``path`` out of the artifact (``folder/`` for a folder).

        As go-git's gitignore matcher (which source-controller uses) decides it: the
        last pattern that matches the path or any folder above it wins. So `/*`
        followed by `!/kubernetes/main` keeps `kubernetes/main/app.yaml`: the
        negation matches it through its folder, and comes last.
        """
        answer = self._answers.get(path)
        if answer is None:
            answer = self._answers[path] = self._decide(path)
        return answer

    def _decide(self, path: str) -> bool:
        # The last pattern matching any of the path's prefixes decides; folders above are shared by many
        # paths, so the last pattern matching each prefix is computed once.
        is_folder = path.endswith("/")
        parts = path.rstrip("/").split("/")
        last = -1
        for depth in range(1, len(parts) + 1):
            key = ("/".join(parts[:depth]), depth < len(parts) or is_folder)
            found = self._last_match.get(key)
            if found is None:
                found = self._last_match[key] = self._last_matching(*key)
            last = max(last, found)
        return last >= 0 and not self.patterns[last].negate

    def _last_matching(self, path: str, folder: bool) -> int:
        """``_pattern_matches`` for each pattern, last first, without a call per pattern: asked of every
        folder and file a generated kustomization walks."""
        for index, base, only_folders, needles, regex in self._newest_first:
            if only_folders and not folder:
                continue
            if base:
                if not path.startswith(base):
                    continue
                relative = path[len(base):]
            else:
                relative = path
            for needle in needles:
                if needle not in relative:
                    break
            else:
                if regex.match(relative):
                    return index
        return -1


def _pattern_matches(pattern: Pattern, path: str, folder: bool) -> bool:
    if pattern.only_folders and not folder:
        return False
    if pattern.base:
        if not path.startswith(pattern.base + "/"):
            return False
        path = path[len(pattern.base) + 1:]
    for needle in pattern.needles:
        if needle not in path:
            return False
    return bool(pattern.regex.match(path))


class PrefixedRules:
    """Ignore rules of a source whose tree holds this snapshot under ``prefix`` (a snapshot of a subfolder)."""

    def __init__(self, rules: IgnoreRules, prefix: str) -> None:
        self.rules = rules
        self.prefix = prefix

    def ignored(self, path: str) -> bool:
        return self.rules.ignored(posixpath.join(self.prefix, path) if self.prefix else path)


class SourceIgnores:
    """The ignore rules of each source of a repository, built once per ``spec.ignore`` text.

    Every source filters its own artifact: the built-in patterns (or only the VCS
    ones when it has a ``spec.ignore``), its ``spec.ignore``, and the repository's
    `.sourceignore` files.
    """

    def __init__(self, snapshot: Any) -> None:
        self.files: dict[str, str] = {}
        for path in snapshot.paths():
            if path.rpartition("/")[2] == ".sourceignore":
                try:
                    self.files[path] = snapshot.read(path).decode("utf-8", "replace")
                except (OSError, KeyError):
                    continue
        self._built: dict[tuple[str | None, str], PrefixedRules] = {}

    def repository(self, spec_ignore: str | None) -> IgnoreRules:
        """The rules of the repository's own source, as paths of the snapshot read them."""
        return IgnoreRules.for_repository(self.files, spec_ignore)

    def bootstrap(self, objects: Iterable[Any], prefix: str = "") -> IgnoreRules | PrefixedRules:
        """The rules of the bootstrap source (``flux-system/flux-system``): its ``spec.ignore`` when the
        repository writes it, and the `.sourceignore` files; read under ``prefix`` in a snapshot of a subfolder,
        whose patterns speak of the whole repository."""
        spec_ignore = None
        for obj in objects:
            if obj.kind == "GitRepository" and obj.is_flux and (obj.namespace, obj.name) == ("flux-system",) * 2:
                value = obj.get("spec", "ignore")
                spec_ignore = value if isinstance(value, str) else spec_ignore
        return self.of_source(spec_ignore, prefix) if prefix else self.repository(spec_ignore)

    def of_source(self, spec_ignore: str | None, prefix: str = "") -> PrefixedRules:
        """The rules of a source with that ``spec.ignore``; its patterns speak of the whole tree,
        which holds this snapshot under ``prefix``."""
        key = (spec_ignore, prefix)
        if key not in self._built:
            prefixed = {posixpath.join(prefix, path): text for path, text in self.files.items()}
            self._built[key] = PrefixedRules(IgnoreRules.for_repository(prefixed, spec_ignore), prefix)
        return self._built[key]

