"""The repository every tenancy rule test starts from: a small platform with one tenant.

dev-team owns ``tenants/`` and the namespace apps; the cluster's tenants
Kustomization renders ``tenants/prod``, which includes the dev-team base
(its namespace, service account, GitRepository and Kustomization). A test
adds what it is about with ``tenant_file`` or edits the files directly.
"""

from __future__ import annotations

import textwrap

from rule_support import analyze_files, of

from checks.config import Config, Tenant
from checks.findings import Finding

TENANTS = Config(tenants=(Tenant("dev-team", ("tenants/",), ("apps",), "dev-team"),))

PLATFORM = {
    "clusters/prod/tenants.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  interval: 10m
  serviceAccountName: kustomize-controller
  path: ./tenants/prod
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "tenants/prod/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - ../base/dev-team
""",
    "tenants/base/dev-team/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: apps
resources:
  - rbac.yaml
  - sync.yaml
""",
    "tenants/base/dev-team/rbac.yaml": """\
apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: dev-team
  namespace: apps
""",
    "tenants/base/dev-team/sync.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: dev-team
  namespace: apps
spec:
  interval: 1m
  url: https://example.com/dev-team.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev-team
  namespace: apps
spec:
  serviceAccountName: dev-team
  interval: 5m
  path: ./
  prune: true
  sourceRef:
    kind: GitRepository
    name: dev-team
""",
}


def tenant_file(text: str) -> dict[str, str]:
    """The platform repository with ``extra.yaml`` added to the dev-team base and its kustomization."""
    files = dict(PLATFORM)
    files["tenants/base/dev-team/extra.yaml"] = textwrap.dedent(text)
    files["tenants/base/dev-team/kustomization.yaml"] += "  - extra.yaml\n"
    return files


def findings(files: dict[str, str], rule: str) -> list[Finding]:
    """The findings of one rule, dev-team being the tenant."""
    return of(analyze_files(files, TENANTS), rule)
