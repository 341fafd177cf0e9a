"""Synthetic Flux repositories of any size, laid out as real ones are.

``write_fleet(folder, files)`` writes a repository of about ``files`` files:
several clusters under ``clusters/<name>/`` (a bootstrap ``gotk-sync.yaml``,
a cluster-settings ConfigMap, a SOPS-encrypted Secret and the root
Kustomizations), an infrastructure folder every cluster renders, a shared
kustomize component, and per cluster ``kubernetes/<cluster>/apps/<namespace>/<app>/``
folders in the home-ops style: a ``ks.yaml`` Flux Kustomization (postBuild
substitution, dependsOn, targetNamespace) whose ``app/`` folder holds a
kustomization.yaml, a HelmRelease with ``${VAR}`` values, its OCIRepository
and a SOPS-encrypted Secret. The cluster's root Kustomization patches every
child (SOPS decryption, substitution from the cluster settings, HelmRelease
defaults), as many repositories do. The repository is clean: a check of it
should report (almost) nothing, so what is measured is the engine, not the
reporting of findings.

``write_self_rendering(folder, count)`` writes ``count`` Flux Kustomizations
in one folder, each rendering that folder (each renders all the others).

Run by hand to look at one: ``.venv/bin/python bench/synthetic.py FOLDER --files 2500``
or ``--self-rendering 200``.
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib

CLUSTERS = ("main", "staging", "edge")
APPS_PER_NAMESPACE = 10
FILES_PER_APP = 5  # ks.yaml, app/{kustomization,helmrelease,ocirepository,secret.sops}.yaml
FILES_PER_NAMESPACE = 2  # kustomization.yaml, namespace.yaml
AGE_RECIPIENT = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"


def _enc(seed: str, kind: str = "str") -> str:
    """A value in the form sops writes (not decryptable: the bytes are a digest of the seed)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"ENC[AES256_GCM,data:{digest[:24]}=,iv:{digest[24:40]}=,tag:{digest[40:56]}==,type:{kind}]"


def _sops_block(seed: str) -> str:
    return f"""sops:
  age:
    - recipient: {AGE_RECIPIENT}
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        {hashlib.sha256(seed.encode()).hexdigest()}
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2025-01-01T00:00:00Z"
  mac: {_enc(seed + "mac")}
  encrypted_regex: ^(data|stringData)$
  version: 3.9.4
"""


def _write(root: pathlib.Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _cluster_files(root: pathlib.Path, cluster: str) -> int:
    base = f"clusters/{cluster}"
    _write(root, f"{base}/flux-system/gotk-sync.yaml", f"""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1h
  ref:
    branch: main
  url: ssh://git@github.com/example/fleet
  secretRef:
    name: flux-system
  ignore: |
    /*
    !/clusters/
    !/kubernetes/
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1h
  path: ./clusters/{cluster}
  prune: true
  retryInterval: 2m
  sourceRef:
    kind: GitRepository
    name: flux-system
  decryption:
    provider: sops
    secretRef:
      name: sops-age
""")
    _write(root, f"{base}/alerts.yaml", """---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: ops
  namespace: flux-system
spec:
  type: slack
  channel: ops
  secretRef:
    name: cluster-secrets
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: ops
  namespace: flux-system
spec:
  providerRef:
    name: ops
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: "*"
    - kind: HelmRelease
      name: "*"
""")
    _write(root, f"kubernetes/{cluster}/components/settings/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./cluster-settings.yaml
""")
    _write(root, f"kubernetes/{cluster}/components/settings/cluster-settings.yaml", f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
data:
  CLUSTER_NAME: {cluster}
  CLUSTER_DOMAIN: {cluster}.example.com
  TIMEZONE: Europe/Paris
""")
    _write(root, f"{base}/flux-system/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-sync.yaml
""")
    _write(root, f"{base}/cluster-settings.yaml", f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER_NAME: {cluster}
  CLUSTER_DOMAIN: {cluster}.example.com
  TIMEZONE: Europe/Paris
""")
    _write(root, f"{base}/cluster-secrets.sops.yaml", f"""---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
stringData:
  SECRET_DOMAIN: {_enc(cluster + "domain")}
  SECRET_EMAIL: {_enc(cluster + "email")}
{_sops_block(cluster)}""")
    _write(root, f"{base}/infrastructure.yaml", """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infrastructure
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/shared/infrastructure
  prune: true
  wait: true
  timeout: 10m
  retryInterval: 2m
  sourceRef:
    kind: GitRepository
    name: flux-system
  decryption:
    provider: sops
    secretRef:
      name: sops-age
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
""")
    _write(root, f"{base}/apps.yaml", f"""---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/{cluster}/apps
  prune: true
  retryInterval: 2m
  dependsOn:
    - name: infrastructure
  sourceRef:
    kind: GitRepository
    name: flux-system
  decryption:
    provider: sops
    secretRef:
      name: sops-age
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          decryption:
            provider: sops
            secretRef:
              name: sops-age
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  install:
                    remediation:
                      retries: -1
                  upgrade:
                    cleanupOnFail: true
                    remediation:
                      retries: 3
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
""")
    return 9


def _shared_files(root: pathlib.Path) -> int:
    count = 0
    components = ("cert-manager", "ingress-nginx", "external-secrets", "metrics-server")
    resources = []
    for name in components:
        folder = f"kubernetes/shared/infrastructure/{name}"
        resources.append(f"  - ./{name}")
        _write(root, f"{folder}/kustomization.yaml", f"""---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {name}
resources:
  - namespace.yaml
  - helmrepository.yaml
  - helmrelease.yaml
""")
        _write(root, f"{folder}/namespace.yaml", f"""---
apiVersion: v1
kind: Namespace
metadata:
  name: {name}
""")
        _write(root, f"{folder}/helmrepository.yaml", f"""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: {name}
spec:
  interval: 12h
  url: https://charts.example.com/{name}
""")
        _write(root, f"{folder}/helmrelease.yaml", f"""---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  interval: 1h
  chart:
    spec:
      chart: {name}
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: {name}
  values:
    clusterName: ${{CLUSTER_NAME}}
    replicaCount: 2
""")
        count += 4
    _write(root, "kubernetes/shared/infrastructure/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
""" + "\n".join(resources) + "\n")
    _write(root, "kubernetes/components/common/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./alert.yaml
""")
    _write(root, "kubernetes/components/common/alert.yaml", """---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: alertmanager
spec:
  type: alertmanager
  address: http://alertmanager.observability.svc.cluster.local:9093/api/v2/alerts/
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: alertmanager
spec:
  providerRef:
    name: alertmanager
  eventSeverity: error
  eventSources:
    - kind: HelmRelease
      name: "*"
""")
    _write(root, ".sops.yaml", f"""---
creation_rules:
  - path_regex: (clusters|kubernetes)/.*\\.sops\\.ya?ml
    encrypted_regex: ^(data|stringData)$
    key_groups:
      - age:
          - {AGE_RECIPIENT}
""")
    _write(root, "README.md", "# fleet\n\nA synthetic Flux repository for measuring flux-review.\n")
    return count + 5


def _app_files(root: pathlib.Path, cluster: str, namespace: str, app: str, previous: str | None) -> None:
    folder = f"kubernetes/{cluster}/apps/{namespace}/{app}"
    depends = f"  dependsOn:\n    - name: {previous}\n" if previous else ""
    _write(root, f"{folder}/ks.yaml", f"""---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {app}
spec:
  interval: 1h
  path: ./{folder}/app
  prune: true
  targetNamespace: {namespace}
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  wait: true
  timeout: 5m
  retryInterval: 2m
{depends}  postBuild:
    substitute:
      APP: {app}
""")
    _write(root, f"{folder}/app/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
  - ./ocirepository.yaml
  - ./secret.sops.yaml
""")
    _write(root, f"{folder}/app/helmrelease.yaml", f"""---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: {app}
  values:
    controllers:
      main:
        containers:
          app:
            image:
              repository: ghcr.io/example/${{APP}}
              tag: 1.0.0
            env:
              TZ: ${{TIMEZONE}}
            envFrom:
              - secretRef:
                  name: {app}-secret
            resources:
              requests:
                cpu: 10m
              limits:
                memory: 256Mi
    ingress:
      main:
        hosts:
          - host: "${{APP}}.${{CLUSTER_DOMAIN}}"
            paths:
              - path: /
""")
    _write(root, f"{folder}/app/ocirepository.yaml", f"""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {app}
spec:
  interval: 12h
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: 4.1.2
  url: oci://ghcr.io/example/charts/app-template
""")
    _write(root, f"{folder}/app/secret.sops.yaml", f"""---
apiVersion: v1
kind: Secret
metadata:
  name: {app}-secret
stringData:
  API_KEY: {_enc(folder + "key")}
  PASSWORD: {_enc(folder + "password")}
{_sops_block(folder)}""")


def write_fleet(root: pathlib.Path, files: int) -> int:
    """Write a repository of about ``files`` files under ``root``; the number written."""
    written = _shared_files(root)
    for cluster in CLUSTERS:
        written += _cluster_files(root, cluster)
    per_namespace = FILES_PER_NAMESPACE + 1 + APPS_PER_NAMESPACE * FILES_PER_APP
    namespaces = max(1, (files - written) // per_namespace)
    apps_kustomizations: dict[str, list[str]] = {c: [] for c in CLUSTERS}
    for index in range(namespaces):
        cluster = CLUSTERS[index % len(CLUSTERS)]
        namespace = f"team-{index:04d}"
        apps_kustomizations[cluster].append(f"  - ./{namespace}")
        apps = [f"{namespace}-app-{n:02d}" for n in range(APPS_PER_NAMESPACE)]
        base = f"kubernetes/{cluster}/apps/{namespace}"
        _write(root, f"{base}/kustomization.yaml", f"""---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {namespace}
components:
  - ../../../components/common
  - ../../components/settings
resources:
  - ./namespace.yaml
""" + "".join(f"  - ./{app}/ks.yaml\n" for app in apps))
        _write(root, f"{base}/namespace.yaml", f"""---
apiVersion: v1
kind: Namespace
metadata:
  name: {namespace}
  labels:
    team: "{index}"
""")
        _write(root, f"{base}/README.md", f"# {namespace}\n\nOwned by team {index}.\n")
        for n, app in enumerate(apps):
            _app_files(root, cluster, namespace, app, apps[n - 1] if n else None)
        written += per_namespace
    for cluster, entries in apps_kustomizations.items():
        _write(root, f"kubernetes/{cluster}/apps/kustomization.yaml", """---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
""" + ("\n".join(entries) if entries else "  []") + "\n")
        written += 1
    return written


def write_self_rendering(root: pathlib.Path, count: int) -> int:
    """``count`` Flux Kustomizations in ``deploy/``, each rendering ``deploy/`` itself; the files written."""
    _write(root, "deploy/source.yaml", """---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1h
  ref:
    branch: main
  url: https://github.com/example/self
""")
    for index in range(count):
        _write(root, f"deploy/ks-{index:04d}.yaml", f"""---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ks-{index:04d}
  namespace: flux-system
spec:
  interval: 10m
  path: ./deploy
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""")
    return count + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=pathlib.Path)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--files", type=int, help="a fleet repository of about this many files")
    group.add_argument("--self-rendering", type=int, metavar="N", help="N Kustomizations rendering their folder")
    args = parser.parse_args()
    if args.files is not None:
        written = write_fleet(args.folder, args.files)
    else:
        written = write_self_rendering(args.folder, args.self_rendering)
    print(f"{written} files in {args.folder}")


if __name__ == "__main__":
    main()
