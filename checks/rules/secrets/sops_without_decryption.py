"""secrets/sops-without-decryption: a Kustomization renders SOPS files but has no ``spec.decryption``.

kustomize-controller decrypts only for a Kustomization with
``spec.decryption``; the one that counts is the Kustomization as the cluster
has it (the written one after its parents' patches), not the implicit one.
Without it an encrypted Secret fails the build ("is SOPS encrypted,
configuring decryption is required") and other kinds are applied with their
``ENC[...]`` values. secretGenerator files encrypted with SOPS count too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from checks.edits import indentation, insert_below_fix, line_text
from checks.findings import Finding, Fix, Severity, counted
from checks.model import KubeObject
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._shared import split_comment
from checks.sops import is_sops_text, sops_metadata
from checks.yaml_docs import YMap

RULE = Rule(
    id="secrets/sops-without-decryption",
    severity=Severity.ERROR,
    summary="A SOPS-encrypted file is rendered by a Kustomization without spec.decryption",
    fixable=True,
    needs_base=False,
    doc="""
    kustomize-controller decrypts SOPS files only when the Kustomization that
    renders them has `spec.decryption` (after the patches of its parents).
    Without it an encrypted Secret fails the whole Kustomization ("is SOPS
    encrypted, configuring decryption is required"), and other kinds are
    applied with their `ENC[...]` values. secretGenerator files encrypted with
    SOPS count too. Objects annotated `kustomize.toolkit.fluxcd.io/decrypt:
    disabled` are skipped.

    The fix adds the block, with the key Secret the cluster's other
    Kustomizations use (else `sops-age`, or `sops-gpg` for PGP-only files).

    Failing:
        kind: Kustomization
        spec:
          path: ./apps          # holds secret.sops.yaml
          sourceRef: {kind: GitRepository, name: flux-system}

    Passing:
        spec:
          path: ./apps
          decryption:
            provider: sops
            secretRef:
              name: sops-age
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Each Kustomization that builds SOPS files, read as the cluster has it, without decryption."""
    for cluster in ctx.model.clusters:
        rendered: dict[str | None, list[KubeObject]] = {}  # by the Kustomization that renders them: one pass
        for obj in cluster.objects:
            rendered.setdefault(obj.rendered_by, []).append(obj)
        for ks_id, node in cluster.renders.items():
            if node.build is None:
                continue
            ks = _effective_kustomization(cluster, ks_id)
            if ks is None or _has_decryption(ks):
                continue
            files = _encrypted_files(ctx.model, cluster, ks_id, rendered.get(ks_id, []))
            if not files:
                continue
            paths = [path for path, _ in files]
            secret = _decryption_secret(cluster, [meta for _, meta in files])
            pos = ks.key_pos("spec") if isinstance(ks.get("spec"), dict) else ks.key_pos()
            shown = f"`{paths[0]}`" + (f" and {counted(len(paths) - 1, 'more SOPS file')}" if len(paths) > 1 else "")
            yield Finding(
                "secrets/sops-without-decryption", Severity.ERROR, pos.path, pos.line,
                f"{ks.id} renders the SOPS-encrypted {shown} but has no `spec.decryption`: Flux fails on "
                "encrypted Secrets (\"configuring decryption is required\") and applies other kinds with their "
                f"`ENC[...]` values. Add `decryption: {{provider: sops, secretRef: {{name: {secret}}}}}`.",
                object=ks.id, key="spec.decryption",
                fix=_decryption_fix(ctx.model, ks, secret))


_DECRYPT_ANNOTATION = "kustomize.toolkit.fluxcd.io/decrypt"


def _effective_kustomization(cluster: Cluster, ks_id: str) -> KubeObject | None:
    """The Kustomization as the cluster has it: the written (and patched) one over the implicit one."""
    node = cluster.renders.get(ks_id)
    if node is None:
        return None
    if not node.kustomization.implicit:
        return node.kustomization
    kind, namespace, name = ks_id.split("/", 2)
    written = [o for o in cluster.find(kind, namespace, name) if not o.implicit]
    return written[0] if written else None


def _has_decryption(ks: KubeObject) -> bool:
    decryption = ks.get("spec", "decryption")
    return isinstance(decryption, dict) and str(decryption.get("provider") or "sops") == "sops"


def _decrypt_disabled(obj: KubeObject) -> bool:
    return str(obj.annotations().get(_DECRYPT_ANNOTATION, "")).lower() == "disabled"


def _encrypted_files(model: RepoModel, cluster: Cluster, ks_id: str,
                     rendered: list[KubeObject]) -> list[tuple[str, dict[str, Any]]]:
    """SOPS files a Kustomization renders (objects, and secretGenerator sources), with a sops block each.

    ``rendered`` is the cluster's objects ``ks_id`` renders.
    """
    found: dict[str, dict[str, Any]] = {}
    for obj in rendered:
        meta = sops_metadata(obj.body)  # first: one lookup, and most objects are not encrypted
        if meta is not None and not obj.implicit and not _decrypt_disabled(obj):
            found.setdefault(obj.path, meta)
    node = cluster.renders.get(ks_id)
    if node and node.build:
        object_files = {o.path for o in rendered}
        for path in node.build.files - node.build.kustomization_files - object_files:  # sorted below
            meta = _sops_file_metadata(model, path)
            if meta is not None:
                found.setdefault(path, meta)
    return sorted(found.items())


def _sops_file_metadata(model: RepoModel, path: str) -> dict[str, Any] | None:
    loaded = model.files.get(path)
    if loaded is not None:
        for doc in loaded.docs:
            meta = sops_metadata(doc.root)
            if meta is not None and not (isinstance(doc.root, dict) and doc.root.get("kind")):
                return meta
        return None
    try:
        text = model.snapshot.read(path).decode("utf-8", "replace")
    except (KeyError, OSError):
        return None
    return {"mac": ""} if is_sops_text(text) else None


def _decryption_secret(cluster: Cluster, metas: list[dict[str, Any]]) -> str | None:
    """The key Secret to suggest: what the cluster's other Kustomizations use, else by key type."""
    names: Counter[str] = Counter()
    for obj in cluster.objects:
        if obj.kind == "Kustomization" and obj.is_flux and _has_decryption(obj):
            ref = obj.get("spec", "decryption", "secretRef", "name")
            if isinstance(ref, str) and ref and "${" not in ref:
                names[ref] += 1
    if names:
        return names.most_common(1)[0][0]
    if any(meta.get("pgp") for meta in metas) and not any(meta.get("age") for meta in metas):
        return "sops-gpg"
    return "sops-age"


def _decryption_fix(model: RepoModel, ks: KubeObject, secret: str | None) -> Fix | None:
    spec = ks.get("spec")
    if not isinstance(spec, YMap) or not spec:
        return None
    key_pos = ks.key_pos("spec")
    text = line_text(model, key_pos.path, key_pos.line)
    child_lines = [p.line for p in spec.key_pos.values() if p.path == key_pos.path and p.line > key_pos.line]
    if text is None or not child_lines:
        return None
    content, _comment = split_comment(text)
    if content.strip() != "spec:":
        return None
    child = line_text(model, key_pos.path, min(child_lines))
    if child is None:
        return None
    indent = indentation(child)
    block = f"{indent}decryption:\n{indent}  provider: sops\n"
    if secret:
        block += f"{indent}  secretRef:\n{indent}    name: {secret}\n"
    return insert_below_fix(key_pos.path, key_pos.line, text, block)

