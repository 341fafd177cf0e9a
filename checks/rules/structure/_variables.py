"""postBuild substitution as both substitution rules see it: which variables a Kustomization
supplies, and every ``${`` string of the objects it renders, with where it was written.

structure/undefined-variable and structure/substitution-syntax read the same
variables and the same strings; they live here, scanned once per model (the
scan of each object is memoised on the model), rather than twice in two rules.
"""

from __future__ import annotations

import posixpath
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from checks.model import KubeObject
from checks.repo import Cluster, RepoModel
from checks.resourceset import filled_by_operator
from checks.rules.structure._shared import effective_kustomization
from checks.source import normalize
from checks.substitution import has_placeholder
from checks.yaml_docs import Pos, YMap, YSeq

# A tuple, not ``dict | list``: the union written in a call is built anew on every call.
_CONTAINERS = (dict, list)


def line_of(model: RepoModel, pos: Pos, needle: str) -> int:
    """The line inside ``pos`` where ``needle`` was written (block scalars span lines)."""
    loaded = model.files.get(pos.path)
    if loaded is None or pos.end_line <= pos.line:
        return pos.line
    lines = loaded.lines
    for number in range(pos.line, min(pos.end_line, len(lines)) + 1):
        if needle in lines[number - 1]:
            return number
    return pos.line


# -- where ${ is written ----------------------------------------------------------------
def _field(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


@dataclass(frozen=True)
class Text:
    """A string of an object's body that may hold ``${...}``: a value, or a mapping key."""

    field: str
    text: str
    pos: Pos


def _holds_placeholder(node: Any) -> bool:
    """Quick walk before the positioned one: most objects hold no ``${`` at all (plain loops, no
    generator per mapping: asked of the metadata of every object whose file writes no ``${``)."""
    if isinstance(node, str):
        return "${" in node
    if isinstance(node, dict):
        for key in node:
            if isinstance(key, str) and "${" in key:
                return True
        values: Iterable[Any] = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return False
    for value in values:
        if isinstance(value, str):
            if "${" in value:
                return True
        elif isinstance(value, _CONTAINERS) and _holds_placeholder(value):
            return True
    return False


def _may_hold_placeholder(model: RepoModel, obj: KubeObject) -> bool:
    """False when the object's own file shows nothing can hold ``${``, without walking it.

    An object whose values are still those of its own file (no parent patch
    replaced them) can only hold ``${`` if that file's text does (or its metadata).
    """
    loaded = model.files.get(obj.path)
    if loaded is not None and not _file_holds(model, obj.path) and 0 <= obj.doc_index < len(loaded.docs):
        root = loaded.docs[obj.doc_index].root
        if isinstance(root, dict):
            for key, value in obj.body.items():
                if value is not root.get(key) and key != "metadata":
                    return True
            return _holds_placeholder(obj.body.get("metadata"))
    return True


def _file_holds(model: RepoModel, path: str) -> bool:
    """Whether a loaded file's text holds ``${``: asked of every object, answered once per file
    (a file of a thousand documents was otherwise searched a thousand times)."""
    memo = model.memo.setdefault("placeholder_files", {})
    holds = memo.get(path)
    if holds is None:
        loaded = model.files.get(path)
        holds = memo[path] = loaded is not None and "${" in loaded.text
    return holds


def _clean_document(model: RepoModel, obj: KubeObject) -> Any:
    """The root of the object's document as loaded, when its text cannot spell ``${``.

    Every value of that root was written inside the document (YAML aliases never cross
    documents, and loaded values are never changed in place), so whatever the object
    still shares with it holds no ``${``: only what patches and namespaces replaced need
    be walked. A backslash counts as a ``${`` (a double-quoted escape, ``\\x24{`` or a
    line continuation after ``$``, spells it without writing it). None when not known.
    """
    memo = model.memo.setdefault("clean_documents", {})  # a document rendered into several clusters: read once
    where = (obj.path, obj.doc_index)
    if where not in memo:
        memo[where] = _clean_root(model.files.get(obj.path), obj.doc_index)
    return memo[where]


def _clean_root(loaded: Any, index: int) -> Any:
    if loaded is None or not 0 <= index < len(loaded.docs) or len(loaded.starts) != len(loaded.docs):
        return None
    text, starts = loaded.text, loaded.starts
    start = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    if text.find("${", start, end) >= 0 or text.find("\\", start, end) >= 0:
        return None
    return loaded.docs[index].root


def placeholder_texts(model: RepoModel, obj: KubeObject) -> list[Text]:
    """The ``${`` strings of an object, found once per model for both substitution rules.

    An object a ResourceSet generates has none of its own: postBuild substitutes the
    ResourceSet before flux-operator reads it, and its strings are judged there.
    """
    if obj.generated_by:
        return []
    # By body: a document no cluster's patches changed is one body in every cluster that renders it
    # (a body is read from one document, and the model keeps it alive, so its id stays its own).
    texts = model.memo.setdefault("placeholder_texts", {})
    found = texts.get(id(obj.body))
    if found is None:
        found = []
        if _may_hold_placeholder(model, obj):
            _body_texts(model.memo.setdefault("placeholder_parts", {}), obj.body, found,
                        _clean_document(model, obj))
        texts[id(obj.body)] = found
    return found


def _body_texts(parts: dict[tuple[int, Any, Pos | None, int], tuple[Any, Any, list[Text]]], body: Any,
                found: list[Text], clean: Any) -> None:
    """``_texts`` of a body, each of its top-level values walked once per model.

    A file rendered into several clusters gives each an object of its own, with its own
    metadata, but the same ``spec``: its strings are found once (``parts`` keeps the values
    it was asked of alive, so their ids stay theirs).
    """
    if not isinstance(body, dict):
        _texts(body, [], None, found, clean)
        return
    key_pos, value_pos = getattr(body, "key_pos", {}), getattr(body, "value_pos", {})
    clean_map = clean if isinstance(clean, dict) else None
    for key, value in body.items():
        if isinstance(key, str) and "${" in key:
            found.append(Text(_spelled([(False, key)]), key, key_pos.get(key, getattr(body, "pos", None))))
        if isinstance(value, str):
            if "${" in value:
                _texts(value, [(False, key)], value_pos.get(key), found)
            continue
        if not isinstance(value, _CONTAINERS):
            continue
        below = clean_map.get(key) if clean_map is not None else None
        if value is below:
            continue
        pos = value_pos.get(key)
        known = parts.get((id(value), key, pos, id(below)))
        if known is None:
            part: list[Text] = []
            _texts(value, [(False, key)], pos, part, below)
            known = parts[(id(value), key, pos, id(below))] = (value, below, part)
        found.extend(known[2])


def _texts(node: Any, steps: list[tuple[bool, Any]], pos: Pos | None, found: list[Text], clean: Any = None) -> None:
    """Every string (keys included) of a body containing ``${``, with where it was written.

    One walk over every value of every object: the key path (``steps``, an index or a key
    each) is spelled out only for the strings that hold ``${``. ``clean`` is the part of a
    document without ``${`` that ``node`` was loaded as (see ``_clean_document``): what
    ``node`` still shares with it is not walked.
    """
    if isinstance(node, dict):
        key_pos = getattr(node, "key_pos", {})
        value_pos = getattr(node, "value_pos", {})
        clean_map = clean if isinstance(clean, dict) else None
        for key, value in node.items():
            if isinstance(key, str) and "${" in key:
                steps.append((False, key))
                found.append(Text(_spelled(steps), key, key_pos.get(key, pos or getattr(node, "pos", None))))
                steps.pop()
            if isinstance(value, str):
                if "${" not in value:
                    continue
                below = None
            elif not isinstance(value, _CONTAINERS):
                continue
            else:
                below = clean_map.get(key) if clean_map is not None else None
                if value is below:
                    continue
            steps.append((False, key))
            _texts(value, steps, value_pos.get(key, pos), found, below)
            steps.pop()
    elif isinstance(node, list):
        item_pos = getattr(node, "item_pos", [])
        clean_list = clean if isinstance(clean, list) else None
        for index, item in enumerate(node):
            if isinstance(item, str):
                if "${" not in item:
                    continue
                below = None
            elif not isinstance(item, _CONTAINERS):
                continue
            else:
                below = clean_list[index] if clean_list is not None and index < len(clean_list) else None
                if item is below:
                    continue
            steps.append((True, index))
            _texts(item, steps, item_pos[index] if index < len(item_pos) else pos, found, below)
            steps.pop()
    elif isinstance(node, str) and pos is not None and "${" in node:
        found.append(Text(_spelled(steps), node, pos))


def _spelled(steps: list[tuple[bool, Any]]) -> str:
    """A key path as messages write it: ``spec.values.env[0].value``."""
    text = ""
    for index, step in steps:
        text = f"{text}[{step}]" if index else _field(text, step)
    return text


# -- postBuild substitution: which variables a Kustomization supplies --------------------
@dataclass(frozen=True)
class Variables:
    """What a Kustomization's postBuild gives its objects.

    ``runs``: substitution runs (True), never runs (False: the text stays
    literal), or cannot be known (None). ``names``: the variables supplied,
    None when a ``substituteFrom`` object is not in the repository.
    """

    runs: bool | None
    names: frozenset[str] | None
    strict: bool


@dataclass(frozen=True)
class SourceRef:
    """One ``substituteFrom`` entry and the objects of the cluster it resolves to."""

    kind: str
    name: str
    optional: bool
    objects: tuple[KubeObject, ...]


class Substitutions:
    """Resolves postBuild variables per Kustomization of one cluster (cached)."""

    def __init__(self, model: RepoModel, cluster: Cluster) -> None:
        self.model = model
        self.cluster = cluster
        # Strict substitution is the default from Flux 2.9: judge by the Flux this cluster runs
        # (the configuration's, else the version the repository names for it, else the default).
        running = cluster.flux_version.release if cluster.flux_version and model.config.flux_version is None \
            else model.config.flux_release
        self.strict = running >= (2, 9)
        self._cache: dict[str, Variables | None] = {}
        self._supplied: frozenset[str] | None = None

    def of(self, ks_id: str) -> Variables | None:
        if ks_id not in self._cache:
            ks = effective_kustomization(self.cluster, ks_id)
            self._cache[ks_id] = self.variables(ks) if ks is not None else None
        return self._cache[ks_id]

    def sources(self, ks: KubeObject) -> list[SourceRef]:
        refs = []
        entries = ks.get("spec", "postBuild", "substituteFrom")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            kind, name = str(entry.get("kind") or ""), str(entry.get("name") or "")
            found: tuple[KubeObject, ...] = ()
            if kind in ("ConfigMap", "Secret") and name and not has_placeholder(name):
                found = tuple(o for o in self.cluster.find(kind, ks.namespace, name) if not o.implicit)
            refs.append(SourceRef(kind, name, entry.get("optional") is True, found))
        return refs

    def variables(self, ks: KubeObject) -> Variables:
        post = ks.get("spec", "postBuild")
        if not isinstance(post, dict):
            return Variables(False, frozenset(), self.strict)
        names: set[str] = set()
        substitute = post.get("substitute")
        if isinstance(substitute, dict):
            names |= {str(key) for key in substitute}
        known, required_unknown, optional_unknown = True, False, False
        for ref in self.sources(ks):
            keys = _keys_of(ref.objects, self.model) if ref.objects else None
            if keys is None:
                known = False
                required_unknown |= not ref.optional
                optional_unknown |= ref.optional
            else:
                names |= keys
        if names or required_unknown:
            runs: bool | None = True
        elif optional_unknown:
            runs = None
        else:
            runs = post.get("substituteStrategy") == "Always"
        return Variables(runs, frozenset(names) if known else None, self.strict)

    def supplied_in_cluster(self) -> frozenset[str]:
        """Variables some Kustomization of this cluster supplies (for the no-postBuild case)."""
        if self._supplied is None:
            names: set[str] = set()
            for ks_id in self.cluster.renders:
                variables = self.of(ks_id)
                if variables is not None and variables.names:
                    names |= variables.names
            self._supplied = frozenset(names)
        return self._supplied


def substitutions(model: RepoModel, cluster: Cluster) -> Substitutions:
    """The cluster's ``Substitutions``, made once per model: both substitution rules read the same."""
    made = model.memo.setdefault("substitutions", {})
    if id(cluster) not in made:  # the cluster keeps the id it was taken for; the model is held weakly (no cycle)
        made[id(cluster)] = (cluster, Substitutions(weakref.proxy(model), cluster))
    return made[id(cluster)][1]


def _keys_of(objects: Iterable[KubeObject], model: RepoModel) -> set[str] | None:
    """The data keys ConfigMaps/Secrets expose as variables; None when they cannot be read."""
    keys: set[str] = set()
    for obj in objects:
        found = _generator_keys(obj, model) if obj.doc_index < 0 else literal_keys(obj)
        if found is None:
            return None
        keys |= set(found)
    return keys


def literal_keys(obj: KubeObject) -> dict[str, Pos] | None:
    """Keys of ``data`` (and a Secret's ``stringData``) with where each was written.

    SOPS encrypts values, never keys, so an encrypted Secret's keys are read as written.
    A ConfigMap or Secret flux-operator fills from the cluster has keys no file shows.
    """
    if filled_by_operator(obj):
        return None
    keys: dict[str, Pos] = {}
    fields = ("data", "stringData") if obj.kind == "Secret" else ("data",)
    for name in fields:
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            return None
        for key in value:
            if has_placeholder(str(key)):
                return None
            keys[str(key)] = value.key_pos[key] if isinstance(value, YMap) else obj.key_pos(name, key)
    return keys


def _generator_keys(obj: KubeObject, model: RepoModel) -> set[str] | None:
    """Keys of a configMapGenerator/secretGenerator entry: literals, env files and file names."""
    loaded = model.files.get(obj.path)
    doc = loaded.docs[0].root if loaded is not None and loaded.docs else None
    field = "configMapGenerator" if obj.kind == "ConfigMap" else "secretGenerator"
    items = doc.get(field) if isinstance(doc, YMap) else None
    if not isinstance(items, YSeq):
        return None
    folder = posixpath.dirname(obj.path)
    for item, pos in zip(items, items.item_pos, strict=True):
        if pos != obj.body.pos or not isinstance(item, dict):
            continue
        if item.get("behavior") in ("merge", "replace"):
            return None  # the keys of the generator it merges into are elsewhere
        keys: set[str] = set()
        for literal in item.get("literals") or []:
            if not isinstance(literal, str) or "=" not in literal:
                return None
            keys.add(literal.split("=", 1)[0].strip())
        for entry in item.get("files") or []:
            if not isinstance(entry, str):
                return None
            keys.add(entry.split("=", 1)[0].strip() if "=" in entry else posixpath.basename(entry))
        env_files = list(item.get("envs") or []) + ([item["env"]] if isinstance(item.get("env"), str) else [])
        for entry in env_files:
            env_keys = _env_file_keys(model, normalize(posixpath.join(folder, str(entry))))
            if env_keys is None:
                return None
            keys |= env_keys
        return keys
    return None


def _env_file_keys(model: RepoModel, path: str) -> set[str] | None:
    try:
        text = model.snapshot.read(path).decode("utf-8", "replace")
    except (KeyError, OSError):
        return None
    keys = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key = line.split("=", 1)[0].strip()
        if not key.startswith("sops_"):  # SOPS metadata of an encrypted env file
            keys.add(key)
    return keys
