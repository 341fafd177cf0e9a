"""What the interval rule tests share: a one-cluster repository, and families of child Kustomizations.

A family is a parent Kustomization rendering one ks.yaml per child: the shape in
which many children repeat one finding and it is grouped on the parent.
"""

from __future__ import annotations

from rule_support import ROOT, config_map, flux_object, kustomization, yaml


def repo(cluster_file: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A one-cluster repository: clusters/prod/apps.yaml renders ./apps, which holds a ConfigMap."""
    files = {f"{ROOT}/apps.yaml": cluster_file, "apps/configmap.yaml": config_map("settings")}
    files.update(extra or {})
    return files


def platform_source(spec: str = "") -> str:
    """The GitRepository flux-system/platform: ``spec`` (YAML lines, from line 7) before its url and ref."""
    return flux_object("GitRepository", "platform",
                       spec + "url: https://github.com/org/platform\nref:\n  branch: main\n")


PATCHES = """
    patches:
      - # defaults for every child Kustomization
        patch: |-
          apiVersion: kustomize.toolkit.fluxcd.io/v1
          kind: Kustomization
          metadata:
            name: _
          spec:
            patches:
              - patch: |-
                  apiVersion: helm.toolkit.fluxcd.io/v2
                  kind: HelmRelease
                  metadata:
                    name: _
                  spec:
                    install:
                      crds: CreateReplace
                target:
                  group: helm.toolkit.fluxcd.io
                  kind: HelmRelease
        target:
          group: kustomize.toolkit.fluxcd.io
          kind: Kustomization
    """
PARENT = kustomization("cluster-apps", extra=PATCHES)


def child(name: str, interval: str = "1h", extra: str = "", folder: str = "workloads") -> str:
    """A child Kustomization reconciling ./<folder>/<name> every ``interval``; ``extra`` is more of its spec."""
    return kustomization(name, f"./{folder}/{name}", extra, spec=f"interval: {interval}")


def family(children: dict[str, str], parent: str = PARENT, root: str = "apps") -> dict[str, str]:
    """A parent rendering ./<root>, whose kustomization.yaml lists one ks.yaml per child."""
    files = {f"{ROOT}/apps.yaml": yaml(parent)}
    files[f"{root}/kustomization.yaml"] = yaml("""
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
        """) + "".join(f"  - ./{name}/ks.yaml\n" for name in children)
    for name, text in children.items():
        files[f"{root}/{name}/ks.yaml"] = text
        files[f"workloads/{name}/configmap.yaml"] = config_map(name)
    return files


def line_of(text: str, line: str) -> int:
    """The 1-based number of a line in a text, where a finding is expected."""
    return text.splitlines().index(line) + 1


APPS = ("atuin", "bazarr", "plex", "radarr", "sonarr")
