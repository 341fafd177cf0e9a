"""Kustomize patches, statically: strategic merge, JSON 6902, and target selectors.

Values written by a patch keep the patch's positions, so a finding about an
effective value (an ``interval`` a parent Kustomization set on its children)
points at the line where that value was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from checks.linear_regex import Matcher, compile_linear
from checks.yaml_docs import Pos, YMap, YSeq

# Built-in list fields that strategic merge merges by key instead of replacing.
# A tuple, not ``YMap | YSeq``: the union written in a call is built anew on every call.
_POSITIONED = (YMap, YSeq)
_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "ports": "containerPort",
    "imagePullSecrets": "name", "hostAliases": "ip", "tolerations": "key",
}
_BUILTIN_GROUPS = {"", "apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io"}


class PatchError(ValueError):
    """A patch that cannot be applied; the message says why."""


def clone(value: Any) -> Any:
    """Deep-copy positioned containers (scalars are immutable and shared)."""
    if isinstance(value, YMap):
        copy = YMap(value.pos)
        for key, item in value.items():
            copy.set(key, clone(item), value.key_pos[key], value.value_pos[key])
        return copy
    if isinstance(value, YSeq):
        seq = YSeq(value.pos)
        for item, pos in zip(value, value.item_pos, strict=True):
            seq.add(clone(item), pos)
        return seq
    return value


@dataclass(frozen=True)
class Selector:
    """A kustomize patch target: every set field must match (names are anchored regexes)."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    label_selector: str | None = None
    annotation_selector: str | None = None

    @classmethod
    def from_mapping(cls, target: Any) -> Selector:
        if not isinstance(target, dict):
            return cls()

        def text(key: str) -> str | None:
            value = target.get(key)
            return None if value in (None, "") else str(value)

        return cls(text("group"), text("version"), text("kind"), text("name"), text("namespace"),
                   text("labelSelector"), text("annotationSelector"))

    def matches(self, body: Any, namespace: str | None) -> bool:
        if not isinstance(body, dict):
            return False
        if self.kind is not None and self.kind != str(body.get("kind") or ""):
            return False  # the kind first: it rules out most objects, asked of every object a build holds
        if self.group is not None or self.version is not None:
            group, _, version = str(body.get("apiVersion") or "").rpartition("/")
            if self.group not in (None, group) or self.version not in (None, version):
                return False
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if self.name is not None and not _regex_match(self.name, str(meta.get("name") or "")):
            return False
        if self.namespace is not None and not _regex_match(self.namespace, namespace or ""):
            return False
        if self.label_selector and not label_selector_matches(self.label_selector, meta.get("labels")):
            return False
        return not (self.annotation_selector
                    and not label_selector_matches(self.annotation_selector, meta.get("annotations")))


def _regex_match(pattern: str, value: str) -> bool:
    """kustomize reads a target's name and namespace as Go regular expressions, anchored; compiled with
    RE2 (linear time: the repository writes them). One Go refuses matches only itself."""
    if _LITERAL.fullmatch(pattern):  # letters, digits, `-` and `_` match only themselves: no RE2 call per object
        return pattern == value
    compiled = _anchored(pattern)
    return compiled.search(value) is not None if compiled is not None else pattern == value


_LITERAL = re.compile(r"[A-Za-z0-9_-]+")


@lru_cache(maxsize=1024)
def _anchored(pattern: str) -> Matcher | None:
    return compile_linear(f"^(?:{pattern})$")


_REQUIREMENT = re.compile(r"\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*")


def label_selector_matches(selector: str, labels: Any) -> bool:
    """Evaluate a Kubernetes label selector string (``a=b,c!=d,e in (f,g),!h``)."""
    labels = labels if isinstance(labels, dict) else {}
    for groups in _requirements(selector):
        if groups is None:
            return False
        negate, key, op, value, set_op, values = groups
        have = labels.get(key)
        if op:
            equal = have is not None and str(have) == value
            if equal == (op == "!="):
                return False
        elif set_op:
            options = {v.strip() for v in values.split(",")}
            inside = have is not None and str(have) in options
            if inside != (set_op == "in"):
                return False
        elif (have is not None) == bool(negate):
            return False
    return True


@lru_cache(maxsize=1024)  # a patch's selector is matched against every object its Kustomization renders
def _requirements(selector: str) -> tuple[tuple[Any, ...] | None, ...]:
    """Each requirement of a selector, parsed (None where it does not parse), in order."""
    found = []
    for part in _split_requirements(selector):
        match = _REQUIREMENT.fullmatch(part)
        found.append(match.groups() if match else None)
    return tuple(found)


def _split_requirements(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def own_copy(value: YMap | YSeq) -> Any:
    """A container's top level copied with its positions exactly as they are; its values stay shared."""
    if isinstance(value, YMap):
        copy = YMap(value.pos)
        copy.update(value)
        copy.key_pos, copy.value_pos = dict(value.key_pos), dict(value.value_pos)
        return copy
    seq = YSeq(value.pos)
    seq.extend(value)
    seq.item_pos.extend(value.item_pos)
    return seq


def private_copy(value: Any) -> Any:
    """A deep copy of a body whose maps keep their position records as they are (a patch copied on write
    leaves records of the keys it removed, as it would in a copy of its own; ``clone`` drops them)."""
    if not isinstance(value, _POSITIONED):
        return value
    copy = own_copy(value)
    for index, item in (copy.items() if isinstance(copy, YMap) else enumerate(copy)):
        if isinstance(item, _POSITIONED):
            copy[index] = private_copy(item)
    return copy


def strategic_merge(target: YMap, patch: YMap, builtin: bool, shared: bool = False) -> None:
    """Merge ``patch`` into ``target`` in place.

    Maps merge recursively, ``null`` deletes, ``$patch: delete|replace``
    directives are honoured, and lists are replaced except the keyed lists
    of built-in Kubernetes kinds (containers by name and the like).
    Custom resources (Flux's kinds among them) get JSON merge semantics.
    With ``shared``, the maps and lists below ``target`` may belong to other
    objects too: each one the patch changes is replaced by its ``own_copy`` first
    (copy on write), so a patch copies what it changes, not the whole object.
    """
    if patch.get("$patch") == "replace":
        target.clear()
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or (isinstance(key, str) and key.startswith("$setElementOrder")):
            continue
        if value is None:
            target.pop(key, None)
            continue
        current = target.get(key)
        if isinstance(value, YMap) and value.get("$patch") == "delete":
            target.pop(key, None)
        elif isinstance(value, YMap) and isinstance(current, YMap) and value.get("$patch") != "replace":
            if shared:
                current = target[key] = own_copy(current)
            strategic_merge(current, value, builtin, shared)
            target.value_pos.setdefault(key, patch.value_pos[key])
        elif builtin and isinstance(value, YSeq) and isinstance(current, YSeq) and key in _MERGE_KEYS:
            if shared:
                current = target[key] = own_copy(current)
            _merge_keyed_list(current, value, _MERGE_KEYS[key], builtin, shared)
        elif isinstance(value, YMap):
            # A new map (or `$patch: replace`): merged into an empty one, so directives
            # and nulls inside it are applied, not copied into the object.
            fresh = YMap(value.pos)
            strategic_merge(fresh, value, builtin)
            target.set(key, fresh, patch.key_pos[key], patch.value_pos[key])
        else:
            target.set(key, clone(value), patch.key_pos[key], patch.value_pos[key])


def _merge_keyed_list(current: YSeq, patch: YSeq, merge_key: str, builtin: bool, shared: bool = False) -> None:
    for item, pos in zip(patch, patch.item_pos, strict=True):
        if not isinstance(item, YMap) or merge_key not in item:
            current.add(clone(item), pos)
            continue
        for index, existing in enumerate(current):
            if isinstance(existing, YMap) and existing.get(merge_key) == item.get(merge_key):
                if item.get("$patch") == "delete":
                    del current[index]
                    del current.item_pos[index]
                else:
                    if shared:
                        existing = current[index] = own_copy(existing)
                    strategic_merge(existing, item, builtin, shared)
                break
        else:
            if item.get("$patch") != "delete":
                current.add(clone(item), pos)


def is_builtin(body: Any) -> bool:
    """True for objects of Kubernetes' own API groups, where keyed list merges apply."""
    api_version = str(body.get("apiVersion") or "") if isinstance(body, dict) else ""
    group = api_version.rpartition("/")[0]
    return group in _BUILTIN_GROUPS or group.endswith(".k8s.io")


def json6902(target: YMap, operations: Any, origin: Pos) -> None:
    """Apply RFC 6902 operations in place; ``PatchError`` names the failing operation."""
    if not isinstance(operations, list):
        raise PatchError("a JSON 6902 patch must be a list of operations")
    for number, op in enumerate(operations, 1):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"operation {number} needs `op` and `path`")
        kind, path = str(op["op"]), str(op["path"])
        value_pos = op.value_pos.get("value", origin) if isinstance(op, YMap) else origin
        if kind in ("add", "replace"):
            _set_pointer(target, path, clone(op.get("value")), value_pos, insert=kind == "add")
        elif kind == "remove":
            _remove_pointer(target, path)
        elif kind in ("move", "copy"):
            value = _get_pointer(target, str(op.get("from", "")))
            if kind == "move":
                _remove_pointer(target, str(op.get("from", "")))
            _set_pointer(target, path, clone(value), value_pos, insert=True)
        elif kind == "test":
            continue
        else:
            raise PatchError(f"operation {number}: unknown op {kind!r}")


def _tokens(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"path {pointer!r} must start with /")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _walk(target: Any, tokens: list[str], pointer: str) -> Any:
    node = target
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path {pointer!r} does not exist")
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError):
                raise PatchError(f"path {pointer!r} does not exist") from None
        else:
            raise PatchError(f"path {pointer!r} does not exist")
    return node


def _get_pointer(target: Any, pointer: str) -> Any:
    return _walk(target, _tokens(pointer), pointer)


def _set_pointer(target: YMap, pointer: str, value: Any, pos: Pos, insert: bool) -> None:
    tokens = _tokens(pointer)
    if not tokens:
        raise PatchError("cannot replace the whole object")
    parent = _walk(target, tokens[:-1], pointer)
    last = tokens[-1]
    if isinstance(parent, YMap):
        parent.set(last, value, pos, pos)
    elif isinstance(parent, YSeq):
        if last == "-":
            parent.add(value, pos)
            return
        try:
            index = int(last)
        except ValueError:
            raise PatchError(f"path {pointer!r}: {last!r} is not a list index") from None
        if insert:
            parent.insert(index, value)
            parent.item_pos.insert(index, pos)
        elif 0 <= index < len(parent):
            parent[index] = value
            parent.item_pos[index] = pos
        else:
            raise PatchError(f"path {pointer!r} does not exist")
    else:
        raise PatchError(f"path {pointer!r} does not exist")


def _remove_pointer(target: YMap, pointer: str) -> None:
    tokens = _tokens(pointer)
    parent = _walk(target, tokens[:-1], pointer)
    last = tokens[-1] if tokens else ""
    if isinstance(parent, YMap) and last in parent:
        del parent[last]
    elif isinstance(parent, YSeq) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
        del parent.item_pos[int(last)]
    else:
        raise PatchError(f"path {pointer!r} does not exist")
