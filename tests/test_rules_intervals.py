"""The interval rules on small repositories: each failing case, its look-alikes, and fix round trips."""

from __future__ import annotations

from rule_support import ROOT, analyze_files, config_map, findings, kustomization, round_trip, yaml

from checks.config import Config, RuleSettings


def repo(cluster_file: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A one-cluster repository: clusters/prod/apps.yaml renders ./apps, which holds a ConfigMap."""
    files = {f"{ROOT}/apps.yaml": cluster_file, "apps/configmap.yaml": config_map("settings")}
    files.update(extra or {})
    return files


# -- interval/invalid --------------------------------------------------------------------------------

def test_invalid_day_interval_is_an_error_with_the_hour_equivalent() -> None:
    files = repo(kustomization(spec="interval: 1d  # daily"))
    [finding] = findings(files, "interval/invalid")
    assert finding.path == f"{ROOT}/apps.yaml" and finding.line == 7
    assert "Kustomization/flux-system/apps" in finding.message and "`24h`" in finding.message
    fixed = round_trip(files, "interval/invalid")
    assert "  interval: 24h  # daily\n" in fixed[f"{ROOT}/apps.yaml"]


def test_invalid_source_timeout_in_hours_is_rewritten_in_minutes() -> None:
    source = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: platform
          namespace: flux-system
        spec:
          interval: 10m
          timeout: "1h"
          url: https://github.com/org/platform
          ref: {branch: main}
        """)
    files = repo(kustomization(), {f"{ROOT}/sources.yaml": source})
    [finding] = findings(files, "interval/invalid")
    assert "spec.timeout" not in finding.message and "`timeout: 1h`" in finding.message
    fixed = round_trip(files, "interval/invalid")
    assert 'timeout: "60m"' in fixed[f"{ROOT}/sources.yaml"]


def test_invalid_number_has_no_guessed_fix() -> None:
    [finding] = findings(repo(kustomization(spec="interval: 5")), "interval/invalid")
    assert finding.fix is None and "is a number, not a duration with a unit" in finding.message


def test_invalid_ignores_substitutions_and_non_flux_kinds() -> None:
    monitor = yaml("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: app
          namespace: default
        spec:
          endpoints:
            - interval: 1d
          interval: 1d
        """)
    files = repo(kustomization(spec="interval: ${APPS_INTERVAL:=10m}"), {"apps/monitor.yaml": monitor})
    assert findings(files, "interval/invalid") == []


# -- interval/missing --------------------------------------------------------------------------------

def test_missing_interval_on_a_git_repository_is_added() -> None:
    source = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata:
          name: platform
          namespace: flux-system
        spec:
          url: https://github.com/org/platform
          ref:
            branch: main
        """)
    files = repo(kustomization())
    files[f"{ROOT}/sources.yaml"] = source
    [finding] = findings(files, "interval/missing")
    assert finding.line == 6 and "GitRepository/flux-system/platform" in finding.message
    fixed = round_trip(files, "interval/missing")
    assert "spec:\n  interval: 10m\n  url:" in fixed[f"{ROOT}/sources.yaml"]


def test_missing_interval_set_by_a_parent_patch_is_not_reported() -> None:
    parent = kustomization(name="apps", path="./apps", spec="""
        interval: 1h
        patches:
          - patch: |
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: not-used
              spec:
                interval: 30m
            target:
              kind: Kustomization
        """)
    child = kustomization("child", "./child", spec="")  # no interval of its own
    files = repo(parent, {"apps/child.yaml": child})
    assert findings(files, "interval/missing") == []
    unpatched = repo(kustomization(name="apps", path="./apps"), {"apps/child.yaml": child})
    [finding] = findings(unpatched, "interval/missing")
    assert "Kustomization/flux-system/child" in finding.message


def test_missing_is_not_reported_for_kinds_that_need_no_interval_or_for_patch_files() -> None:
    optional = yaml("""
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: HelmRepository
        metadata:
          name: charts
          namespace: flux-system
        spec:
          url: https://charts.example.com
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata:
          name: on-call
          namespace: flux-system
        spec:
          providerRef:
            name: slack
          eventSources:
            - kind: Kustomization
              name: '*'
        """)
    overlay = {
        "overlay/kustomization.yaml": yaml("""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../base
            patches:
              - path: values.yaml
            """),
        "overlay/values.yaml": yaml("""
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata:
              name: podinfo
            spec:
              values:
                replicas: 2
            """),
    }
    files = repo(kustomization()) | overlay
    files[f"{ROOT}/optional.yaml"] = optional
    assert findings(files, "interval/missing") == []


# -- interval/too-short ------------------------------------------------------------------------------

OCI = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: platform
      namespace: flux-system
    spec:
      interval: {interval}
      url: oci://ghcr.io/org/platform
      ref:
        tag: 1.0.0
    """


def test_too_short_reports_minimum_and_recommended_and_fixes_to_recommended() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/oci.yaml"] = yaml(OCI.format(interval="30s"))
    [finding] = findings(files, "interval/too-short")
    assert finding.line == 7
    assert "OCIRepository/flux-system/platform reconciles every 30s; minimum 1m, recommended 10m" in finding.message
    fixed = round_trip(files, "interval/too-short")
    assert "  interval: 10m\n" in fixed[f"{ROOT}/oci.yaml"]


def test_too_short_follows_the_configured_minimum() -> None:
    files = repo(kustomization(spec="interval: 5m"))
    assert findings(files, "interval/too-short") == []
    strict = Config(rules={"interval/too-short": RuleSettings(options={"minimum": {"Kustomization": "10m"}})})
    [finding] = findings(files, "interval/too-short", strict)
    assert "minimum 10m" in finding.message


def test_too_short_ignores_bootstrap_files_and_non_flux_intervals() -> None:
    gotk = yaml(OCI.format(interval="30s")).replace("OCIRepository", "GitRepository")
    monitor = yaml("""
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: app
          namespace: default
        spec:
          endpoints:
            - interval: 30s
        """)
    files = repo(kustomization(), {"apps/monitor.yaml": monitor})
    files[f"{ROOT}/flux-system/gotk-sync.yaml"] = gotk
    assert findings(files, "interval/too-short") == []


# -- interval/timeout-exceeds-interval ---------------------------------------------------------------

def test_timeout_longer_than_interval_is_lowered() -> None:
    files = repo(kustomization(spec="interval: 10m\ntimeout: 30m"))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "`timeout: 30m`, longer than its `interval: 10m`" in finding.message
    round_trip(files, "interval/timeout-exceeds-interval")


def test_wait_without_timeout_on_a_long_interval_gets_a_timeout() -> None:
    files = repo(kustomization(spec="interval: 1h\nwait: true"))
    [finding] = findings(files, "interval/timeout-exceeds-interval")
    assert "59m30s" in finding.message
    fixed = round_trip(files, "interval/timeout-exceeds-interval")
    assert "  wait: true\n  timeout: 5m\n" in fixed[f"{ROOT}/apps.yaml"]


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


# -- interval/retry-exceeds-interval -----------------------------------------------------------------

def test_retry_interval_longer_than_interval_is_reported() -> None:
    [finding] = findings(repo(kustomization(spec="interval: 5m\nretryInterval: 1h")),
                         "interval/retry-exceeds-interval")
    assert finding.line == 8 and "retries failures every 1h" in finding.message


def test_retry_interval_shorter_than_interval_is_fine() -> None:
    assert findings(repo(kustomization(spec="interval: 1h\nretryInterval: 5m")),
                    "interval/retry-exceeds-interval") == []


# -- interval/no-retry -------------------------------------------------------------------------------

def test_no_retry_on_a_long_interval_adds_a_retry_interval() -> None:
    files = repo(kustomization(spec="interval: 1h"))
    [finding] = findings(files, "interval/no-retry")
    assert finding.severity.name == "INFO"
    fixed = round_trip(files, "interval/no-retry")
    assert "  interval: 1h\n  retryInterval: 2m\n" in fixed[f"{ROOT}/apps.yaml"]


def test_no_retry_look_alikes_are_quiet() -> None:
    release = yaml("""
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: podinfo
          namespace: default
        spec:
          interval: 1h
          chartRef:
            kind: OCIRepository
            name: podinfo
        """)
    files = repo(kustomization(spec="interval: 10m"), {"apps/release.yaml": release})
    assert findings(files, "interval/no-retry") == []
    assert findings(repo(kustomization(spec="interval: 1h\nretryInterval: 2m")), "interval/no-retry") == []


# -- interval/ineffective ----------------------------------------------------------------------------

HELM_REPOSITORY = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: HelmRepository
    metadata:
      name: charts
      namespace: flux-system
    spec:
      {type}interval: 30m
      url: {url}
    """


def test_interval_on_an_oci_helm_repository_is_deleted() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="type: oci\n  ", url="oci://ghcr.io/org")
    fixed = round_trip(files, "interval/ineffective")
    assert "interval" not in fixed[f"{ROOT}/charts.yaml"]


def test_interval_on_a_v1beta3_provider_is_ineffective() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/provider.yaml"] = yaml("""
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata:
          name: slack
          namespace: flux-system
        spec:
          type: slack
          interval: 10m
        """)
    [finding] = findings(files, "interval/ineffective")
    assert "Provider/flux-system/slack" in finding.message


def test_interval_on_an_http_helm_repository_is_used() -> None:
    files = repo(kustomization())
    files[f"{ROOT}/charts.yaml"] = yaml(HELM_REPOSITORY).format(type="", url="https://charts.example.com")
    assert findings(files, "interval/ineffective") == []


# -- many children, one decision: grouped on the parent ----------------------------------------------

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
UNPATCHED_PARENT = kustomization("cluster-apps")


def child(name: str, interval: str = "1h", extra: str = "", folder: str = "workloads") -> str:
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
    return text.splitlines().index(line) + 1


APPS = ("atuin", "bazarr", "plex", "radarr", "sonarr")


def test_no_retry_on_every_child_is_one_finding_on_the_parent_patch() -> None:
    files = family({name: child(name) for name in APPS})
    [finding] = findings(files, "interval/no-retry")
    parent = files[f"{ROOT}/apps.yaml"]
    assert (finding.path, finding.line) == (f"{ROOT}/apps.yaml", line_of(parent, "  patches:"))
    assert finding.object == "Kustomization/flux-system/cluster-apps"
    assert finding.message.startswith(
        "5 Kustomizations rendered by Kustomization/flux-system/cluster-apps (Kustomization/flux-system/atuin, "
        "Kustomization/flux-system/bazarr, Kustomization/flux-system/plex and 2 more) reconcile every 1h")
    assert "Set `retryInterval: 2m` once, under `spec:` in the patch" in finding.message
    fixed = round_trip(files, "interval/no-retry")
    assert "        spec:\n          retryInterval: 2m\n          patches:\n" in fixed[f"{ROOT}/apps.yaml"]
    model = analyze_files(fixed).model
    [atuin] = model.clusters[0].find("Kustomization", "flux-system", "atuin")
    assert atuin.get("spec", "retryInterval") == "2m"
    assert atuin.get("spec", "patches", 0, "target", "kind") == "HelmRelease"


def test_grouped_fingerprint_names_the_parent_and_field_not_the_count() -> None:
    five = findings(family({name: child(name) for name in APPS}), "interval/no-retry")
    six = findings(family({name: child(name) for name in (*APPS, "sabnzbd")}), "interval/no-retry")
    assert [f.fingerprint for f in five] == [f.fingerprint for f in six]
    assert five[0].message != six[0].message


def test_children_below_the_threshold_keep_their_own_findings() -> None:
    files = family({name: child(name) for name in APPS[:4]})
    found = findings(files, "interval/no-retry")
    assert sorted(f.object for f in found) == [f"Kustomization/flux-system/{name}" for name in APPS[:4]]
    assert all(f.fix is not None and f.path.endswith("/ks.yaml") for f in found)
    grouped = Config(rules={"interval/no-retry": RuleSettings(options={"group_at": 4})})
    assert len(findings(files, "interval/no-retry", grouped)) == 1
    never = Config(rules={"interval/no-retry": RuleSettings(options={"group_at": 0})})
    assert len(findings(family({name: child(name) for name in APPS}), "interval/no-retry", never)) == 5


def test_children_with_another_interval_keep_their_own_findings() -> None:
    children = {name: child(name) for name in APPS}
    children |= {"tautulli": child("tautulli", "2h"), "unifi": child("unifi", "3h")}
    found = findings(family(children), "interval/no-retry")
    assert len(found) == 3
    [grouped] = [f for f in found if f.object == "Kustomization/flux-system/cluster-apps"]
    assert grouped.message.startswith("5 Kustomizations") and "every 1h" in grouped.message
    alone = sorted(f.object for f in found if f is not grouped)
    assert alone == ["Kustomization/flux-system/tautulli", "Kustomization/flux-system/unifi"]
    assert all("every 1h" not in f.message for f in found if f is not grouped)


def test_no_fix_on_the_patch_when_it_would_override_a_child_or_exceed_its_interval() -> None:
    own = {name: child(name) for name in APPS} | {"unifi": child("unifi", extra="retryInterval: 10m")}
    [finding] = findings(family(own), "interval/no-retry")
    assert finding.fix is None
    assert "replace the `retryInterval` that 1 of them set themselves (Kustomization/flux-system/unifi)" \
        in finding.message
    fast = {name: child(name) for name in APPS} | {"unifi": child("unifi", "1m")}
    [finding] = findings(family(fast), "interval/no-retry")
    assert finding.fix is None


def test_a_parent_without_patches_gets_one_finding_on_its_name_and_no_fix() -> None:
    files = family({name: child(name) for name in APPS}, parent=UNPATCHED_PARENT)
    [finding] = findings(files, "interval/no-retry")
    assert finding.line == line_of(files[f"{ROOT}/apps.yaml"], "  name: cluster-apps")
    assert "add to Kustomization/flux-system/cluster-apps's `spec.patches` a patch targeting" in finding.message
    assert finding.fix is None


def test_an_inline_suppression_on_a_child_keeps_it_out_of_the_group() -> None:
    children = {name: child(name) for name in APPS}
    children["plex"] = children["plex"].replace(
        "  interval: 1h\n", "  interval: 1h  # flux-review: ignore[interval/no-retry]\n")
    result = analyze_files(family(children))
    found = [f for f in result.findings if f.rule == "interval/no-retry"]
    assert len(found) == 4 and "Kustomization/flux-system/plex" not in {f.object for f in found}
    assert not [f for f in result.findings if f.rule == "structure/unused-suppression"]


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
    assert "waits up to 59m30s" in grouped.message and "Set `timeout: 5m` once" in grouped.message
    assert grouped.fix is None
    [alone] = [f for f in found if f is not grouped]
    assert alone.object == "Kustomization/flux-system/unifi" and alone.fix is not None
    assert findings(family(children), "interval/no-retry") == []


TIERS = kustomization("cluster-tiers", "./tiers", extra="""
    patches:
      - patch: |
          apiVersion: kustomize.toolkit.fluxcd.io/v1
          kind: Kustomization
          metadata:
            name: _
          spec:
            patches:
              - patch: |
                  apiVersion: kustomize.toolkit.fluxcd.io/v1
                  kind: Kustomization
                  metadata:
                    name: _
                  spec:
                    prune: true
                target:
                  kind: Kustomization
        target:
          kind: Kustomization
    """)


def test_grandchildren_patched_through_nested_patches_are_grouped_on_the_ancestor() -> None:
    tiers = {"front": ("atuin", "bazarr", "plex"), "back": ("radarr", "sonarr", "unifi")}
    files = {f"{ROOT}/tiers.yaml": yaml(TIERS)}
    files["tiers/kustomization.yaml"] = yaml("""
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ./front.yaml
          - ./back.yaml
        """)
    for tier, names in tiers.items():
        files[f"tiers/{tier}.yaml"] = child(tier, "10m", folder="tier")
        for name in names:
            files[f"tier/{tier}/{name}.yaml"] = child(name)
            files[f"workloads/{name}/configmap.yaml"] = config_map(name)
    [finding] = findings(files, "interval/no-retry")
    assert finding.object == "Kustomization/flux-system/cluster-tiers"
    assert finding.message.startswith("6 Kustomizations rendered under Kustomization/flux-system/cluster-tiers")
    fixed = round_trip(files, "interval/no-retry")
    assert ("                spec:\n                  retryInterval: 2m\n                  prune: true\n"
            in fixed[f"{ROOT}/tiers.yaml"])


def test_a_json6902_patch_for_children_is_named_without_a_line_fix() -> None:
    parent = kustomization("cluster-apps", extra="""
        patches:
          - patch: |
              - op: add
                path: /spec/prune
                value: true
            target:
              kind: Kustomization
        """)
    [finding] = findings(family({name: child(name) for name in APPS}, parent=parent), "interval/no-retry")
    assert "add `{op: add, path: /spec/retryInterval, value: 2m}` to the JSON 6902 patch" in finding.message
    assert finding.fix is None
