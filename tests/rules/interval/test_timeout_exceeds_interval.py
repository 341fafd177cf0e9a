"""interval/timeout-exceeds-interval: explicit and implicit timeouts, one child or many."""

from __future__ import annotations

from rule_support import ROOT, findings, kustomization, round_trip

from checks.config import Config, RuleSettings

from ._support import APPS, child, family, line_of, repo


def test_timeout_longer_than_interval_is_lowered() -> None:
    files = repo(kustomization(spec="interval: 10m\ntimeout: 30m", wait=True))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "`timeout: 30m`, longer than its `interval: 10m`" in finding.message
    round_trip(files, "interval/timeout-exceeds-interval")


def test_a_long_timeout_bounds_nothing_without_a_wait() -> None:
    # Without wait or healthChecks kustomize-controller applies and returns: the timeout holds nothing.
    assert findings(repo(kustomization(spec="interval: 10m\ntimeout: 30m")), "interval/timeout-exceeds-interval") == []
    checks = "interval: 10m\ntimeout: 30m\nhealthChecks:\n  - kind: Deployment\n    name: web\n    namespace: apps"
    assert len(findings(repo(kustomization(spec=checks)), "interval/timeout-exceeds-interval")) == 1


def test_wait_without_timeout_on_a_long_interval_gets_a_timeout() -> None:
    files = repo(kustomization(spec="interval: 1h\nwait: true"))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "59m30s" in finding.message
    fixed = round_trip(files, "interval/timeout-exceeds-interval")
    assert "  wait: true\n  timeout: 5m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_the_long_wait_is_worded_as_kustomize_controller_behaves() -> None:
    """The wait ends in not Ready and holds new revisions; a dependent proceeds only once its dependency is Ready."""
    [finding] = findings(repo(kustomization(spec="interval: 1h\nwait: true")), "interval/timeout-exceeds-interval")
    assert "wait up to 59m30s (interval 1h minus 30s) before a stuck rollout fails them and the Kustomization is " \
        "marked not Ready" in finding.message
    assert "applies no new revision" in finding.message
    assert "Kustomizations that depend on it keep waiting for it to be Ready" in finding.message
    assert "released" not in finding.message


def test_a_group_of_one_child_reads_in_the_singular() -> None:
    """With `group_at: 1` a single child is grouped on its parent: `1 Kustomization ... sets ... reconciles`."""
    config = Config(rules={"interval/timeout-exceeds-interval": RuleSettings(options={"group_at": 1})})
    [grouped] = findings(family({"atuin": child("atuin", extra="retryInterval: 2m\nwait: true")}),
                         "interval/timeout-exceeds-interval", config)
    assert grouped.message.startswith("1 Kustomization rendered by Kustomization/flux-system/cluster-apps "
                                      "(Kustomization/flux-system/atuin) sets `wait: true` or `healthChecks` with no "
                                      "`timeout` and reconciles every 1h,")


def test_health_checks_without_timeout_get_a_timeout_below_the_interval() -> None:
    spec = ("interval: 2h\nhealthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n"
            "    name: web\n    namespace: apps")
    files = repo(kustomization(spec=spec))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "sets `healthChecks` with no `timeout`" in finding.message and "1h59m30s" in finding.message
    fixed = round_trip(files, "interval/timeout-exceeds-interval")
    assert "  interval: 2h\n  timeout: 5m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_timeout_look_alikes_are_quiet() -> None:
    for spec in ("interval: 10m\nwait: true", "interval: 1h\ntimeout: 5m\nwait: true", "interval: 1h"):
        assert findings(repo(kustomization(spec=spec)), "interval/timeout-exceeds-interval") == [], spec


def test_wait_without_timeout_on_every_child_is_one_warning_on_the_parent() -> None:
    children = {name: child(name, extra="retryInterval: 2m\nwait: true") for name in APPS[:3]}
    checks = "healthChecks:\n  - apiVersion: apps/v1\n    kind: Deployment\n    name: web\n    namespace: default"
    children |= {name: child(name, extra=f"retryInterval: 2m\n{checks}") for name in APPS[3:]}
    children["unifi"] = child("unifi", "2h", extra="retryInterval: 2m\nwait: true")
    found = findings(family(children), "interval/timeout-exceeds-interval")
    assert len(found) == 2
    [grouped] = [f for f in found if f.object == "Kustomization/flux-system/cluster-apps"]
    assert grouped.line == line_of(family(children)[f"{ROOT}/apps.yaml"], "  patches:")
    assert grouped.message.startswith("5 Kustomizations rendered by Kustomization/flux-system/cluster-apps")
    assert "set `wait: true` or `healthChecks` with no `timeout` and reconcile every 1h" in grouped.message
    assert "wait up to 59m30s" in grouped.message and "Set `timeout: 5m` once" in grouped.message
    assert grouped.fix is None
    [alone] = [f for f in found if f is not grouped]
    assert alone.object == "Kustomization/flux-system/unifi" and alone.fix is not None
    assert findings(family(children), "interval/no-retry") == []


def test_with_cancel_health_check_on_new_revision_a_new_revision_is_not_said_to_wait() -> None:
    from rule_support import findings, kustomization

    files = {"clusters/prod/apps.yaml": kustomization(spec="interval: 1h", wait=True)}
    [blocked] = findings(files, "interval/timeout-exceeds-interval")
    assert "applies no new revision" in blocked.message
    files["clusters/prod/flux-system/patches.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: controller-args\ndata:\n"
        "  args: --feature-gates=CancelHealthCheckOnNewRevision=true\n")
    [cancelled] = findings(files, "interval/timeout-exceeds-interval")
    assert "applies no new revision" not in cancelled.message
    assert "a new revision cancels the wait" in cancelled.message and "keep waiting" in cancelled.message
