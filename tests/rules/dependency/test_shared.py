"""dependsOn read the way Flux reads it, once per object."""

from __future__ import annotations

import textwrap

from checks.model import KubeObject
from checks.rules.dependency._shared import dependencies
from checks.yaml_docs import load_yaml


def _object(text: str, namespace: str | None = "flux-system", implicit: bool = False) -> KubeObject:
    root = load_yaml("ks.yaml", textwrap.dedent(text).encode()).docs[0].root
    return KubeObject(root, "ks.yaml", 0, namespace, implicit=implicit)


APPS = """\
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: apps, namespace: flux-system}
    spec:
      dependsOn:
        - name: infra
        - name: crds
          namespace: platform
        - name: ${LATER}
        - {namespace: nameless}
        - just-a-string
"""


def test_entries_are_resolved_as_flux_resolves_them() -> None:
    found = dependencies(_object(APPS))
    assert [(d.index, d.name, d.namespace, d.kind, d.target_id) for d in found] == [
        (0, "infra", "flux-system", "Kustomization", "Kustomization/flux-system/infra"),
        (1, "crds", "platform", "Kustomization", "Kustomization/platform/crds"),
    ]


def test_an_object_is_read_once_and_keeps_its_answer() -> None:
    apps = _object(APPS)
    assert dependencies(apps) is dependencies(apps)
    assert dependencies(_object(APPS)) == dependencies(_object(APPS))  # equal answers for equal objects


def test_only_written_flux_kustomizations_and_helmreleases_have_dependencies() -> None:
    assert dependencies(_object(APPS, implicit=True)) == ()
    assert dependencies(_object(APPS.replace("kustomize.toolkit.fluxcd.io/v1", "kustomize.config.k8s.io/v1"))) == ()
    assert dependencies(_object(APPS.replace("kind: Kustomization", "kind: GitRepository"))) == ()
