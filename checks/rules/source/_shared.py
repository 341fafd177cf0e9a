"""What several source rules share: which objects they judge, source references, ref selectors, placeholders.

``checked_objects`` is the one answer to "which objects does a source rule
read": rendered ones (with their parents' patches applied) and the
unrendered ones no overlay can patch. The reference fields and ref
selectors are read the same way by the rules that resolve references
(missing, kind-not-allowed) and by those that judge a ref (floating-ref,
ambiguous-ref), so they are declared once here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject
from checks.repo import RepoModel

# Which source kinds each reference field accepts (the CRDs' enums).
REFERENCE_FIELDS: dict[str, tuple[tuple[tuple[str, ...], frozenset[str]], ...]] = {
    "Kustomization": (
        (("spec", "sourceRef"), frozenset(("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"))),
    ),
    "HelmRelease": (
        (("spec", "chartRef"), frozenset(("OCIRepository", "HelmChart", "ExternalArtifact"))),
        (("spec", "chart", "spec", "sourceRef"), frozenset(("HelmRepository", "GitRepository", "Bucket"))),
    ),
    "HelmChart": (
        (("spec", "sourceRef"), frozenset(("HelmRepository", "GitRepository", "Bucket"))),
    ),
    "ImageUpdateAutomation": (
        (("spec", "sourceRef"), frozenset(("GitRepository",))),
    ),
}

# The selectors of a GitRepository and an OCIRepository `spec.ref`, in the order the controllers let them win.
GIT_REF_FIELDS = ("commit", "name", "semver", "tag", "branch")
OCI_REF_FIELDS = ("digest", "semver", "tag")


def references(obj: KubeObject) -> Iterator[tuple[tuple[str, ...], dict[str, Any], frozenset[str]]]:
    """(field path, reference, accepted kinds) of a Flux object's source references."""
    if not obj.is_flux:
        return
    for path, kinds in REFERENCE_FIELDS.get(obj.kind, ()):
        ref = obj.get(*path)
        if isinstance(ref, dict) and ref.get("name"):
            yield path, ref, kinds


def checked_objects(model: RepoModel) -> Iterator[KubeObject]:
    """Rendered objects (with their parents' patches), then unrendered ones no kustomize overlay can patch.

    An unrendered file in a folder with a kustomization.yaml is a base some
    overlay may patch (pinning a version, say): judging it as written would
    report what the overlay already fixes.
    """
    for cluster in model.clusters:
        yield from (o for o in cluster.objects if not o.implicit)
    folders = model.memo.get("kustomization_folders")  # the same for the seven rules that ask
    if folders is None:
        folders = model.memo["kustomization_folders"] = {
            path.rpartition("/")[0] for path in model.files if path.rpartition("/")[2] in KUSTOMIZATION_FILES}
    for obj in model.unrendered_judged():
        if posixpath.dirname(obj.path) not in folders:
            yield obj


def templated(*values: Any) -> bool:
    """Whether any value holds a `${VAR}`, which postBuild substitution replaces: it cannot be judged as written."""
    return any(isinstance(v, str) and "${" in v for v in values)


def ref_fields(obj: KubeObject, fields: tuple[str, ...]) -> list[str]:
    """The selectors of ``fields`` an object's ``spec.ref`` sets (non-empty), in the order of ``fields``."""
    ref = obj.get("spec", "ref")
    if not isinstance(ref, dict):
        return []
    return [f for f in fields if ref.get(f) not in (None, "")]
