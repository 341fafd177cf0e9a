"""source/insecure: sources reach servers outside the cluster over TLS."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj


def test_insecure_flag_and_http_urls_are_reported() -> None:
    files = {
        "clusters/prod/helm.yaml": obj("HelmRepository", "helm", "interval: 30m\nurl: http://charts.example.com\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci", "interval: 10m\nurl: oci://registry.lan/a\n"
                                      "insecure: true\nref:\n  tag: 1.0.0\n"),
    }
    found = run(files, "source/insecure")
    assert sorted(f.key for f in found) == ["spec.insecure", "spec.url"]


def test_insecure_oci_helm_repository_is_reported() -> None:
    """A HelmRepository of `type: oci` honours `insecure`, unlike a plain one."""
    files = {"clusters/prod/helm.yaml": obj("HelmRepository", "helm", "interval: 30m\ntype: oci\n"
                                            "url: oci://registry.example.com/charts\ninsecure: true\n")}
    found = run(files, "source/insecure")
    assert [(f.object, f.key, f.line) for f in found] == [("HelmRepository/flux-system/helm", "spec.insecure", 10)]


def test_cluster_internal_http_and_https_pass() -> None:
    files = {
        "clusters/prod/d.yaml": obj("HelmRepository", "d", "interval: 30m\nurl: https://charts.example.com\n"
                                    "insecure: true\n"),
        "clusters/prod/e.yaml": obj("OCIRepository", "e", "interval: 10m\nurl: oci://zot.registry.svc:5000/app\n"
                                    "insecure: true\nref:\n  tag: 1.0.0\n"),
        "clusters/prod/a.yaml": obj("HelmRepository", "a", "interval: 30m\nurl: https://charts.example.com\n"),
        "clusters/prod/b.yaml": obj("HelmRepository", "b", "interval: 30m\n"
                                    "url: http://chartmuseum.charts.svc.cluster.local:8080\n"),
        "clusters/prod/c.yaml": obj("GitRepository", "c", "interval: 10m\nurl: http://gitea-http:3000/acme/c\n"
                                    "ref:\n  branch: main\n"),
    }
    assert run(files, "source/insecure") == []


def test_a_credential_in_an_http_url_is_judged_and_not_remembered() -> None:
    from checks.rules.source import insecure

    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 5m\n"
                                           "url: http://user:s3cret@git.example.com/org/repo\nref:\n  branch: main\n")}
    remembered = insecure._internal.cache_info().currsize
    found = run(files, "source/insecure")
    assert [f.key for f in found] == ["spec.url"] and "s3cret" not in found[0].message
    assert insecure._internal.cache_info().currsize == remembered

