"""The small repositories the dependency rule tests share: Kustomizations in clusters/prod, HelmReleases, workloads."""

from __future__ import annotations

from rule_support import ROOT, config_map, helm_release, kustomization, yaml


def ks(name: str, path: str, namespace: str = "flux-system", extra: str = "") -> str:
    """A Flux Kustomization of this repository, as its own document; ``extra`` is more of its spec."""
    return "---\n" + kustomization(name, path, extra, namespace, source_namespace="flux-system")


def release(name: str, namespace: str = "apps", extra: str = "") -> str:
    """A HelmRelease of the chart ``name`` from flux-system/charts, as its own document."""
    return "---\n" + helm_release(name, namespace, extra, version="1.0.0", source_namespace="flux-system")


def deployment(name: str = "controller", namespace: str = "infra") -> str:
    """A Deployment: a workload, so the Kustomization rendering it has something to wait for."""
    return yaml(f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: {namespace}
        spec:
          template:
            spec:
              containers:
                - name: main
                  image: example/{name}:1.0
        """)


def cluster(*kustomizations: str, **folders: str) -> dict[str, str]:
    """clusters/prod/ks.yaml holds the Kustomizations; ``folders`` maps a file path to its text."""
    files = {f"{ROOT}/ks.yaml": "".join(kustomizations)}
    files.update(folders)
    return files


def base_files() -> dict[str, str]:
    """What ./infra and ./apps render: a Deployment in infra/, a ConfigMap in apps/."""
    return {"infra/deploy.yaml": deployment(), "apps/settings.yaml": config_map("settings", namespace="apps")}
