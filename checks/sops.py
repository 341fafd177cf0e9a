"""What SOPS has encrypted in a repository, and which `.sops.yaml` rule covers a file.

Flux decrypts any document with a top-level ``sops`` block holding a
``mac`` (kustomize-controller's ``decryption.provider: sops``). SOPS
records in that block which keys it encrypted (``encrypted_regex``,
``unencrypted_suffix`` and their siblings), so a value that should be
``ENC[...]`` but is plain text was added after encryption: the file's MAC
no longer matches and Flux refuses to decrypt it.

``.sops.yaml`` files hold ``creation_rules``; the first rule whose
``path_regex`` matches a file (an unanchored Go regular expression, or no
regex at all) is the one ``sops --encrypt`` uses. SOPS reads the nearest
``.sops.yaml`` up the tree from where it runs, so any configuration in a
folder above a file may be the one that applies.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from checks.linear_regex import Matcher, compile_linear
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml

CONFIG_NAMES = (".sops.yaml", ".sops.yml")
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"


# The form SOPS writes an encrypted value in (getsops/sops aes cipher): anything else is plain text,
# however it looks (a hand-written `ENC[...]` beside a copied `sops:` block encrypts nothing).
_ENCRYPTED = re.compile(r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]")


def is_encrypted_value(value: Any) -> bool:
    """True for a value SOPS wrote: ``ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]``."""
    return isinstance(value, str) and _ENCRYPTED.fullmatch(value.strip()) is not None


def sops_metadata(root: Any) -> dict[str, Any] | None:
    """The ``sops`` block of a document when SOPS encrypted it (a mapping with a ``mac``)."""
    if not isinstance(root, dict):
        return None
    block = root.get("sops")
    if isinstance(block, dict) and "mac" in block:
        return block
    return None


def is_sops_document(root: Any) -> bool:
    """True when Flux would treat the document as SOPS-encrypted."""
    return sops_metadata(root) is not None


def is_sops_text(text: str) -> bool:
    """True for SOPS files that are not YAML mappings: JSON, dotenv and INI stores."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            loaded = json.loads(stripped)
        except ValueError:
            return False
        return is_sops_document(loaded)
    dotenv = re.search(r"^sops_mac\s*=", text, re.M)
    ini = re.search(r"^\[sops\]\s*$", text, re.M) and re.search(r"^mac\s*=", text, re.M)
    return bool(dotenv or ini)


@lru_cache(maxsize=1024)
def go_regex(pattern: str) -> Matcher | None:
    """Compile a Go (RE2) regular expression as sops reads it, or None when Go would not accept it.

    Compiled with RE2 itself: the same syntax (inline flags such as ``(?i)``
    anywhere), and matching in linear time whatever the pattern. Compiled once per
    pattern: every encrypted file of a repository usually records the same one.
    """
    return compile_linear(pattern)


@dataclass(frozen=True)
class EncryptionSettings:
    """Which keys SOPS encrypts, as recorded in a file's ``sops`` block."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: Matcher | None = None
    encrypted_regex: Matcher | None = None
    readable: bool = True

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> EncryptionSettings:
        """Read the settings; ``readable`` is False when they cannot be evaluated here."""
        readable = not (meta.get("unencrypted_comment_regex") or meta.get("encrypted_comment_regex"))
        patterns: dict[str, Matcher | None] = {}
        for field_name in ("unencrypted_regex", "encrypted_regex"):
            text = meta.get(field_name)
            if isinstance(text, str) and text:
                patterns[field_name] = go_regex(text)
                readable = readable and patterns[field_name] is not None
            else:
                patterns[field_name] = None
        unencrypted_suffix = str(meta.get("unencrypted_suffix") or "")
        encrypted_suffix = str(meta.get("encrypted_suffix") or "")
        if not (unencrypted_suffix or encrypted_suffix or patterns["unencrypted_regex"]
                or patterns["encrypted_regex"] or meta.get("unencrypted_regex") or meta.get("encrypted_regex")):
            unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX
        return cls(unencrypted_suffix, encrypted_suffix, patterns["unencrypted_regex"],
                   patterns["encrypted_regex"], readable)

    def should_encrypt(self, keys: tuple[str, ...]) -> bool:
        """SOPS's own decision (``Tree.shouldBeEncrypted``) for a value under these keys."""
        encrypted = True
        if self.unencrypted_suffix and any(k.endswith(self.unencrypted_suffix) for k in keys):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(k.endswith(self.encrypted_suffix) for k in keys)
        if self.unencrypted_regex is not None and any(self.unencrypted_regex.search(k) for k in keys):
            encrypted = False
        if self.encrypted_regex is not None:
            encrypted = any(self.encrypted_regex.search(k) for k in keys)
        return encrypted


@dataclass(frozen=True)
class Leaf:
    """A scalar of a document: the mapping keys above it, its full path, and its value."""

    keys: tuple[str, ...]
    path: tuple[str | int, ...]
    value: Any


def leaves(node: Any, keys: tuple[str, ...] = (), path: tuple[str | int, ...] = ()) -> Iterator[Leaf]:
    """Every scalar under a node; sequence indexes are in ``path`` but not in ``keys`` (as in SOPS)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*keys, str(key)), (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, keys, (*path, index))
    else:
        yield Leaf(keys, path, node)


def unencrypted_leaves(root: dict[str, Any]) -> list[Leaf] | None:
    """Values SOPS would have encrypted that are plain text (None when the settings are unreadable).

    Empty and null values are left out: SOPS leaves them as they are.
    """
    meta = sops_metadata(root)
    if meta is None:
        return None
    settings = EncryptionSettings.from_metadata(meta)
    if not settings.readable:
        return None
    body = {k: v for k, v in root.items() if k != "sops"}
    found = []
    for leaf in leaves(body):
        if leaf.value is None or leaf.value == "" or is_encrypted_value(leaf.value):
            continue
        if settings.should_encrypt(leaf.keys):
            found.append(leaf)
    return found


@dataclass(frozen=True)
class SopsConfig:
    """One ``.sops.yaml``: where it is and the path regexes of its creation rules.

    ``patterns`` holds one entry per creation rule: a compiled regex, or
    None for a rule without ``path_regex`` (it matches every file).
    ``readable`` is False when the file or one of its regexes could not be
    read; coverage is then unknown.
    """

    path: str
    patterns: tuple[Matcher | None, ...]
    readable: bool = True
    # ``path_regex`` values Go's regexp (RE2) refuses, with their lines: sops cannot load the file.
    refused: tuple[tuple[int, str], ...] = ()

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)

    def covers(self, path: str) -> bool:
        """True when a creation rule matches the file (relative to this config, or to the repository)."""
        relative = path[len(self.folder) + 1:] if self.folder and path.startswith(self.folder + "/") else path
        candidates = {relative, path, "/" + path}
        return any(pattern is None or any(pattern.search(c) for c in candidates) for pattern in self.patterns)


def load_sops_configs(snapshot: RepoSnapshot) -> list[SopsConfig]:
    """Every ``.sops.yaml`` of a snapshot with its creation rules."""
    configs = []
    for path in snapshot.paths():
        if path.rpartition("/")[2] not in CONFIG_NAMES:  # basename, asked of every path
            continue
        try:
            loaded = load_yaml(path, snapshot.read(path))
        except OSError:
            configs.append(SopsConfig(path, (), readable=False))
            continue
        root = loaded.docs[0].root if loaded.docs else None
        rules = root.get("creation_rules") if isinstance(root, dict) else None
        if not loaded.ok or not isinstance(rules, list):
            configs.append(SopsConfig(path, (), readable=isinstance(root, dict) and loaded.ok))
            continue
        patterns: list[Matcher | None] = []
        refused: list[tuple[int, str]] = []
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            text = rule.get("path_regex")
            if not text:
                patterns.append(None)
                continue
            compiled = go_regex(str(text))
            if compiled is None:
                positions = getattr(rule, "value_pos", {})
                refused.append((positions["path_regex"].line if "path_regex" in positions else 1, str(text)))
                continue
            patterns.append(compiled)
        configs.append(SopsConfig(path, tuple(patterns), not refused, tuple(refused)))
    return configs


def configs_above(path: str, configs: list[SopsConfig]) -> list[SopsConfig]:
    """The configurations in the file's folder or any folder above it, nearest first."""
    found = []
    for config in configs:
        folder = config.folder
        if not folder or path.startswith(folder + "/"):
            found.append(config)
    return sorted(found, key=lambda c: -len(c.folder))


def is_covered(path: str, configs: list[SopsConfig]) -> bool | None:
    """Whether some ``.sops.yaml`` above a file has a creation rule for it (None: cannot tell)."""
    above = configs_above(path, configs)
    if not above:
        return None
    if any(config.covers(path) for config in above):
        return True
    if not all(config.readable for config in above):
        return None
    return False


def looks_like_sops_name(path: str) -> bool:
    """``secret.sops.yaml``, ``app.sops.env``...: named for SOPS (the ``.sops.yaml`` configuration aside)."""
    name = posixpath.basename(path)
    return name not in CONFIG_NAMES and ".sops." in name and not name.startswith(".sops.")
