"""secrets/missing-reference: valuesFrom or substituteFrom names a Secret or ConfigMap nothing creates.

Producers are looked for in the same cluster and namespace: Secrets and
ConfigMaps, generators, ExternalSecrets, SealedSecrets, Certificates,
operator objects, and HelmReleases whose release name prefixes the
reference. Secrets made out of band by design (SOPS keys, the bootstrap
``flux-system`` Secret, objects in unrendered folders, names the
repository's scripts and docs mention) are not reported.

A HelmRelease never produces what its own ``valuesFrom`` reads:
helm-controller composes the values before it installs or upgrades the
chart, so a missing Secret stops the release that would have created it.
Every producer is therefore recorded with the object it comes from, and the
reader itself does not count.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from checks.edits import indentation, insert_below_fix, line_text
from checks.findings import Finding, Fix, Severity, merge_repeats
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._shared import split_comment

RULE = Rule(
    id="secrets/missing-reference",
    severity=Severity.WARNING,
    summary="valuesFrom or substituteFrom names a Secret/ConfigMap nothing in the repository creates",
    fixable=True,
    needs_base=False,
    doc="""
    A HelmRelease `valuesFrom` or a Kustomization `postBuild.substituteFrom`
    entry that is not `optional: true` stops the reconciliation while the
    Secret or ConfigMap is absent. Producers looked for, in the same cluster
    and namespace: Secrets and ConfigMaps (SOPS ones included), kustomize
    generators, ExternalSecret (`spec.target.name`, else its name),
    ClusterExternalSecret, SealedSecret, cert-manager Certificate
    (`spec.secretName`), and operator objects named like the reference
    (ObjectBucketClaim, OnePasswordItem...), or another HelmRelease whose
    release name prefixes it (charts create `<release>-...`). A HelmRelease's
    own chart does not count for its own `valuesFrom`: the values are read
    before the chart is installed.

    Secrets created out of band by design are not reported: SOPS keys
    (`sops-age`, `sops-gpg`), the bootstrap `flux-system` Secret, objects
    written in unrendered folders (bootstrap manifests), and names that
    appear in the repository's scripts or docs.

    Failing:
        kind: HelmRelease
        spec:
          valuesFrom:
            - kind: Secret
              name: grafana-oauth       # nothing creates it

    Passing:
        valuesFrom:
          - kind: Secret
            name: grafana-oauth
            optional: true
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Each required valuesFrom/substituteFrom entry no producer in its cluster satisfies, once per written line."""
    return merge_repeats(_missing_references(ctx))


def _missing_references(ctx: RuleContext) -> Iterator[Finding]:
    for cluster in ctx.model.clusters:
        producers: _Producers | None = None
        for obj in cluster.objects:
            if obj.implicit or not obj.is_flux or obj.kind not in ("HelmRelease", "Kustomization"):
                continue
            for path, entry in _references(obj):
                kind, name = str(entry.get("kind") or ""), str(entry.get("name") or "")
                if kind not in ("Secret", "ConfigMap") or not name or "${" in name or name in _OUT_OF_BAND:
                    continue
                if entry.get("optional") is True or str(entry.get("optional")).lower() == "true":
                    continue
                producers = producers or _Producers(ctx.model, cluster)
                if producers.produces(kind, obj.namespace, name, reader=obj.id):
                    continue
                if cluster.find(kind, obj.namespace, name):
                    continue  # a ResourceSet whose inputs the repository does not show may create it
                pos = obj.key_pos(*path, "name")
                field_name = "valuesFrom" if obj.kind == "HelmRelease" else "postBuild.substituteFrom"
                effect = "the HelmRelease fails to reconcile" if obj.kind == "HelmRelease" else \
                    "the Kustomization fails to build"
                own = ""
                if obj.kind == "HelmRelease" and obj.id in producers.sources(kind, obj.namespace, name):
                    own = (" Its own chart cannot create it: helm-controller reads `valuesFrom` before it "
                           "installs the chart.")
                yield Finding(
                    "secrets/missing-reference", Severity.WARNING, pos.path, pos.line,
                    f"{obj.id} reads {kind} `{name}` in `spec.{field_name}`, but nothing in this repository "
                    f"creates it in namespace `{obj.namespace}` (no {kind}, SOPS file, ExternalSecret, "
                    f"SealedSecret or generator): {effect} until it exists.{own} Add it, fix the name, or mark "
                    "the entry `optional: true`.",
                    object=obj.id, key=f"{field_name}:{kind}/{name}",
                    fix=_optional_fix(ctx, obj, path))


_OUT_OF_BAND = frozenset(("sops-age", "sops-gpg", "sops-keys", "sops-kms", "flux-system"))
_BUILTIN_GROUPS = frozenset(("", "apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io",
                             "autoscaling", "storage.k8s.io", "apiextensions.k8s.io", "kustomize.config.k8s.io"))


class _Produced:
    """Secrets and ConfigMaps some objects create: by (kind, namespace, name), by name alone, and by the
    prefixes (a release or object name) of the names charts and operators create."""

    def __init__(self) -> None:
        self.exact: dict[tuple[str, str | None, str], set[str]] = {}
        self.names: dict[tuple[str, str], set[str]] = {}
        # (namespace, release or object name) -> producers: a name that starts with it and a dash is theirs.
        self.prefixes: dict[tuple[str | None, str], set[str]] = {}

    def add(self, obj: KubeObject, namespace: str | None) -> None:
        for kind, name in _produced(obj):
            self.exact.setdefault((kind, namespace, name), set()).add(obj.id)
        if obj.kind == "HelmRelease" or (obj.group not in _BUILTIN_GROUPS and not obj.is_flux and obj.name):
            if obj.kind == "HelmRelease":
                target = obj.get("spec", "targetNamespace")
                release = obj.get("spec", "releaseName") or obj.name
                self.prefixes.setdefault((str(target) if target else namespace, str(release)), set()).add(obj.id)
            self.prefixes.setdefault((namespace, obj.name), set()).add(obj.id)


class _Producers:
    """What creates Secrets and ConfigMaps in one cluster, by (kind, namespace) and by name alone.

    Each entry keeps the ids of the objects that produce it, so that a reader
    is not satisfied by itself (a HelmRelease whose chart would create the
    Secret its own valuesFrom reads). What the objects no cluster renders
    produce counts in every cluster: it is collected once per model.
    """

    def __init__(self, model: RepoModel, cluster: Cluster) -> None:
        self.own = _Produced()
        for obj in cluster.objects:
            self.own.add(obj, obj.namespace)
        unrendered = model.memo.get("secret_producers_unrendered")
        if unrendered is None:
            unrendered = model.memo["secret_producers_unrendered"] = _Produced()
            for obj in model.unrendered_objects():
                unrendered.add(obj, obj.namespace)
                for kind, name in _produced(obj):
                    unrendered.names.setdefault((kind, name), set()).add(obj.id)
        self.unrendered: _Produced = unrendered
        self.model = model

    @cached_property
    def _texts(self) -> list[str]:
        found = self.model.memo.get("secret_texts")  # the same for every cluster: read once per model
        if found is None:
            found = self.model.memo["secret_texts"] = _mention_texts(self.model)
        return found

    def mentioned(self, name: str) -> bool:
        """Whether the scripts and docs name it as one of their words."""
        return any(_is_word_of(text, name) for text in self._texts)

    def sources(self, kind: str, namespace: str | None, name: str) -> set[str]:
        """The ids of the objects that create the Secret or ConfigMap."""
        own, unrendered = self.own, self.unrendered
        found = (own.exact.get((kind, namespace, name), set()) | unrendered.exact.get((kind, namespace, name), set())
                 | unrendered.names.get((kind, name), set()))
        parts = name.split("-")
        for end in range(1, len(parts) + 1):  # the name itself and each of its dash-separated prefixes
            prefix = (namespace, "-".join(parts[:end]))
            found |= own.prefixes.get(prefix, set()) | unrendered.prefixes.get(prefix, set())
        return found

    def produces(self, kind: str, namespace: str | None, name: str, reader: str) -> bool:
        """Whether an object other than ``reader`` (an object id) creates it, or the docs name it."""
        return bool(self.sources(kind, namespace, name) - {reader}) or self.mentioned(name)


def _produced(obj: KubeObject) -> list[tuple[str, str]]:
    """(kind, name) of the Secrets and ConfigMaps an object creates. Asked of every object of every
    cluster: a list, and no lookups past the kinds that settle it."""
    kind, name = obj.kind, obj.name
    if kind in ("Secret", "ConfigMap") and obj.api_version == "v1":
        return [(kind, name)]
    if kind in ("ExternalSecret", "ClusterExternalSecret"):
        spec = obj.get("spec", "externalSecretSpec") if kind == "ClusterExternalSecret" else obj.spec
        target = spec.get("target") if isinstance(spec, dict) else None
        target_name = target.get("name") if isinstance(target, dict) else None
        return [("Secret", str(target_name or obj.get("spec", "externalSecretName") or name))]
    if kind == "SealedSecret":
        return [("Secret", str(obj.get("spec", "template", "metadata", "name") or name))]
    found = []
    if kind == "Certificate" and obj.get("spec", "secretName"):
        found.append(("Secret", str(obj.get("spec", "secretName"))))
    spec = obj.spec  # its target and destination are looked up once
    target, destination = spec.get("target"), spec.get("destination")
    if isinstance(target, dict) or isinstance(destination, dict):
        target = target if isinstance(target, dict) else {}
        destination = destination if isinstance(destination, dict) else {}
        for key in ("secretName", "configMapName"):
            value = target.get(key) or destination.get(key)
            if isinstance(value, str):
                found.append((("Secret" if key == "secretName" else "ConfigMap"), value))
    if kind == "HelmRelease" or (obj.group not in _BUILTIN_GROUPS and not obj.is_flux):
        # Operators (ObjectBucketClaim, OnePasswordItem, VaultStaticSecret...) often create a
        # Secret or ConfigMap named after their object.
        found += (("Secret", name), ("ConfigMap", name))
    return found


# A word of the scripts and docs: a run of these characters from its first letter or digit to its last.
_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _mention_texts(model: RepoModel) -> list[str]:
    """The repository's scripts and docs: Secrets created out of band are named there."""
    texts: list[str] = []
    object_files = {o.path for o in model.objects}
    for path in model.snapshot.paths():
        if path in object_files or model.snapshot.size(path) > 512 * 1024:
            continue
        name = posixpath.basename(path)
        if not (name.endswith((".sh", ".md", ".txt", ".yaml", ".yml", ".j2", ".tmpl", ".tpl", ".env", ".just",
                               ".hcl", ".toml", ".json", ".nix"))
                or name in ("Taskfile", "Makefile", "Justfile", "justfile", ".envrc")):
            continue
        try:
            texts.append(model.snapshot.read(path).decode("utf-8", "replace"))
        except (KeyError, OSError):
            continue
    return texts


def _is_word_of(text: str, name: str) -> bool:
    """Whether ``name`` is a word of the text, or a dot-separated part of one (`cluster-secrets.yaml`
    names `cluster-secrets` too).

    Only the words around each place the name is written are spelled out: collecting every word of
    every script and doc cost more than the rest of the rule, to look up a name or two.
    """
    if not name or not _WORD_CHARACTERS.issuperset(name):
        return False
    start = text.find(name)
    while start >= 0:
        left, right = start, start + len(name)
        while left and text[left - 1] in _WORD_CHARACTERS:
            left -= 1
        while right < len(text) and text[right] in _WORD_CHARACTERS:
            right += 1
        word = text[left:right].strip(".-")
        if len(word) >= 2 and (word == name or name in word.split(".")):
            return True
        start = text.find(name, right)  # the rest of this run spells the same word
    return False


def _references(obj: KubeObject) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    if obj.kind == "HelmRelease":
        entries, base = obj.get("spec", "valuesFrom"), ("spec", "valuesFrom")
    elif obj.kind == "Kustomization":
        entries, base = obj.get("spec", "postBuild", "substituteFrom"), ("spec", "postBuild", "substituteFrom")
    else:
        return
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield (*base, index), entry


def _optional_fix(ctx: RuleContext, obj: KubeObject, path: tuple[str | int, ...]) -> Fix | None:
    pos = obj.key_pos(*path, "name")
    text = line_text(ctx.model, pos.path, pos.line)
    if text is None:
        return None
    content, _comment = split_comment(text)
    stripped = content.strip()
    if not stripped.startswith(("name:", "- name:")) or "{" in stripped:
        return None
    indent = indentation(content) + ("  " if stripped.startswith("- ") else "")
    return insert_below_fix(pos.path, pos.line, text, f"{indent}optional: true\n")

