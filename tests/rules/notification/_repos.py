"""The repository the notification rule tests share: a cluster `prod` with a HelmRelease, a Provider and an Alert.

Line numbers the tests assert on count from the top of these texts.
"""

from __future__ import annotations

import textwrap

from rule_support import kustomization

APPS = kustomization()

PROVIDER = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  type: slack
  secretRef:
    name: slack-url
"""

ALERT = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: '*'
    - kind: HelmRelease
      name: '*'
"""

RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 15m
  chartRef:
    kind: OCIRepository
    name: podinfo
"""


def repo(**files: str) -> dict[str, str]:
    """A cluster `prod` whose `apps` Kustomization renders apps/; keys are file names under apps/."""
    result = {"clusters/prod/apps.yaml": APPS, "apps/podinfo.yaml": RELEASE}
    result.update({f"apps/{name}.yaml": textwrap.dedent(text) for name, text in files.items()})
    return result
