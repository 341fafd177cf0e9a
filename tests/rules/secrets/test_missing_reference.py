"""secrets/missing-reference: valuesFrom/substituteFrom names nothing creates, made optional."""

from __future__ import annotations

from rule_support import config_map, resource_set, round_trip
from rule_support import findings as run

from ._support import APPS, APPS_DECRYPTED, SOPS_SECRET, release, secret


def _values_from(name: str, kind: str = "Secret", optional: bool = False) -> str:
    return release("replicas: 1\n").replace("  values:\n", "  valuesFrom:\n    - kind: " + kind + "\n      name: "
                                             + name + "\n" + ("      optional: true\n" if optional else "")
                                             + "  values:\n")


def test_values_from_a_secret_nothing_creates_is_reported_and_made_optional() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _values_from("grafana-oauth")}
    found = run(files, "secrets/missing-reference")
    assert len(found) == 1 and found[0].line == 13 and "`grafana-oauth`" in found[0].message
    fixed = round_trip(files, "secrets/missing-reference")
    assert "      name: grafana-oauth\n      optional: true\n" in fixed["apps/release.yaml"]


def test_substitute_from_a_missing_config_map_is_reported() -> None:
    parent = APPS + "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
    found = run({"clusters/prod/apps.yaml": parent, "apps/cm.yaml": config_map("other")}, "secrets/missing-reference")
    assert [f.object for f in found] == ["Kustomization/flux-system/apps"]


def test_every_kind_of_producer_satisfies_a_reference() -> None:
    producers = {
        "external": "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: es\n"
                    "  namespace: default\nspec:\n  target:\n    name: external\n",
        "sealed": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed\n"
                  "  namespace: default\n",
        "sops": SOPS_SECRET.replace("name: app", "name: sops"),
        "tls": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: cert\n  namespace: default\n"
               "spec:\n  secretName: tls\n",
        "bucket": "apiVersion: objectbucket.io/v1alpha1\nkind: ObjectBucketClaim\nmetadata:\n  name: bucket\n"
                  "  namespace: default\n",
    }
    for name, manifest in producers.items():
        files = {"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/release.yaml": _values_from(name),
                 "apps/producer.yaml": manifest}
        assert run(files, "secrets/missing-reference") == [], name
    generated = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _values_from("values", "ConfigMap"),
                 "apps/kustomization.yaml": "namespace: default\nresources:\n  - release.yaml\n"
                                            "configMapGenerator:\n  - name: values\n    files:\n      - values.yaml\n",
                 "apps/values.yaml": "replicas: 2\n"}
    assert run(generated, "secrets/missing-reference") == []


def test_out_of_band_secrets_are_not_reported() -> None:
    base = {"clusters/prod/apps.yaml": APPS}
    assert run({**base, "apps/release.yaml": _values_from("absent", optional=True)},
               "secrets/missing-reference") == []
    assert run({**base, "apps/release.yaml": _values_from("sops-age")}, "secrets/missing-reference") == []
    assert run({**base, "apps/release.yaml": _values_from("bootstrap-values"),
                "scripts/bootstrap.sh": "kubectl create secret generic bootstrap-values --from-file=v.yaml\n"},
               "secrets/missing-reference") == []
    assert run({**base, "apps/release.yaml": _values_from("tunnel-id"),
                "bootstrap/secret.yaml": secret("stringData:\n  id: op://k8s/tunnel/id\n", "tunnel-id")},
               "secrets/missing-reference") == []


def test_a_name_the_docs_write_as_a_word_or_part_of_a_file_name_is_out_of_band() -> None:
    base = {"clusters/prod/apps.yaml": APPS}
    for doc, quiet in (("Create `cluster-secrets` first.", True), ("See cluster-secrets.yaml.", True),
                       ("sops -d ./cluster-secrets.sops.yaml", True), ("--cluster-secrets-", True),
                       ("my-cluster-secrets is another one", False), ("cluster-secrets2", False),
                       ("Cluster-Secrets", False), ("xcluster-secrets.yaml", False)):
        files = {**base, "apps/release.yaml": _values_from("cluster-secrets"), "README.md": doc}
        assert (run(files, "secrets/missing-reference") == []) is quiet, doc


def test_a_release_does_not_create_what_its_own_values_from_reads() -> None:
    # helm-controller reads valuesFrom before installing the chart: `app-values` would be the chart's, too late.
    for name in ("app-values", "app"):
        found = run({"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _values_from(name)},
                    "secrets/missing-reference")
        assert len(found) == 1 and f"`{name}`" in found[0].message, name
        assert "Its own chart cannot create it" in found[0].message
    renamed = _values_from("portal-values").replace("spec:\n", "spec:\n  releaseName: portal\n", 1)
    found = run({"clusters/prod/apps.yaml": APPS, "apps/release.yaml": renamed}, "secrets/missing-reference")
    assert [f.object for f in found] == ["HelmRelease/default/app"]


def test_another_release_still_creates_what_a_release_reads() -> None:
    other = release("replicas: 1\n").replace("name: app\n", "name: grafana\n", 1)
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _values_from("grafana-oauth"),
             "apps/grafana.yaml": other}
    assert run(files, "secrets/missing-reference") == []
    # A Secret of the release's own name that the repository does write still counts.
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _values_from("app-values"),
             "apps/secret.yaml": secret("stringData:\n  values.yaml: 'replicas: 2'\n", "app-values")}
    assert run(files, "secrets/missing-reference") == []


def test_secrets_a_resourceset_creates_or_may_create_satisfy_a_reference() -> None:
    # One it generates from inline inputs exists; a ResourceSet fed by a ResourceSetInputProvider
    # may create any Secret its templates name, so a reference to one is not reported either.
    made = resource_set("""
        inputs:
          - name: made
        resources:
          - apiVersion: v1
            kind: Secret
            metadata:
              name: << inputs.name >>
              namespace: default
    """)
    fed = resource_set("""
        inputsFrom:
          - kind: ResourceSetInputProvider
            name: tenants
        resourcesTemplate: |
          apiVersion: v1
          kind: Secret
          metadata:
            name: values-<< inputs.id >>
            namespace: default
    """, name="fed")
    base = {"clusters/prod/apps.yaml": APPS, "apps/made.yaml": made, "apps/fed.yaml": fed}
    for name in ("made", "values-7"):
        assert run({**base, "apps/release.yaml": _values_from(name)}, "secrets/missing-reference") == [], name
    without = {"clusters/prod/apps.yaml": APPS, "apps/made.yaml": made, "apps/release.yaml": _values_from("values-7")}
    assert len(run(without, "secrets/missing-reference")) == 1
