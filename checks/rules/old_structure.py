"""Structure rules: files Flux cannot read, paths that lead nowhere, variables nothing
sets, objects rendered twice or never, and settings that quietly stop convergence.

Each check reads the repository model (``checks.repo``): rendered objects per
cluster where resolution matters (namespaces, substitution variables,
duplicates), every object as written for what needs no cluster.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.kustomize import Kustomizer
from checks.model import CLUSTER_SCOPED, KubeObject
from checks.repo import Cluster, RepoModel, nearest_folder
from checks.rules.base import Rule, RuleContext, model_problems
from checks.source import normalize
from checks.substitution import dash_default_fixed, has_placeholder, parse, substitution_disabled, valid_name
from checks.yaml_docs import Pos, YamlFile, YMap, YSeq, load_yaml

# Namespaces every cluster has before Flux applies anything.
BUILTIN_NAMESPACES = frozenset(("default", "kube-system", "kube-public", "kube-node-lease", "flux-system"))
# Folders whose manifests are examples, tests or archives, not dead cluster config.
NON_CLUSTER_FOLDERS = frozenset((
    "docs", "doc", "example", "examples", "test", "tests", "testdata", "hack", "scripts", "templates",
    "archive", "archived", ".archive", "old", "deprecated", "unused", "disabled", "bootstrap",
))


# -- small shared helpers ---------------------------------------------------------------
def _line_of(model: RepoModel, pos: Pos, needle: str) -> int:
    """The line inside ``pos`` where ``needle`` was written (block scalars span lines)."""
    loaded = model.files.get(pos.path)
    if loaded is None or pos.end_line <= pos.line:
        return pos.line
    lines = loaded.lines
    for number in range(pos.line, min(pos.end_line, len(lines)) + 1):
        if needle in lines[number - 1]:
            return number
    return pos.line


def _field(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


@dataclass(frozen=True)
class _Text:
    """A string of an object's body that may hold ``${...}``: a value, or a mapping key."""

    field: str
    text: str
    pos: Pos


def _holds_placeholder(node: Any) -> bool:
    """Quick walk before the positioned one: most objects hold no ``${`` at all."""
    if isinstance(node, str):
        return "${" in node
    if isinstance(node, dict):
        return any(("${" in key if isinstance(key, str) else False) or _holds_placeholder(value)
                   for key, value in node.items())
    if isinstance(node, list):
        return any(_holds_placeholder(item) for item in node)
    return False


def _may_hold_placeholder(model: RepoModel, obj: KubeObject) -> bool:
    """False when nothing in the object can hold ``${``, without walking it when possible.

    An object whose values are still those of its own file (no parent patch
    replaced them) can only hold ``${`` if that file's text does.
    """
    loaded = model.files.get(obj.path)
    if loaded is not None and "${" not in loaded.text and 0 <= obj.doc_index < len(loaded.docs):
        root = loaded.docs[obj.doc_index].root
        if isinstance(root, dict) and all(
                value is root.get(key) for key, value in obj.body.items() if key != "metadata"):
            return _holds_placeholder(obj.body.get("metadata"))
    return _holds_placeholder(obj.body)


def _placeholder_texts(model: RepoModel, obj: KubeObject) -> list[_Text]:
    """The ``${`` strings of an object, found once per model for both substitution rules."""
    texts = model.memo.setdefault("placeholder_texts", {})
    found = texts.get(id(obj))
    if found is None:
        found = list(_texts(obj.body)) if _may_hold_placeholder(model, obj) else []
        texts[id(obj)] = found
    return found


def _texts(node: Any, prefix: str = "", pos: Pos | None = None) -> Iterator[_Text]:
    """Every string (keys included) of a body containing ``${``, with where it was written."""
    if isinstance(node, dict):
        key_pos = getattr(node, "key_pos", {})
        value_pos = getattr(node, "value_pos", {})
        for key, value in node.items():
            field = _field(prefix, key)
            if isinstance(key, str) and has_placeholder(key):
                yield _Text(field, key, key_pos.get(key, pos or getattr(node, "pos", None)))
            yield from _texts(value, field, value_pos.get(key, pos))
    elif isinstance(node, list):
        item_pos = getattr(node, "item_pos", [])
        for index, item in enumerate(node):
            yield from _texts(item, f"{prefix}[{index}]", item_pos[index] if index < len(item_pos) else pos)
    elif isinstance(node, str) and pos is not None and has_placeholder(node):
        yield _Text(prefix, node, pos)


def _flux_version(text: str) -> tuple[int, int]:
    match = re.match(r"v?(\d+)\.(\d+)", text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (99, 0)


class _PerCluster:
    """Findings gathered over clusters: one per problem, naming the clusters it occurs in."""

    def __init__(self, model: RepoModel) -> None:
        self.multi = len(model.clusters) > 1
        self.found: dict[Finding, list[str]] = {}

    def add(self, cluster: str | None, finding: Finding) -> None:
        clusters = self.found.setdefault(finding, [])
        if cluster and cluster not in clusters:
            clusters.append(cluster)

    def findings(self) -> Iterator[Finding]:
        for finding, clusters in self.found.items():
            if self.multi and clusters:
                label = "cluster" if len(clusters) == 1 else "clusters"
                finding = replace(finding, message=f"{finding.message} ({label} {', '.join(sorted(clusters))})")
            yield finding


def _effective_kustomization(cluster: Cluster, ks_id: str) -> KubeObject | None:
    """The Kustomization that rendered objects, as the cluster sees it after patches.

    The model renders a cluster from an implicit bootstrap root; when the
    repository writes that root (gotk-sync.yaml), the written one carries the
    real postBuild and patches, so prefer it.
    """
    node = cluster.renders.get(ks_id)
    if node is None:
        return None
    ks = node.kustomization
    if ks.implicit:
        written = [o for o in cluster.find(ks.kind, ks.namespace, ks.name) if not o.implicit and o.is_flux]
        if written:
            return written[0]
    return ks



def _guessed_whole_repository(model: RepoModel, cluster: Cluster, ks_id: str) -> bool:
    """True for a Kustomization the model only guesses renders this whole repository.

    Without cluster folders the model takes the sources of root Kustomizations as
    this repository; a root on ``path: ./`` whose source was not named as this
    repository (bootstrap, configuration) may well be another artifact (the
    upstream Flux manifests, say). What it seems to render is not evidence.
    """
    node = cluster.renders.get(ks_id)
    if node is None or node.folder != "" or node.kustomization.implicit:
        return False
    ref = node.kustomization.get("spec", "sourceRef")
    if not isinstance(ref, dict):
        return True
    kind = str(ref.get("kind") or "GitRepository")
    namespace = str(ref.get("namespace") or node.kustomization.namespace or "flux-system")
    name = str(ref.get("name") or "")
    if (namespace, name) == ("flux-system", "flux-system") or model.config.repository_url:
        return False
    return not any(entry.split("/")[-1] == name and (len(entry.split("/")) < 3 or entry.split("/")[0] == kind)
                   for entry in model.config.repository_sources)

# -- postBuild substitution: which variables a Kustomization supplies --------------------
@dataclass(frozen=True)
class _Variables:
    """What a Kustomization's postBuild gives its objects.

    ``runs``: substitution runs (True), never runs (False: the text stays
    literal), or cannot be known (None). ``names``: the variables supplied,
    None when a ``substituteFrom`` object is not in the repository.
    """

    runs: bool | None
    names: frozenset[str] | None
    strict: bool


@dataclass(frozen=True)
class _SourceRef:
    """One ``substituteFrom`` entry and the objects of the cluster it resolves to."""

    kind: str
    name: str
    optional: bool
    objects: tuple[KubeObject, ...]


class _Substitutions:
    """Resolves postBuild variables per Kustomization of one cluster (cached)."""

    def __init__(self, model: RepoModel, cluster: Cluster) -> None:
        self.model = model
        self.cluster = cluster
        self.strict = _flux_version(model.config.flux_version) >= (2, 9)
        self._cache: dict[str, _Variables | None] = {}
        self._supplied: frozenset[str] | None = None

    def of(self, ks_id: str) -> _Variables | None:
        if ks_id not in self._cache:
            ks = _effective_kustomization(self.cluster, ks_id)
            self._cache[ks_id] = self.variables(ks) if ks is not None else None
        return self._cache[ks_id]

    def sources(self, ks: KubeObject) -> list[_SourceRef]:
        refs = []
        entries = ks.get("spec", "postBuild", "substituteFrom")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            kind, name = str(entry.get("kind") or ""), str(entry.get("name") or "")
            found: tuple[KubeObject, ...] = ()
            if kind in ("ConfigMap", "Secret") and name and not has_placeholder(name):
                found = tuple(o for o in self.cluster.find(kind, ks.namespace, name) if not o.implicit)
            refs.append(_SourceRef(kind, name, entry.get("optional") is True, found))
        return refs

    def variables(self, ks: KubeObject) -> _Variables:
        post = ks.get("spec", "postBuild")
        if not isinstance(post, dict):
            return _Variables(False, frozenset(), self.strict)
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
        return _Variables(runs, frozenset(names) if known else None, self.strict)

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


def _keys_of(objects: Iterable[KubeObject], model: RepoModel) -> set[str] | None:
    """The data keys ConfigMaps/Secrets expose as variables; None when they cannot be read."""
    keys: set[str] = set()
    for obj in objects:
        found = _generator_keys(obj, model) if obj.doc_index < 0 else _literal_keys(obj)
        if found is None:
            return None
        keys |= set(found)
    return keys


def _literal_keys(obj: KubeObject) -> dict[str, Pos] | None:
    """Keys of ``data`` (and a Secret's ``stringData``) with where each was written.

    SOPS encrypts values, never keys, so an encrypted Secret's keys are read as written.
    """
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
            keys[str(key)] = obj.key_pos(name, key)
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


# -- structure/path-missing: the model reports it; this adds the fix --------------------
_PATH_LINE = re.compile(
    r"^(?P<head>\s*(?:-\s+)?path:\s*)(?P<quote>[\"']?)(?P<value>[^\"'#\s]+)(?P=quote)(?P<tail>\s*(?:#.*)?)$")


def _path_missing(ctx: RuleContext) -> Iterator[Finding]:
    for problem in ctx.model.problems:
        if problem.rule == "structure/path-missing":
            yield _with_path_fix(ctx.model, problem)


def _with_path_fix(model: RepoModel, finding: Finding) -> Finding:
    """Offer the one existing folder a small typo away, written the way the path was."""
    match = _PATH_LINE.match(line_text(model, finding.path, finding.line) or "")
    if not match:
        return finding
    value = match["value"]
    folder = normalize(value)
    if not folder or model.snapshot.is_dir(folder):
        return finding
    suggestion = nearest_folder(folder, model.snapshot)
    if not suggestion:
        return finding
    lead = "./" if value.startswith("./") else "/" if value.startswith("/") else ""
    new_value = lead + suggestion + ("/" if value.endswith("/") else "")
    line = f"{match['head']}{match['quote']}{new_value}{match['quote']}{match['tail']}\n"
    return replace(finding, fix=Fix(finding.path, finding.line, finding.line, line))


# -- structure/undefined-variable -------------------------------------------------------
def _undefined_variables(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    found = _PerCluster(model)
    for cluster in model.clusters:
        resolver = _Substitutions(model, cluster)
        for obj in cluster.objects:
            if obj.implicit or obj.rendered_by is None:
                continue
            variables = resolver.of(obj.rendered_by)
            if variables is None or variables.runs is None:
                continue
            if _guessed_whole_repository(model, cluster, obj.rendered_by):
                continue
            if substitution_disabled(obj.labels(), obj.annotations()):
                continue
            for text in _placeholder_texts(model, obj):
                for ref in parse(text.text).references:
                    if ref.has_default:
                        continue
                    finding = _undefined(model, resolver, variables, obj, text, ref.name)
                    if finding is not None:
                        found.add(cluster.name, finding)
    yield from found.findings()


def _undefined(model: RepoModel, resolver: _Substitutions, variables: _Variables, obj: KubeObject,
               text: _Text, name: str) -> Finding | None:
    ks = obj.rendered_by
    where = f"`${{{name}}}` in {obj.id} (`{text.field}`)"
    if variables.runs:
        if variables.names is None or name in variables.names:
            return None
        if variables.strict:
            severity = Severity.ERROR
            outcome = "Flux's strict substitution (default since 2.9) fails the whole Kustomization"
        else:
            severity = Severity.WARNING
            outcome = "Flux replaces it with an empty string"
        message = (f"{where} is not supplied by {ks} (no `{name}` in its postBuild.substitute or "
                   f"substituteFrom): {outcome}. Add the variable, give it a default "
                   f"(`${{{name}:=value}}`), or escape it as `$${{{name}}}`.")
    else:
        # Without postBuild nothing is substituted: only a variable this cluster supplies
        # elsewhere is a sign the author expected Flux to replace it.
        if name not in resolver.supplied_in_cluster():
            return None
        severity = Severity.WARNING
        message = (f"{where} reaches the cluster literally: {ks} has no postBuild, though other "
                   f"Kustomizations of this cluster supply `{name}`. Add postBuild.substitute or "
                   f"substituteFrom to it, or escape the text as `$${{{name}}}` if it is meant literally.")
    line = _line_of(model, text.pos, "${" + name)
    return Finding("structure/undefined-variable", severity, text.pos.path, line, message,
                   object=obj.id, key=f"{text.field}:{name}")


# -- structure/substitution-syntax --------------------------------------------------------
def _substitution_syntax(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    found = _PerCluster(model)
    # An invalid ConfigMap/Secret key is one problem however many Kustomizations read it.
    readers: dict[tuple[str, int, str, str], set[str]] = {}
    for cluster in model.clusters:
        resolver = _Substitutions(model, cluster)
        for obj in cluster.objects:
            if obj.implicit or obj.rendered_by is None:
                continue
            variables = resolver.of(obj.rendered_by)
            if variables is None or variables.runs is not True:
                continue  # no substitution, no parse
            if substitution_disabled(obj.labels(), obj.annotations()):
                continue
            for text in _placeholder_texts(model, obj):
                for problem in parse(text.text).problems:
                    found.add(cluster.name, _syntax_problem(model, obj, text, problem))
        for ks_id in cluster.renders:
            ks = _effective_kustomization(cluster, ks_id)
            if ks is None or ks.implicit:
                continue
            for finding in _invalid_substitute_keys(ks):
                found.add(cluster.name, finding)
            for ref in resolver.sources(ks):
                for source in ref.objects:
                    if source.doc_index < 0:
                        continue  # generated: its keys were written in another format
                    for key, pos in (_literal_keys(source) or {}).items():
                        if not valid_name(key):
                            readers.setdefault((pos.path, pos.line, source.id, key), set()).add(ks.id)
    for obj in model.unrendered_objects():
        if obj.kind == "Kustomization" and obj.is_flux:
            for finding in _invalid_substitute_keys(obj):
                found.add(None, finding)
    yield from found.findings()
    for (path, line, source_id, key), kustomizations in readers.items():
        names = ", ".join(sorted(kustomizations))
        those = "that Kustomization" if len(kustomizations) == 1 else "those Kustomizations"
        yield Finding(
            "structure/substitution-syntax", Severity.ERROR, path, line,
            f"{source_id} has the key `{key}`, which {names} read{'s' if len(kustomizations) == 1 else ''} "
            f"as a variable through postBuild.substituteFrom; it is not a valid variable name (letters, "
            f"digits and `_`, not starting with a digit), so Flux fails every object of {those}. Rename "
            f"the key, e.g. `{_suggest_name(key)}`.",
            object=source_id, key=f"data.{key}")


def _syntax_problem(model: RepoModel, obj: KubeObject, text: _Text, problem: Any) -> Finding:
    snippet = text.text[problem.start:].split("\n", 1)[0]
    close = snippet.find("}")
    snippet = snippet[:close + 1] if 0 <= close < 40 else snippet[:20]
    line = _line_of(model, text.pos, snippet)
    # Secret values stay out of messages, even a fragment of one.
    shown = "a `${` expression" if obj.kind == "Secret" else f"`{snippet}`"
    if problem.dash_default:
        name = problem.dash_default
        message = (f"{shown} in {obj.id} (`{text.field}`) is not parsed by Flux's substitution: "
                   f"`${{{name}-default}}` is unsupported, so {obj.rendered_by} fails to build. "
                   f"Write `${{{name}:=default}}`.")
        return Finding("structure/substitution-syntax", Severity.ERROR, text.pos.path, line, message,
                       object=obj.id, key=f"{text.field}:{name}", fix=_dash_fix(model, text.pos, line))
    message = (f"{shown} in {obj.id} (`{text.field}`) cannot be parsed by Flux's substitution "
               f"({problem.reason}), so {obj.rendered_by} fails to build. Escape it as `$${{`, or label "
               f"the object `kustomize.toolkit.fluxcd.io/substitute: disabled`.")
    return Finding("structure/substitution-syntax", Severity.ERROR, text.pos.path, line, message,
                   object=obj.id, key=text.field)


def _dash_fix(model: RepoModel, pos: Pos, line: int) -> Fix | None:
    """``${var-default}`` -> ``${var:=default}`` on the line where it was written."""
    current = line_text(model, pos.path, line)
    if current is None:
        return None
    fixed = dash_default_fixed(current)
    return Fix(pos.path, line, line, fixed + "\n") if fixed != current else None


def _invalid_substitute_keys(ks: KubeObject) -> Iterator[Finding]:
    substitute = ks.get("spec", "postBuild", "substitute")
    if not isinstance(substitute, dict):
        return
    for key in substitute:
        if valid_name(str(key)):
            continue
        pos = ks.key_pos("spec", "postBuild", "substitute", key)
        yield Finding(
            "structure/substitution-syntax", Severity.ERROR, pos.path, pos.line,
            f"{ks.id} sets `postBuild.substitute.{key}`, which is not a valid variable name (letters, "
            f"digits and `_`, not starting with a digit): Flux fails every object of this Kustomization. "
            f"Rename it, e.g. `{_suggest_name(str(key))}`.",
            object=ks.id, key=f"spec.postBuild.substitute.{key}")


def _suggest_name(name: str) -> str:
    cleaned = re.sub(r"[^_A-Za-z0-9]", "_", name)
    return cleaned if valid_name(cleaned) else "_" + cleaned


# -- structure/non-manifest-yaml ----------------------------------------------------------
def _non_manifest_yaml(ctx: RuleContext) -> Iterator[Finding]:
    # path -> (line, reason, folder, Kustomizations that fail)
    found: dict[str, tuple[int, str, str, set[str]]] = {}
    for cluster in ctx.model.clusters:
        for ks_id, node in cluster.renders.items():
            if node.build is None:
                continue
            if _guessed_whole_repository(ctx.model, cluster, ks_id):
                continue
            for item in node.build.non_manifests:
                folder = _generated_folder(item.path, node.build.generated_folders)
                line, reason, _, failing = found.setdefault(item.path, (item.line, item.reason, folder, set()))
                failing.add(ks_id)
    for path, (line, reason, folder, failing) in sorted(found.items()):
        names = ", ".join(sorted(failing))
        where = f"`{folder}/`" if folder else "the repository root"
        yield Finding(
            "structure/non-manifest-yaml", Severity.ERROR, path, line,
            f"{path} is in {where}, which Flux renders without a kustomization.yaml, so it takes every "
            f".yaml file there; {reason}, so {names} fail{'s' if len(failing) == 1 else ''} to build "
            f"(\"failed to decode Kubernetes YAML\"). Move the file out of the folder, list it in "
            f".sourceignore, or add a kustomization.yaml naming the manifests.")


def _generated_folder(path: str, folders: set[str]) -> str:
    """The folder whose generated kustomization took ``path`` (the deepest that holds it)."""
    holding = [f for f in folders if f == "" or path.startswith(f + "/")]
    return max(holding, key=len) if holding else posixpath.dirname(path)


# -- structure/duplicate-object -----------------------------------------------------------
def _duplicate_objects(ctx: RuleContext) -> Iterator[Finding]:
    found = _PerCluster(ctx.model)
    for cluster in ctx.model.clusters:
        groups: dict[tuple[str, str, str | None, str], list[KubeObject]] = {}
        for obj in cluster.objects:
            if obj.implicit or obj.doc_index < 0 or obj.rendered_by is None:
                continue  # bootstrap objects; generated ConfigMaps/Secrets get distinct hashed names
            if has_placeholder(obj.name) or has_placeholder(obj.namespace or ""):
                continue  # substitution gives each render its own name
            groups.setdefault((obj.group, obj.kind, obj.namespace, obj.name), []).append(obj)
        for objects in groups.values():
            if len(objects) < 2 or any(_guessed_whole_repository(ctx.model, cluster, o.rendered_by or "")
                                       for o in objects):
                continue
            for finding in _duplicates(objects):
                found.add(cluster.name, finding)
    yield from found.findings()


def _duplicates(objects: list[KubeObject]) -> Iterator[Finding]:
    places = [(o.rendered_by or "", o.path, _name_pos(o).line) for o in objects]
    owners = sorted({owner for owner, _, _ in places})
    listing = "; ".join(f"{path}:{line} by {owner}" for owner, path, line in sorted(places))
    obj = objects[0]
    if len(owners) > 1:
        message = (f"{obj.id} is rendered by {len(owners)} Kustomizations ({listing}): they fight over it, "
                   f"each apply overwrites the other and pruning either one deletes it. Keep it in one.")
    else:
        message = (f"{obj.id} is rendered twice by {owners[0]} ({listing}): kustomize refuses the build "
                   f"(\"may not add resource with an already registered id\"). Keep one.")
    seen = set()
    for candidate in objects:
        pos = _name_pos(candidate)
        if (pos.path, pos.line) in seen:
            continue
        seen.add((pos.path, pos.line))
        yield Finding("structure/duplicate-object", Severity.ERROR, pos.path, pos.line, message,
                      object=candidate.id, key=candidate.path)


def _name_pos(obj: KubeObject) -> Pos:
    pos = obj.key_pos("metadata", "name")
    return pos if pos.path == obj.path else obj.body.pos


# -- structure/missing-namespace ------------------------------------------------------------
def _missing_namespaces(ctx: RuleContext) -> Iterator[Finding]:
    found = _PerCluster(ctx.model)
    for cluster in ctx.model.clusters:
        if not _manages_namespaces(cluster) or _has_unknown_content(cluster):
            continue
        created = _created_namespaces(cluster)
        # (path, line, namespace) -> objects applied into it from that place
        places: dict[tuple[str, int, str], list[KubeObject]] = {}
        for obj in cluster.objects:
            namespace = obj.namespace
            if (obj.implicit or not namespace or namespace in created or obj.kind in CLUSTER_SCOPED
                    or has_placeholder(namespace) or obj.namespace_source == "parent"):
                continue
            pos = obj.pos("metadata", "namespace")
            places.setdefault((pos.path, pos.line, namespace), []).append(obj)
        for (path, line, namespace), objects in places.items():
            first = objects[0]
            more = f" and {len(objects) - 1} more object{'s' if len(objects) > 2 else ''}" if len(objects) > 1 else ""
            found.add(cluster.name, Finding(
                "structure/missing-namespace", Severity.WARNING, path, line,
                f"{first.id}{more} {'are' if more else 'is'} applied into namespace `{namespace}`, which nothing "
                f"in this cluster creates (no Namespace object, no HelmRelease with "
                f"`install.createNamespace: true`): the apply fails with namespaces \"{namespace}\" not found. "
                f"Add a Namespace manifest to a Kustomization that runs first, or correct the namespace.",
                object=first.id, key=f"namespace:{namespace}"))
    yield from found.findings()


def _manages_namespaces(cluster: Cluster) -> bool:
    """A cluster whose repository writes Namespace objects creates its namespaces in Git;
    one that writes none has them made out of band (by the platform, Terraform, a script)."""
    return any(o.kind == "Namespace" and not o.implicit and o.name not in BUILTIN_NAMESPACES
               for o in cluster.objects)


def _has_unknown_content(cluster: Cluster) -> bool:
    """External sources and remote bases may create namespaces the model cannot see."""
    return any(node.external or (node.build is not None and node.build.remote) for node in cluster.renders.values())


def _created_namespaces(cluster: Cluster) -> set[str]:
    created = set(BUILTIN_NAMESPACES)
    for obj in cluster.objects:
        if obj.kind == "Namespace":
            created.add(obj.name)
        elif obj.kind == "HelmRelease" and obj.is_flux and obj.get("spec", "install", "createNamespace") is True:
            target = obj.get("spec", "targetNamespace")
            created.add(str(target) if isinstance(target, str) and target else str(obj.namespace))
    return created


# -- structure/unrendered-file ----------------------------------------------------------------
def _unrendered_files(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    if not model.clusters:
        return  # without a cluster nothing is rendered, so nothing is dead
    roots = {node.kustomization.path for cluster in model.clusters for node in cluster.renders.values()}
    by_file: dict[str, list[KubeObject]] = {}
    for obj in model.unrendered_objects():
        if obj.is_flux and obj.path not in roots and not _outside_clusters(obj.path):
            by_file.setdefault(obj.path, []).append(obj)
    if not by_file:
        return
    maybe = _possibly_rendered_files(model)
    for path, objects in sorted(by_file.items()):
        if path in maybe or model.ignore.ignored(path):
            continue
        first = objects[0]
        more = f" and {len(objects) - 1} more Flux object{'s' if len(objects) > 2 else ''}" if len(objects) > 1 else ""
        yield Finding(
            "structure/unrendered-file", Severity.INFO, path, first.line,
            f"{first.id}{more} in this file is rendered by no Kustomization of any cluster, so Flux never "
            f"applies it. Delete the file if it is obsolete, or list it again in a kustomization.yaml.")


def _outside_clusters(path: str) -> bool:
    """Examples, tests, archives and hidden folders are not meant to be applied."""
    folders = path.split("/")[:-1]
    return any(part.startswith(".") or part.lower() in NON_CLUSTER_FOLDERS for part in folders)


def _possibly_rendered_files(model: RepoModel) -> set[str]:
    """Files something the model does not follow may render: a Kustomization on an external
    source (often this repository under another URL, an OCI copy or an ExternalArtifact) or a
    FluxInstance's sync path. Their folders are built as if they were local."""
    folders: set[str] = set()
    for cluster in model.clusters:
        for node in cluster.renders.values():
            if node.external:
                folders |= _candidate_folders(model, node.kustomization)
    rendered = model.rendered_files
    for obj in model.objects:
        if obj.kind == "FluxInstance":
            folders |= _repo_folders(model, obj.get("spec", "sync", "path"))
        elif obj.kind == "Kustomization" and obj.is_flux:
            # A live Kustomization (its own file is rendered, or it renders itself as a
            # bootstrap root does) makes its folder live, whatever the model made of it.
            candidates = _candidate_folders(model, obj)
            if obj.path in rendered or any(f == "" or obj.path.startswith(f + "/") for f in candidates):
                folders |= candidates
    kustomizer = Kustomizer(model.snapshot, _loader(model), model.ignore.ignored)
    files: set[str] = set()
    for folder in sorted(folders):
        files |= kustomizer.build_folder(folder).files
    return files


def _loader(model: RepoModel) -> Callable[[str], YamlFile]:
    def load(path: str) -> YamlFile:
        loaded = model.files.get(path)
        if loaded is None:
            try:
                data = model.snapshot.read(path)
            except (KeyError, OSError):
                data = b""
            loaded = load_yaml(path, data)
        return loaded

    return load


def _candidate_folders(model: RepoModel, ks: KubeObject) -> set[str]:
    """Folders of this snapshot an external Kustomization's path may name."""
    path = ks.get("spec", "path")
    ref = ks.get("spec", "sourceRef")
    folders = _repo_folders(model, path)
    if isinstance(ref, dict) and ref.get("kind") == "ExternalArtifact" and isinstance(path, str | None):
        for origin in _artifact_origins(model, str(ref.get("name") or ""), normalize(path or "")):
            folders |= _repo_folders(model, origin)
    return folders


def _artifact_origins(model: RepoModel, name: str, path: str) -> Iterator[str]:
    """Where an ArtifactGenerator copies the part of artifact ``name`` under ``path`` from."""
    for obj in model.objects:
        if obj.kind != "ArtifactGenerator":
            continue
        for artifact in obj.get("spec", "artifacts") or []:
            if not isinstance(artifact, dict) or artifact.get("name") != name:
                continue
            for copy in artifact.get("copy") or []:
                if not isinstance(copy, dict):
                    continue
                origin = re.sub(r"/?\*\*?$", "", str(copy.get("from") or "")).lstrip("@").partition("/")[2]
                target = str(copy.get("to") or "").removeprefix("@artifact").strip("/")
                if not target or path == target or path.startswith(target + "/"):
                    yield posixpath.join(origin, path[len(target):].strip("/")) if target else posixpath.join(
                        origin, path)


def _repo_folders(model: RepoModel, path: object) -> set[str]:
    """A path as folders of this snapshot: as written, without a leading checkout prefix,
    or the one folder that ends with it (the snapshot is a subfolder of a larger tree)."""
    if path is None or (isinstance(path, str) and normalize(path) == ""):
        return {""}
    if not isinstance(path, str) or has_placeholder(path):
        return set()
    parts = normalize(path).split("/")
    for cut in range(len(parts)):
        candidate = "/".join(parts[cut:])
        if candidate and model.snapshot.is_dir(candidate):
            return {candidate}
    wanted = "/" + "/".join(parts)
    folders = {posixpath.dirname(p) for p in model.snapshot.paths()}
    ending = {f for f in folders if f.endswith(wanted)}
    return ending if len(ending) == 1 else set()


# -- structure/forgotten-suspend -------------------------------------------------------------
_REASON_KEY = re.compile(r"suspend|reason", re.I)


def _forgotten_suspends(ctx: RuleContext) -> Iterator[Finding]:
    seen: set[tuple[str, int]] = set()
    for obj in ctx.model.all_objects():
        if not obj.is_flux or obj.get("spec", "suspend") is not True:
            continue
        pos = obj.key_pos("spec", "suspend")
        if (pos.path, pos.line) in seen or _reason_recorded(ctx.model, obj, pos):
            continue
        seen.add((pos.path, pos.line))
        yield Finding(
            "structure/forgotten-suspend", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} has `spec.suspend: true` and no recorded reason: Flux stops reconciling it until "
            f"someone resumes it, and nothing tells the next reader why. Say why (and until when) in a "
            f"comment on that line, or remove `suspend: true`.",
            object=obj.id, key="spec.suspend")


def _reason_recorded(model: RepoModel, obj: KubeObject, pos: Pos) -> bool:
    if any(_REASON_KEY.search(str(key)) for key in obj.annotations()):
        return True
    return _commented(model, pos)


def _commented(model: RepoModel, pos: Pos) -> bool:
    """A comment on the line of a value, or on the line just above it, records intent."""
    line = line_text(model, pos.path, pos.line)
    if line is None:
        return True  # written somewhere we cannot read: give it the benefit of the doubt
    if re.search(r"\s#\s*\S", line):
        return True
    above = line_text(model, pos.path, pos.line - 1) if pos.line > 1 else None
    return above is not None and above.strip().startswith("#") and len(above.strip().lstrip("#").strip()) > 0


# -- structure/prune-disabled ------------------------------------------------------------------
_PRUNE_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?prune:\s*)(?P<value>false|False|FALSE)(?P<tail>\s*(?:#.*)?)$")


def _prune_disabled(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    seen: set[tuple[str, int]] = set()
    for cluster in model.clusters:
        for ks_id, node in cluster.renders.items():
            ks = _effective_kustomization(cluster, ks_id)
            if ks is None or ks.implicit or not ks.is_flux or ks.get("spec", "prune") is not False:
                continue
            if node.build is None or _renders_cascading_kinds(node.build):
                continue  # content unknown (external, missing path), or kept on purpose
            pos = ks.pos("spec", "prune")
            if (pos.path, pos.line) in seen or _commented(model, pos):
                continue
            seen.add((pos.path, pos.line))
            yield Finding(
                "structure/prune-disabled", Severity.WARNING, pos.path, pos.line,
                f"{ks.id} has `prune: false`: objects removed from Git stay in the cluster, unmanaged, "
                f"until someone deletes them by hand. Set `prune: true` (keep `prune: false` only for a "
                f"Kustomization that installs CRDs).",
                object=ks.id, key="spec.prune", fix=_prune_fix(model, pos))


def _renders_cascading_kinds(build: Any) -> bool:
    """CRDs and Namespaces: deleting one deletes everything of that kind or in it, so
    a Kustomization that renders them keeps them on purpose."""
    if any(o.body.get("kind") in ("CustomResourceDefinition", "Namespace") for o in build.objects):
        return True
    return any("crd" in remote.url.lower() for remote in build.remote)


def _prune_fix(model: RepoModel, pos: Pos) -> Fix | None:
    match = _PRUNE_LINE.match(line_text(model, pos.path, pos.line) or "")
    if not match:
        return None
    return Fix(pos.path, pos.line, pos.line, f"{match['head']}true{match['tail']}\n")


# -- structure/release-identity-change -------------------------------------------------------
def _release_identity_changes(ctx: RuleContext) -> Iterator[Finding]:
    if ctx.previous is None:
        return
    base = _helm_releases(ctx.previous)
    seen: set[tuple[str, int, str]] = set()
    for key, obj in _helm_releases(ctx.model).items():
        before = base.get(key)
        if before is None:
            continue
        for finding in _identity_changes(before, obj):
            if (finding.path, finding.line, finding.message) not in seen:
                seen.add((finding.path, finding.line, finding.message))
                yield finding


def _helm_releases(model: RepoModel) -> dict[tuple[str | None, str], KubeObject]:
    """HelmReleases by cluster and id (unrendered ones under no cluster)."""
    releases: dict[tuple[str | None, str], KubeObject] = {}
    for cluster in model.clusters:
        for obj in cluster.objects:
            if obj.kind == "HelmRelease" and obj.is_flux and not obj.implicit:
                releases.setdefault((cluster.name, obj.id), obj)
    for obj in model.unrendered_objects():
        if obj.kind == "HelmRelease" and obj.is_flux:
            releases.setdefault((None, obj.id), obj)
    return releases


@dataclass(frozen=True)
class _Identity:
    """What helm-controller compares to decide a release is a different release."""

    release_name: str
    release_namespace: str
    storage_namespace: str
    chart: str | None
    explicit_name: bool


def _identity(obj: KubeObject) -> _Identity | None:
    spec = obj.spec
    values = [spec.get(k) for k in ("releaseName", "targetNamespace", "storageNamespace")]
    values.append(obj.get("spec", "chart", "spec", "chart"))
    if any(isinstance(v, str) and has_placeholder(v) for v in values):
        return None  # substituted: the effective value is not in the repository
    release_name, target, storage, chart = (str(v) if v not in (None, "") else None for v in values)
    namespace = obj.namespace or "default"
    name = release_name or (f"{target}-{obj.name}" if target else obj.name)
    return _Identity(name, target or namespace, storage or namespace, chart, release_name is not None)


def _identity_changes(before: KubeObject, after: KubeObject) -> Iterator[Finding]:
    old, new = _identity(before), _identity(after)
    if old is None or new is None:
        return
    reinstall = (f"helm-controller uninstalls the release `{old.release_name}`, deleting the objects its chart "
                 f"created, and installs `{new.release_name}` from scratch")
    changes = []
    if old.release_namespace != new.release_namespace:
        changes.append(("targetNamespace", "spec.targetNamespace", old.release_namespace, new.release_namespace))
    if old.release_name != new.release_name and (old.explicit_name or new.explicit_name
                                                 or old.release_namespace == new.release_namespace):
        changes.append(("releaseName", "spec.releaseName", old.release_name, new.release_name))
    if old.storage_namespace != new.storage_namespace:
        changes.append(("storageNamespace", "spec.storageNamespace", old.storage_namespace,
                        new.storage_namespace))
    if old.chart and new.chart and old.chart != new.chart:
        changes.append(("chart", "spec.chart.spec.chart", old.chart, new.chart))
    for name, field, was, now in changes:
        pos = _identity_pos(after, name)
        yield Finding(
            "structure/release-identity-change", Severity.ERROR, pos.path, pos.line,
            f"{after.id} changes its {_identity_label(name)} from `{was}` to `{now}`: {reinstall}. If a "
            f"fresh install is not intended, keep `{was}`.",
            object=after.id, key=field)


def _identity_label(name: str) -> str:
    return {"targetNamespace": "release namespace (`spec.targetNamespace`)",
            "releaseName": "release name (`spec.releaseName`)",
            "storageNamespace": "storage namespace (`spec.storageNamespace`)",
            "chart": "chart (`spec.chart.spec.chart`)"}[name]


def _identity_pos(obj: KubeObject, name: str) -> Pos:
    path = ("spec", "chart", "spec", "chart") if name == "chart" else ("spec", name)
    if obj.get(*path) is not None:
        return obj.key_pos(*path)
    if name == "releaseName" and obj.get("spec", "targetNamespace") is not None:
        return obj.key_pos("spec", "targetNamespace")
    return _name_pos(obj)


YAML_INVALID = Rule(
    id="structure/yaml-invalid",
    severity=Severity.ERROR,
    summary="A file that is not valid YAML, or a document that is not a mapping",
    doc="""
        A manifest Flux cannot parse fails the whole Kustomization that renders it.
        Also raised for YAML bombs (alias expansion past the cap), values nested
        too deeply, and binary or non-UTF-8 files with a YAML name.

        Failing:
            metadata:
              name: podinfo
             namespace: apps      # wrong indentation

        Passing:
            metadata:
              name: podinfo
              namespace: apps
    """,
    check=model_problems("structure/yaml-invalid"),
)

DUPLICATE_KEY = Rule(
    id="structure/duplicate-key",
    severity=Severity.ERROR,
    summary="A YAML mapping with the same key twice",
    doc="""
        Go's YAML parser, which Flux uses, rejects a mapping that repeats a key,
        so the file never reaches the cluster. Other tools silently keep the last
        value, which hides the mistake until Flux fails.

        Failing:
            spec:
              interval: 10m
              interval: 1h

        Passing:
            spec:
              interval: 1h
    """,
    check=model_problems("structure/duplicate-key"),
)

PATH_MISSING = Rule(
    id="structure/path-missing",
    severity=Severity.ERROR,
    summary="A Kustomization's spec.path is not a folder of this repository",
    doc="""
        kustomize-controller fails with "no such file or directory" and nothing
        under that Kustomization is applied. Only checked for Kustomizations whose
        source is this repository.

        Failing:
            spec:
              path: ./apps/stagign

        Passing:
            spec:
              path: ./apps/staging
    """,
    check=_path_missing,
    fixable=True,
)

RESOURCE_MISSING = Rule(
    id="structure/resource-missing",
    severity=Severity.ERROR,
    summary="A kustomization.yaml resource, component or patch path that does not exist",
    doc="""
        kustomize stops at the first path it cannot read, so the whole Flux
        Kustomization fails to build. Remote resources are not fetched and not
        checked.

        Failing (kustomization.yaml):
            resources:
              - deployment.yaml
              - servce.yaml        # no such file

        Passing:
            resources:
              - deployment.yaml
              - service.yaml
    """,
    check=model_problems("structure/resource-missing"),
)

FILE_TOO_LARGE = Rule(
    id="structure/file-too-large",
    severity=Severity.INFO,
    summary="A YAML file above the size limit was not checked",
    doc="""
        Files larger than `limits.max_file_bytes` (1 MiB by default) are not read,
        so nothing in them is checked. Raise the limit in .github/flux-review.yml
        if the file is a manifest Flux applies.
    """,
    check=model_problems("structure/file-too-large"),
)

UNDEFINED_VARIABLE = Rule(
    id="structure/undefined-variable",
    severity=Severity.ERROR,
    summary="A ${VAR} without default that the rendering Kustomization's postBuild does not supply",
    doc="""
        kustomize-controller substitutes `${VAR}` in every object a Kustomization
        renders, from `postBuild.substitute` and the keys of the ConfigMaps and
        Secrets named in `postBuild.substituteFrom` (resolved in the same cluster;
        SOPS Secrets count by key name). Since Flux 2.9 substitution is strict: a
        variable without a default that nothing supplies fails the whole
        Kustomization (before 2.9 it silently became an empty string: reported
        as a warning when `flux_version` is older).

        When the Kustomization has no postBuild at all the text reaches the
        cluster literally; that is reported (as a warning) only for variables
        other Kustomizations of the cluster supply, a sign postBuild was forgotten.
        Not reported: `${VAR:=default}`, `${VAR:-default}`, `${VAR=default}`,
        escaped `$${VAR}`, bare `$VAR`, objects labelled or annotated
        `kustomize.toolkit.fluxcd.io/substitute: disabled`, and Kustomizations
        whose substituteFrom names a ConfigMap/Secret not in the repository
        (its keys are unknown).

        Failing:
            # Kustomization apps: postBuild: {substitute: {CLUSTER_NAME: prod}}
            spec:
              rules:
                - host: web.${CLUSTER_DOMAIN}

        Passing:
            spec:
              rules:
                - host: web.${CLUSTER_DOMAIN:=example.com}
    """,
    check=_undefined_variables,
)

SUBSTITUTION_SYNTAX = Rule(
    id="structure/substitution-syntax",
    severity=Severity.ERROR,
    summary="A ${...} Flux cannot parse, or a substitution variable with an invalid name",
    doc="""
        Flux's substitution (a fork of drone/envsubst) supports `${var}`,
        `${var:=default}`, `${var:-default}`, `${var=default}` and bash string
        functions, but not `${var-default}`; `${{`, `${ var}` and `${}` do not
        parse either. One such expression fails the whole Kustomization, but
        only where substitution runs (the Kustomization has postBuild variables
        and the object does not opt out).

        Variable names, including the keys of ConfigMaps and Secrets read through
        `substituteFrom`, must match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`; one
        bad key fails every object of the Kustomization.

        Failing:
            url: https://${DOMAIN-example.com}/
            # and, in a Kustomization:
            postBuild:
              substitute:
                cluster-name: prod

        Passing:
            url: https://${DOMAIN:=example.com}/
            postBuild:
              substitute:
                CLUSTER_NAME: prod
    """,
    check=_substitution_syntax,
    fixable=True,
)

NON_MANIFEST_YAML = Rule(
    id="structure/non-manifest-yaml",
    severity=Severity.ERROR,
    summary="A YAML file that is not a Kubernetes object in a folder Flux renders without a kustomization.yaml",
    doc="""
        Without a kustomization.yaml, kustomize-controller generates one that
        takes every `.yaml`/`.yml` file of the folder (subfolders included). Each
        must decode as a Kubernetes object with `kind` and `metadata.name`, or the
        whole Kustomization fails with "failed to decode Kubernetes YAML". Helm
        values files and notes are the usual culprits. Files left out by
        `.sourceignore` or the GitRepository's `spec.ignore` are not reported.

        Failing (apps/podinfo/ has no kustomization.yaml):
            # apps/podinfo/values.yaml
            replicaCount: 2

        Passing: move values.yaml elsewhere, list it in .sourceignore, or add
            # apps/podinfo/kustomization.yaml
            resources:
              - release.yaml
    """,
    check=_non_manifest_yaml,
)

DUPLICATE_OBJECT = Rule(
    id="structure/duplicate-object",
    severity=Severity.ERROR,
    summary="The same object rendered twice in one cluster",
    doc="""
        Two Kustomizations applying the same object (same group, kind, namespace
        and name) fight over it: each apply overwrites the other's fields, and
        when one stops rendering it, its prune deletes the object the other still
        wants. Twice in one build, kustomize refuses to build at all. Objects
        whose name or namespace is substituted (`${APP}`), and generated
        ConfigMaps/Secrets (hashed names), are not compared.

        Failing:
            # apps/podinfo.yaml, rendered by Kustomization apps
            # infra/podinfo.yaml, rendered by Kustomization infra
            kind: Namespace
            metadata:
              name: podinfo

        Passing: keep the Namespace in one of the two folders.
    """,
    check=_duplicate_objects,
)

MISSING_NAMESPACE = Rule(
    id="structure/missing-namespace",
    severity=Severity.WARNING,
    summary="Objects rendered into a namespace nothing in the cluster creates",
    doc="""
        Applying a namespaced object into a namespace that does not exist fails
        ("namespaces not found"). A namespace exists when the cluster renders a
        Namespace object for it, a HelmRelease installs into it with
        `install.createNamespace: true`, or it is one Kubernetes and Flux create
        (`default`, `kube-system`, `kube-public`, `kube-node-lease`,
        `flux-system`). A Kustomization's `targetNamespace` does not create it.

        Failing:
            metadata:
              name: podinfo
              namespace: podinfo     # no Namespace podinfo in this cluster

        Passing:
            apiVersion: v1
            kind: Namespace
            metadata:
              name: podinfo
    """,
    check=_missing_namespaces,
)

UNRENDERED_FILE = Rule(
    id="structure/unrendered-file",
    severity=Severity.INFO,
    summary="A file of Flux objects that no Kustomization of any cluster renders",
    doc="""
        A manifest that nothing renders is dead configuration: edits to it change
        nothing, and readers believe it is live. Usually a folder was removed
        from a kustomization.yaml (or commented out) and the files stayed.
        Only reported when the repository has a cluster; files in example,
        test, archive and hidden folders, files ignored by `.sourceignore`, and
        folders a Kustomization on an external source may render are skipped.

        Failing:
            # apps/kustomization.yaml
            resources:
              # - ./old-app       (apps/old-app/release.yaml still holds a HelmRelease)
              - ./podinfo

        Passing: delete apps/old-app/, or list it again.
    """,
    check=_unrendered_files,
)

FORGOTTEN_SUSPEND = Rule(
    id="structure/forgotten-suspend",
    severity=Severity.WARNING,
    summary="suspend: true with no reason recorded",
    doc="""
        A suspended Flux object is not reconciled: Git changes stop reaching the
        cluster and drift is not corrected. Suspending is a fine temporary measure;
        forgetting to resume is the problem. Record why (a comment on the
        `suspend:` line or the line above, or an annotation whose key mentions
        the reason) so the next reader knows whether it is still needed.

        Failing:
            spec:
              suspend: true

        Passing:
            spec:
              suspend: true  # upstream chart 4.2 breaks ingress; resume after #1234
    """,
    check=_forgotten_suspends,
)

PRUNE_DISABLED = Rule(
    id="structure/prune-disabled",
    severity=Severity.WARNING,
    summary="A Kustomization with prune: false",
    doc="""
        With `prune: false`, objects removed from Git stay in the cluster,
        unmanaged and invisible in the repository. The exception is a
        Kustomization that renders CustomResourceDefinitions: deleting a CRD
        deletes every custom resource of that kind, so keeping them is
        deliberate, and it is not reported. Kustomizations whose content is not
        in the repository (external sources) are not reported either.

        Failing:
            spec:
              prune: false

        Passing:
            spec:
              prune: true
    """,
    check=_prune_disabled,
    fixable=True,
)

RELEASE_IDENTITY_CHANGE = Rule(
    id="structure/release-identity-change",
    severity=Severity.ERROR,
    summary="A change of a HelmRelease's release name, namespace, storage namespace or chart",
    doc="""
        helm-controller identifies the Helm release it manages by release name,
        release namespace (`targetNamespace`, else the HelmRelease's own),
        storage namespace and chart name. When a change alters any of them, it
        uninstalls the old release (deleting the objects its chart created, the
        PersistentVolumeClaims it templates included) and installs a new one. The default release name
        is `[targetNamespace-]name`, so adding a targetNamespace renames the
        release too. Only reported in a review, against the base of the change.

        Failing (the pull request changes):
            spec:
              chart:
                spec:
                  chart: podinfo      # was: podinfo-legacy

        Passing: keep the chart name; pin `releaseName` to the old name when
        moving a release to a targetNamespace is not the intent.
    """,
    check=_release_identity_changes,
    needs_base=True,
)

RULES = [YAML_INVALID, DUPLICATE_KEY, PATH_MISSING, RESOURCE_MISSING, FILE_TOO_LARGE, UNDEFINED_VARIABLE,
         SUBSTITUTION_SYNTAX, NON_MANIFEST_YAML, DUPLICATE_OBJECT, MISSING_NAMESPACE, UNRENDERED_FILE,
         FORGOTTEN_SUSPEND, PRUNE_DISABLED, RELEASE_IDENTITY_CHANGE]
