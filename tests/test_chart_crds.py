"""The chart CRD table and how a HelmRelease, or the repository's bootstrap, is read against it."""

from __future__ import annotations

import copy
import json
import random
import re
from importlib import resources

import pytest
from rule_support import analyze_files, flux_object, kustomization, yaml

from checks.chart_crds import (
    _HELMFILE,
    _SCRIPT,
    Bootstrap,
    ReleaseCRDs,
    _entries,
    _may_bootstrap,
    _whole_word,
    parse_table,
    release_crds,
    table,
)
from checks.model import FLUX_KINDS
from checks.repo import Cluster
from checks.source import RepoSnapshot

# -- the table --------------------------------------------------------------------------------------------


def _document() -> dict:
    return json.loads(resources.files("checks").joinpath("data/chart_crds.json").read_text(encoding="utf-8"))


def test_the_packaged_table_names_each_chart_once_with_its_groups_and_sources() -> None:
    charts = table()
    assert {"cert-manager", "external-secrets", "kube-prometheus-stack", "prometheus-operator-crds",
            "cloudnative-pg", "grafana-operator", "volsync"} <= charts.keys()
    assert 10 <= len(_document()["charts"]) <= 20
    for name, entry in charts.items():
        assert name in entry.charts and "/" not in name
        assert entry.groups and not set(entry.groups) & set(FLUX_KINDS.values())
        assert entry.repository and entry.projects
    cert_manager = charts["cert-manager"]
    assert cert_manager.mode == "any" and cert_manager.location == "templates"
    assert cert_manager.switches == ((("crds", "enabled"), False), (("installCRDs",), False))
    for raw in _document()["charts"]:
        assert raw["source"]["files"] and raw["source"]["note"], raw["charts"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda e: e.pop("source"), "needs its source"),
    (lambda e: e.__setitem__("crds", "somewhere"), "needs charts, groups"),
    (lambda e: e["switches"]["values"].__setitem__("crds.enabled", "yes"), "needs charts, groups"),
    (lambda e: e.__setitem__("projects", []), "needs charts, groups"),
])
def test_a_malformed_entry_is_refused_naming_it(change, message: str) -> None:
    document = _document()
    change(document["charts"][0])
    with pytest.raises(ValueError, match=f"entry 0: {message}"):
        parse_table(document)


def test_a_chart_listed_twice_is_refused() -> None:
    document = _document()
    document["charts"].append(copy.deepcopy(document["charts"][0]))
    with pytest.raises(ValueError, match="chart cert-manager is listed twice"):
        parse_table(document)


# -- a HelmRelease read against it --------------------------------------------------------------------------

def _release(chart: str, extra: str = "", *, spec: str | None = None, **files: str) -> tuple[ReleaseCRDs | None,
                                                                                              Cluster]:
    """What the one HelmRelease of a one-cluster repository installs (``spec`` replaces its chart lines)."""
    lines = spec if spec is not None else (f"interval: 1h\nchart:\n  spec:\n    chart: {chart}\n"
                                           "    sourceRef:\n      kind: HelmRepository\n      name: charts\n")
    repo = {"clusters/prod/infra.yaml": kustomization("infra", "./infra"),
            "infra/release.yaml": flux_object("HelmRelease", "release", lines + yaml(extra), "infra"),
            **{f"infra/{name}.yaml": text for name, text in files.items()}}
    [cluster] = analyze_files(repo).model.clusters
    [obj] = [o for o in cluster.objects if o.kind == "HelmRelease"]
    return release_crds(obj, cluster), cluster


def _verdict(chart: str, extra: str = "", **kwargs) -> str:
    found, _ = _release(chart, extra, **kwargs)
    return "none" if found is None else ("certain" if found.certain else "unknown")


def test_a_release_installs_the_groups_of_its_chart() -> None:
    found, _ = _release("external-secrets")
    assert found is not None and found.certain and found.chart == "external-secrets"
    assert found.groups == ("external-secrets.io", "generators.external-secrets.io")
    assert found.release.id == "HelmRelease/infra/release"


@pytest.mark.parametrize(("extra", "verdict"), [
    ("", "none"),                                                   # both switches default to false
    ("values:\n  crds:\n    enabled: true\n", "certain"),
    ("values:\n  installCRDs: true\n", "certain"),                  # any switch will do
    ("values:\n  crds:\n    enabled: false\n", "none"),
    ("values:\n  crds:\n    enabled: ${CRDS}\n", "unknown"),        # not a literal boolean
    ("values:\n  crds:\n    enabled: 'true'\n", "unknown"),
    ("valuesFrom:\n  - kind: ConfigMap\n    name: values\n", "unknown"),
    ("values:\n  crds:\n    enabled: true\nvaluesFrom:\n  - kind: ConfigMap\n    name: values\n", "certain"),
])
def test_switches_any_of_which_installs_the_crds(extra: str, verdict: str) -> None:
    assert _verdict("cert-manager", extra) == verdict


@pytest.mark.parametrize(("extra", "verdict"), [
    ("", "certain"),                                                # crds.create defaults to true
    ("values:\n  crds:\n    create: false\n", "none"),
    ("valuesFrom:\n  - kind: Secret\n    name: values\n", "unknown"),
    ("suspend: true\n", "unknown"),
    ("kubeConfig:\n  secretRef:\n    name: remote\n", "none"),    # installs into another cluster
])
def test_switches_all_of_which_install_the_crds(extra: str, verdict: str) -> None:
    assert _verdict("cloudnative-pg", extra) == verdict


@pytest.mark.parametrize(("chart", "extra", "verdict"), [
    ("gateway-helm", "", "certain"),
    ("gateway-helm", "install:\n  crds: CreateReplace\n", "certain"),
    ("gateway-helm", "install:\n  crds: Skip\n", "none"),           # Helm's crds/ folder is left out
    ("gateway-helm", "install:\n  skipCRDs: true\n", "none"),
    ("gateway-helm", "install:\n  crds: ${POLICY}\n", "unknown"),
    ("velero", "install:\n  crds: Skip\n", "unknown"),              # the folder or a hook Job, by version
    ("longhorn", "install:\n  crds: Skip\n", "certain"),            # templates are installed all the same
])
def test_the_crd_policy_applies_to_the_crds_folder_only(chart: str, extra: str, verdict: str) -> None:
    assert _verdict(chart, extra) == verdict


def test_the_chart_is_named_by_its_oci_repository_or_helm_chart() -> None:
    oci = flux_object("OCIRepository", "kps", "interval: 1h\nurl: oci://ghcr.io/prometheus-community/charts/"
                      "kube-prometheus-stack\nref:\n  tag: 70.0.0\n", "infra")
    chart_ref = "interval: 1h\nchartRef:\n  kind: {kind}\n  name: kps\n"
    found, _ = _release("", spec=chart_ref.format(kind="OCIRepository"), source=oci)
    assert found is not None and found.chart == "kube-prometheus-stack" and found.certain
    helm_chart = flux_object("HelmChart", "kps", "interval: 1h\nchart: cloudnative-pg\nsourceRef:\n"
                             "  kind: HelmRepository\n  name: charts\n{files}", "infra")
    assert _verdict("", spec=chart_ref.format(kind="HelmChart"), source=helm_chart.format(files="")) == "certain"
    # Alternative values files replace the chart's defaults: the switch is no longer known.
    replaced = helm_chart.format(files="valuesFiles:\n  - values-prod.yaml\n")
    assert _verdict("", spec=chart_ref.format(kind="HelmChart"), source=replaced) == "unknown"
    assert _verdict("", spec=chart_ref.format(kind="OCIRepository")) == "none"  # no such source


@pytest.mark.parametrize("chart", ["./charts/cert-manager", "${CHART}", "my-operator"])
def test_paths_variables_and_unknown_charts_install_nothing_we_know(chart: str) -> None:
    assert _verdict(chart, "values:\n  installCRDs: true\n") == "none"


def test_values_files_of_the_chart_template_make_defaults_unknown() -> None:
    spec = ("interval: 1h\nchart:\n  spec:\n    chart: cloudnative-pg\n    valuesFiles: [values.yaml, prod.yaml]\n"
            "    sourceRef:\n      kind: GitRepository\n      name: charts\n")
    assert _verdict("", spec=spec) == "unknown"


# -- what the repository installs before Flux -------------------------------------------------------------

def _bootstrap(**files: str) -> Bootstrap:
    return Bootstrap.read(RepoSnapshot.from_mapping({path.replace("__", "/"): text for path, text in files.items()}))


def test_helmfiles_name_the_releases_and_charts_they_install() -> None:
    helmfile = yaml("""
        releases:
          - name: kube-prometheus-stack
            namespace: o11y
          - name: certs
            chart: oci://quay.io/jetstack/charts/cert-manager
            set:
              - name: installCRDs
                value: true
        """)
    found = _bootstrap(**{"bootstrap/helmfile.d/00-crds.yaml": helmfile, "helmfile.yaml.gotmpl": "releases:\n"
                          "  - name: volsync\n", "bootstrap/helmfile/apps.yaml": "releases:\n  - name: keda\n",
                          "apps/releases.yaml": "releases:\n  - name: longhorn\n"})
    assert {"kube-prometheus-stack", "certs", "cert-manager", "volsync", "keda"} <= found.names
    assert "longhorn" not in found.names  # not a helmfile
    assert {"monitoring.coreos.com", "cert-manager.io", "volsync.backube", "keda.sh"} <= found.groups()
    assert "longhorn.io" not in found.groups()


def test_a_helmfile_release_named_like_a_flux_release_bootstraps_its_chart() -> None:
    found, _ = _release("gateway-helm")
    assert found is not None
    bootstrap = _bootstrap(**{"bootstrap/helmfile.yaml": "releases:\n  - name: release\n    namespace: infra\n"})
    assert "gateway.envoyproxy.io" not in bootstrap.groups()
    assert "gateway.envoyproxy.io" in bootstrap.groups([found])


def test_scripts_naming_a_group_or_an_upstream_project_apply_its_crds() -> None:
    script = ("kustomize build https://github.com/prometheus-operator/prometheus-operator/?ref=v0.93.0 | "
              "kubectl apply -f -\nkubectl wait crd/clustersecretstores.external-secrets.io\n")
    found = _bootstrap(**{".taskfiles/bootstrap.sh": script, "Taskfile.yaml": "cmds: [kubectl get ns rook/rook-ceph]",
                          "notes/crds.md": "longhorn/longhorn keda.sh"})
    groups = found.groups()
    assert {"monitoring.coreos.com", "external-secrets.io", "generators.external-secrets.io"} <= groups
    assert "ceph.rook.io" not in groups  # rook/rook-ceph is not the project rook/rook
    assert not {"longhorn.io", "keda.sh"} & groups  # not a script


def test_a_marker_is_named_as_the_word_search_decides() -> None:
    """The search without a regular expression answers as ``(?<![\\w-])marker(?![\\w-])`` does."""
    pieces = ["-", "_", ".", "/", " ", "\n", "x", "9", "\u00e9", "\u0663", "\u00b2", "\u2019"]
    markers = sorted({m for entry in _entries() for m in (*entry.groups, *entry.projects)})
    draw = random.Random(7)
    for _ in range(3000):
        marker = draw.choice(markers)
        text = "".join(draw.choice([*pieces, marker, marker[:-1]]) for _ in range(draw.randint(0, 8)))
        expected = re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", text) is not None
        assert _whole_word(text, marker) == expected, (text, marker)


def test_scripts_are_searched_as_one_text_without_joining_words_across_them() -> None:
    found = _bootstrap(**{"a.sh": "echo rook", "b.sh": "/rook applied"})
    assert "ceph.rook.io" not in found.groups()  # `rook` ends one script and `/rook` begins the next


def test_a_group_is_installed_exactly_when_it_is_among_the_groups() -> None:
    found = _bootstrap(**{"helmfile.yaml": "releases:\n  - name: cert-manager\n    chart: jetstack/cert-manager\n",
                          "scripts/crds.sh": "kubectl apply -k github.com/kedacore/keda//config/crd"})
    groups = found.groups()
    assert {"cert-manager.io", "keda.sh"} <= groups
    for group in {g for entry in _entries() for g in entry.groups} | {"example.com"}:
        assert found.installs(group) == (group in groups), group
    assert not Bootstrap().installs("cert-manager.io")


@pytest.mark.parametrize("path", [
    "helmfile.yaml", "bootstrap/helmfile.d/00-crds.yaml", "Justfile", ".justfile", "Makefile", "GNUmakefile",
    "Taskfile.yaml", ".taskfiles/flux/Taskfile.yaml", "scripts/bootstrap.sh", "x.bash", "x.zsh", "mod.just", "rules.mk",
])
def test_every_path_a_bootstrap_pattern_matches_passes_the_quick_test(path: str) -> None:
    assert _HELMFILE.search(path) or _SCRIPT.search(path)
    assert _may_bootstrap(path)


def test_a_manifest_path_fails_the_quick_test() -> None:
    assert not _may_bootstrap("kubernetes/apps/default/podinfo/app/helmrelease.yaml")
