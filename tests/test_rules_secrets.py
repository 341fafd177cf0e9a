"""The secrets rules: leaks are reported by key, look-alikes are not, and fixes round-trip."""

from __future__ import annotations

import base64
import textwrap

from rule_support import analyze_files, config_map, flux_object, kustomization, round_trip
from rule_support import findings as run

ENC = "ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2,tag:dGFndGFn,type:str]"
SOPS_BLOCK = f"""\
sops:
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdl
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2025-01-01T00:00:00Z"
  mac: {ENC}
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
"""

APPS = kustomization()

APPS_DECRYPTED = APPS + """\
  decryption:
    provider: sops
    secretRef:
      name: sops-age
"""


def secret(body: str, name: str = "app") -> str:
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: default\n" + body


# -- secrets/plaintext-secret ------------------------------------------------------------------------------

def test_plaintext_secret_names_the_keys_and_never_the_values() -> None:
    raw = "sk_live_TOPSECRET_4242"
    encoded = base64.b64encode(b"hunter2-really").decode()
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/secret.yaml": secret(f"data:\n  password: {encoded}\nstringData:\n  apiKey: {raw}\n"),
    }
    found = run(files, "secrets/plaintext-secret")
    assert len(found) == 1
    assert "`data.password`" in found[0].message and "`stringData.apiKey`" in found[0].message
    assert found[0].line == 7 and found[0].object == "Secret/default/app"
    for finding in analyze_files(files).findings:
        for leaked in (raw, encoded, "hunter2"):
            assert leaked not in finding.message


def test_plaintext_secret_leaves_the_look_alikes_alone() -> None:
    cert = "-----BEGIN CERTIFICATE-----\n    MIIBszCCAVmgAwIBAgIU\n    -----END CERTIFICATE-----"
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/sops.yaml": secret(f"stringData:\n  password: {ENC}\n" + SOPS_BLOCK, "sops"),
        "apps/refs.yaml": secret(
            "stringData:\n"
            "  substituted: ${DB_PASSWORD}\n"
            "  onepassword: op://kubernetes/db/password\n"
            "  vault: vault:secret/data/db#password\n"
            "  vals: ref+awssecrets://db/password\n"
            "  empty: ''\n"
            f"  ca.crt: |\n    {cert}\n"
            "  id.pub: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1ZmJhcmJheg user@host\n"
            "  known_hosts: github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAI\n"
            "  key.pub: |\n    -----BEGIN PUBLIC KEY-----\n    MFkwEwYH\n    -----END PUBLIC KEY-----\n"
            f"data:\n  ref: {base64.b64encode(b'op://vault/item/field').decode()}\n", "refs"),
    }
    assert run(files, "secrets/plaintext-secret") == []


def test_advice_uses_the_repository_creation_rules() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/secret.yaml": secret("stringData:\n  password: hunter2x\n"),
             ".sops.yaml": "creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    age: age1xyz\n"}
    found = run(files, "secrets/plaintext-secret")
    assert "rename it `secret.sops.yaml`" in found[0].message


def test_placeholder_values_are_reported_because_flux_applies_them_as_written() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/secret.yaml": secret("stringData:\n  password: changeme\n")}
    assert len(run(files, "secrets/plaintext-secret")) == 1


def test_unrendered_examples_are_illustrations_but_rendered_ones_are_not() -> None:
    example = secret("stringData:\n  password: example-password\n")
    assert run({"docs/examples/secret.yaml": example}, "secrets/plaintext-secret") == []
    files = {"clusters/prod/apps.yaml": APPS.replace("./apps", "./tests/e2e"), "tests/e2e/secret.yaml": example}
    assert len(run(files, "secrets/plaintext-secret")) == 1


def test_unencrypted_file_named_for_sops_is_reported_even_when_empty() -> None:
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/secret.sops.yaml": secret("stringData:\n  repository.config: |\n"),
    }
    found = run(files, "secrets/plaintext-secret")
    assert len(found) == 1
    assert "not encrypted" in found[0].message and "`stringData[repository.config]`" in found[0].message


def test_secret_generator_literals_and_env_files_are_plaintext() -> None:
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/kustomization.yaml": """\
            resources: []
            secretGenerator:
              - name: app
                literals:
                  - API_TOKEN=abc123def456
                  - FROM_VAR=${TOKEN}
              - name: env
                envs:
                  - app.env
              - name: sealed
                envs:
                  - sealed.sops.env
        """,
        "apps/app.env": "DB_PASSWORD=hunter2hunter2\nEMPTY=\n",
        "apps/sealed.sops.env": "DB_PASSWORD=ENC[AES256_GCM,data:x,type:str]\nsops_mac=ENC[x]\n",
    }
    found = run(files, "secrets/plaintext-secret")
    assert sorted(f.key for f in found) == ["secretGenerator:app", "secretGenerator:env"]
    assert all("hunter2" not in f.message and "abc123" not in f.message for f in found)


# -- secrets/sops-without-decryption -----------------------------------------------------------------------

SOPS_SECRET = secret(f"stringData:\n  password: {ENC}\n" + SOPS_BLOCK)


def test_sops_file_without_decryption_is_reported_on_the_kustomization_and_fixed() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/secret.sops.yaml": SOPS_SECRET}
    found = run(files, "secrets/sops-without-decryption")
    assert len(found) == 1
    assert found[0].path == "clusters/prod/apps.yaml" and found[0].line == 6
    assert found[0].object == "Kustomization/flux-system/apps"
    assert "`apps/secret.sops.yaml`" in found[0].message
    fixed = round_trip(files, "secrets/sops-without-decryption")
    assert "decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n" in fixed["clusters/prod/apps.yaml"]


def test_decryption_fix_reuses_the_key_secret_of_the_cluster() -> None:
    other = APPS.replace("name: apps", "name: infra").replace("./apps", "./infra") + \
        "  decryption:\n    provider: sops\n    secretRef:\n      name: sops-keys\n"
    files = {"clusters/prod/apps.yaml": APPS, "clusters/prod/infra.yaml": other,
             "apps/secret.sops.yaml": SOPS_SECRET, "infra/cm.yaml": config_map("c")}
    fixed = round_trip(files, "secrets/sops-without-decryption")
    assert "name: sops-keys" in fixed["clusters/prod/apps.yaml"]


def test_decryption_from_a_parent_patch_counts() -> None:
    parent = APPS + """\
  patches:
    - target:
        kind: Kustomization
      patch: |
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: all
        spec:
          decryption:
            provider: sops
            secretRef:
              name: sops-age
"""
    child = APPS.replace("name: apps", "name: db").replace("./apps", "./db")
    files = {"clusters/prod/apps.yaml": parent, "apps/db.yaml": child, "db/secret.sops.yaml": SOPS_SECRET}
    assert run(files, "secrets/sops-without-decryption") == []
    files["clusters/prod/apps.yaml"] = APPS
    assert [f.object for f in run(files, "secrets/sops-without-decryption")] == ["Kustomization/flux-system/db"]


def test_decrypt_disabled_annotation_and_decryption_are_respected() -> None:
    disabled = SOPS_SECRET.replace("  namespace: default\n", "  namespace: default\n  annotations:\n"
                                   "    kustomize.toolkit.fluxcd.io/decrypt: disabled\n")
    assert run({"clusters/prod/apps.yaml": APPS, "apps/secret.sops.yaml": disabled},
               "secrets/sops-without-decryption") == []
    assert run({"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/secret.sops.yaml": SOPS_SECRET},
               "secrets/sops-without-decryption") == []


# -- secrets/sops-partial ----------------------------------------------------------------------------------

def test_value_added_after_encryption_is_reported_by_key() -> None:
    edited = secret(f"stringData:\n  username: {ENC}\n  password: hunter2-added\n" + SOPS_BLOCK)
    found = run({"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/secret.sops.yaml": edited},
                "secrets/sops-partial")
    assert len(found) == 1
    assert found[0].line == 8 and "`stringData.password`" in found[0].message
    assert "hunter2" not in found[0].message


def test_encrypted_metadata_is_reported() -> None:
    whole = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {ENC}\nstringData:\n  password: {ENC}\n" + \
        SOPS_BLOCK.replace("  encrypted_regex: ^(data|stringData)$\n", "  unencrypted_regex: ^(kind|apiVersion)$\n")
    found = run({"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/secret.sops.yaml": whole},
                "secrets/sops-partial")
    assert len(found) == 1 and "`metadata.name`" in found[0].message


def test_properly_encrypted_file_passes() -> None:
    assert run({"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/secret.sops.yaml": SOPS_SECRET},
               "secrets/sops-partial") == []


# -- secrets/sops-not-covered ------------------------------------------------------------------------------

SOPS_CONFIG = """\
creation_rules:
  - path_regex: apps/.*\\.sops\\.ya?ml
    encrypted_regex: ^(data|stringData)$
    age: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
"""


def test_sops_file_outside_every_creation_rule_is_reported() -> None:
    files = {".sops.yaml": SOPS_CONFIG, "clusters/prod/apps.yaml": APPS_DECRYPTED,
             "apps/secret.sops.yaml": SOPS_SECRET, "talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK,
             "terraform/vars.sops.json": '{"token": "ENC[...]", "sops": {"mac": "ENC[...]"}}'}
    found = run(files, "secrets/sops-not-covered")
    assert sorted(f.path for f in found) == ["talos/talsecret.sops.yaml", "terraform/vars.sops.json"]
    assert "`.sops.yaml`" not in found[0].message or ".sops.yaml" in found[0].message


def test_nearest_sops_config_in_a_subfolder_counts() -> None:
    files = {".sops.yaml": SOPS_CONFIG, "talos/.sops.yaml": "creation_rules:\n  - path_regex: .*\\.sops\\.yaml\n",
             "talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK}
    assert run(files, "secrets/sops-not-covered") == []


def test_no_sops_configuration_means_nothing_to_compare() -> None:
    assert run({"talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK}, "secrets/sops-not-covered") == []


# -- secrets/substitution-in-data --------------------------------------------------------------------------

def test_variable_in_data_is_reported_and_moved_to_string_data() -> None:
    files = {"clusters/prod/apps.yaml": APPS,
             "apps/secret.yaml": secret("data:  # filled by postBuild\n  password: ${DB_PASSWORD}\n")}
    found = run(files, "secrets/substitution-in-data")
    assert len(found) == 1 and found[0].line == 7 and "`data.password`" in found[0].message
    fixed = round_trip(files, "secrets/substitution-in-data")
    assert "stringData:  # filled by postBuild\n" in fixed["apps/secret.yaml"]


def test_no_fix_when_data_also_holds_base64_literals() -> None:
    files = {"clusters/prod/apps.yaml": APPS,
             "apps/secret.yaml": secret("data:\n  user: YWRtaW4=\n  password: ${DB_PASSWORD}\n")}
    found = run(files, "secrets/substitution-in-data")
    assert len(found) == 1 and found[0].fix is None


def test_string_data_and_base64_variables_pass() -> None:
    files = {"clusters/prod/apps.yaml": APPS,
             "apps/a.yaml": secret("stringData:\n  password: ${DB_PASSWORD}\n", "a"),
             "apps/b.yaml": secret("data:\n  password: ${DB_PASSWORD_B64}\n", "b")}
    assert run(files, "secrets/substitution-in-data") == []


# -- secrets/credential-in-url -----------------------------------------------------------------------------

def _source(kind: str, field: str, url: str, name: str = "src") -> str:
    return flux_object(kind, name, f"interval: 10m\n{field}: {url}\n")


def test_password_in_a_source_url_is_reported_without_showing_it() -> None:
    files = {"clusters/prod/git.yaml": _source("GitRepository", "url",
                                               "https://flux:ghp_S3CRETtoken@github.com/acme/fleet"),
             "clusters/prod/discord.yaml": _source(
                 "Provider", "address", "https://discord.com/api/webhooks/123/AbCdSeCrEt", "discord"),
             "clusters/prod/helm.yaml": _source("HelmRepository", "url",
                                                "https://charts.example.com/index.yaml?token=T0KEN42", "helm")}
    found = run(files, "secrets/credential-in-url")
    assert sorted(f.object for f in found) == ["GitRepository/flux-system/src", "HelmRepository/flux-system/helm",
                                               "Provider/flux-system/discord"]
    for finding in found:
        for leaked in ("ghp_S3CRETtoken", "flux:", "AbCdSeCrEt", "T0KEN42"):
            assert leaked not in finding.message
    assert "host github.com" in next(f.message for f in found if f.object.startswith("Git"))


def test_urls_without_credentials_pass() -> None:
    files = {"clusters/prod/a.yaml": _source("GitRepository", "url", "ssh://git@github.com/acme/fleet", "a"),
             "clusters/prod/b.yaml": _source("GitRepository", "url", "https://github.com/acme/fleet", "b"),
             "clusters/prod/c.yaml": _source("GitRepository", "url", "https://${GIT_USER}:${GIT_TOKEN}@git.example",
                                             "c"),
             "clusters/prod/d.yaml": _source("Provider", "address", "https://github.com/acme/fleet", "d")}
    assert run(files, "secrets/credential-in-url") == []


# -- secrets/credential-in-values --------------------------------------------------------------------------

def _release(values: str) -> str:
    spec = "interval: 15m\nchartRef:\n  kind: OCIRepository\n  name: app\nvalues:\n"
    return flux_object("HelmRelease", "app", spec + textwrap.indent(textwrap.dedent(values), "  "), "default")


def test_literal_password_in_values_is_reported() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _release("""\
        auth:
          adminPassword: S3cr3t!pass
        env:
          - name: API_TOKEN
            value: 0a1b2c3d4e5f6a7b
    """)}
    found = run(files, "secrets/credential-in-values")
    assert sorted(f.key for f in found) == ["spec.values.auth.adminPassword", "spec.values.env[0].value"]
    assert found[0].line == 13
    assert all("S3cr3t" not in f.message and "0a1b2c3d" not in f.message for f in found)


def test_values_look_alikes_pass() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": _release("""\
        auth:
          existingSecret: grafana-admin
          secretKey: admin-password
          passwordKey: password
          adminPassword: ${GRAFANA_PASSWORD}
          onePassword: op://vault/grafana/password
          emptyPassword: ""
          kopiaPassword: none
          pin_password: 1234
          token: true
          githubConfigSecret: runner-app-secret
          tokenUrl: https://auth.example.com/token
        serviceAccount:
          automountServiceAccountToken: false
        env:
          DB_PASSWORD:
            valueFrom:
              secretKeyRef:
                name: db
                key: password
        extraEnv:
          - name: SESSION_SECRET
            valueFrom:
              secretKeyRef: {name: app, key: session}
          - name: API_TOKEN
            value: ${API_TOKEN}
    """)}
    assert run(files, "secrets/credential-in-values") == []
    assert not [f for f in run(files, "structure/yaml-invalid")]


# -- secrets/missing-reference -----------------------------------------------------------------------------

def _values_from(name: str, kind: str = "Secret", optional: bool = False) -> str:
    return _release("replicas: 1\n").replace("  values:\n", "  valuesFrom:\n    - kind: " + kind + "\n      name: "
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


def test_url_credential_shapes() -> None:
    from checks.rules.old_secrets import url_credential

    assert url_credential("https://user:pass@example.com/repo") == "a password"
    assert url_credential("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a/b") == "a token"
    assert url_credential("https://hooks.slack.com/services/T000/B000/XXXX") == "the webhook's secret path"
    assert url_credential("https://example.com/hook?token=abc") == "a `token` query parameter"
    assert url_credential("ssh://git@github.com/acme/fleet") is None
    assert url_credential("https://github.com/acme/fleet") is None
    assert url_credential("https://example.com/hook?token=${TOKEN}") is None
