"""interval/no-retry: one long-interval Kustomization, and many children grouped on their parent."""

from __future__ import annotations

from rule_support import ROOT, analyze_files, config_map, findings, kustomization, round_trip, yaml

from checks.config import Config, RuleSettings

from ._support import APPS, child, family, line_of, repo


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


# -- many children, one decision: grouped on the parent ----------------------------------------------

UNPATCHED_PARENT = kustomization("cluster-apps")


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
    one = Config(rules={"interval/no-retry": RuleSettings(options={"group_at": 1})})
    [alone] = findings(family({"atuin": child("atuin")}), "interval/no-retry", one)
    assert alone.message.startswith("1 Kustomization rendered by Kustomization/flux-system/cluster-apps "
                                    "(Kustomization/flux-system/atuin) reconciles every 1h with no `retryInterval`")


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
    assert "replace the `retryInterval` that 1 of them sets itself (Kustomization/flux-system/unifi)." \
        in finding.message
    two = own | {"zigbee": child("zigbee", extra="retryInterval: 10m")}
    [finding] = findings(family(two), "interval/no-retry")
    assert ("replace the `retryInterval` that 2 of them set themselves (Kustomization/flux-system/unifi and "
            "others)") in finding.message
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
