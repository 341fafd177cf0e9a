"""interval/retry-exceeds-interval: a retryInterval longer than the interval, and its look-alikes."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization

from ._support import repo


def test_retry_interval_longer_than_interval_is_reported() -> None:
    [finding] = findings(repo(kustomization(spec="interval: 5m\nretryInterval: 1h")),
                         "interval/retry-exceeds-interval")
    assert finding.line == 8 and "retries failures every 1h" in finding.message


def test_retry_interval_shorter_than_interval_is_fine() -> None:
    assert findings(repo(kustomization(spec="interval: 1h\nretryInterval: 5m")),
                    "interval/retry-exceeds-interval") == []


def test_retry_look_alikes_are_quiet() -> None:
    """An equal pair, a substituted retry and a file `flux bootstrap` wrote are not reported."""
    for spec in ("interval: 10m\nretryInterval: 10m", "interval: 5m\nretryInterval: ${RETRY_INTERVAL:=1h}"):
        assert findings(repo(kustomization(spec=spec)), "interval/retry-exceeds-interval") == [], spec
    swapped = kustomization("infra", "./apps", spec="interval: 5m\nretryInterval: 1h")
    by_hand = repo(kustomization(), {f"{ROOT}/flux-system/sync.yaml": swapped})
    assert len(findings(by_hand, "interval/retry-exceeds-interval")) == 1
    bootstrap = repo(kustomization(), {f"{ROOT}/flux-system/gotk-sync.yaml": swapped})
    assert findings(bootstrap, "interval/retry-exceeds-interval") == []
