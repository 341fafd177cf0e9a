"""secrets/plaintext-secret: leaks are reported by key and never by value; look-alikes are not."""

from __future__ import annotations

import base64

from rule_support import analyze_files
from rule_support import findings as run

from ._support import APPS, ENC, SOPS_BLOCK, secret


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


def test_unrendered_examples_are_warnings_and_rendered_ones_errors() -> None:
    # A plaintext Secret in docs/ or tests/ is still in Git: at least a warning, an error once a cluster applies it.
    example = secret("stringData:\n  password: example-password\n")
    [illustration] = run({"docs/examples/secret.yaml": example}, "secrets/plaintext-secret")
    assert illustration.severity.name == "WARNING"
    files = {"clusters/prod/apps.yaml": APPS.replace("./apps", "./tests/e2e"), "tests/e2e/secret.yaml": example}
    [deployed] = run(files, "secrets/plaintext-secret")
    assert deployed.severity.name == "ERROR"


def test_a_copied_sops_block_does_not_hide_plain_values() -> None:
    fake = secret("stringData:\n  password: hunter2\n  token: ENC[not really]\n") + (
        "sops:\n  mac: ENC[AES256_GCM,data:abc,iv:aXY=,tag:dGFn,type:str]\n  version: 3.9.0\n")
    [finding] = run({"clusters/prod/apps.yaml": APPS, "apps/secret.yaml": fake}, "secrets/plaintext-secret")
    assert "carries a `sops:` block but none of its values is encrypted" in finding.message
    assert "`stringData.password`" in finding.message and finding.severity.name == "ERROR"


def test_unencrypted_file_named_for_sops_is_reported_unless_its_values_are_empty() -> None:
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/secret.sops.yaml": secret("stringData:\n  repository.config: |\n    {\"password\": \"x1\"}\n"),
    }
    found = run(files, "secrets/plaintext-secret")
    assert len(found) == 1
    assert "not encrypted" in found[0].message and "`stringData[repository.config]`" in found[0].message
    # An empty value hides nothing: there is nothing to encrypt yet.
    files["apps/secret.sops.yaml"] = secret("stringData:\n  repository.config: |\n  other: ''\n")
    assert run(files, "secrets/plaintext-secret") == []


def test_where_a_service_is_is_not_a_secret_but_a_login_in_it_is() -> None:
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/secret.yaml": secret(
            "stringData:\n"
            "  INIT_POSTGRES_HOST: postgres16-rw.database.svc.cluster.local\n"
            "  INIT_POSTGRES_DBNAME: authelia\n"
            "  dbPort: '5432'\n"
            "  INIT_POSTGRES_PASS: ${SECRET_POSTGRES_PASSWORD}\n"),
    }
    assert run(files, "secrets/plaintext-secret") == []
    # A password beside them is reported, alone; a location carrying a login is reported too.
    files["apps/secret.yaml"] = secret(
        "stringData:\n"
        "  INIT_POSTGRES_HOST: postgres16-rw.database.svc.cluster.local\n"
        "  INIT_POSTGRES_PASS: hunter2-really\n"
        "  DATABASE_ADDRESS: postgres://app:hunter2@db:5432/app\n")
    [finding] = run(files, "secrets/plaintext-secret")
    assert "`stringData.INIT_POSTGRES_PASS`" in finding.message
    assert "`stringData.DATABASE_ADDRESS`" in finding.message
    assert "INIT_POSTGRES_HOST" not in finding.message


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
