"""secrets/sops-without-decryption: reported on the Kustomization, after its parents' patches, and fixed."""

from __future__ import annotations

from rule_support import config_map, round_trip
from rule_support import findings as run

from ._support import APPS, APPS_DECRYPTED, SOPS_SECRET


def test_sops_file_without_decryption_is_reported_on_the_kustomization_and_fixed() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/secret.sops.yaml": SOPS_SECRET}
    found = run(files, "secrets/sops-without-decryption")
    assert len(found) == 1
    assert found[0].path == "clusters/prod/apps.yaml" and found[0].line == 6
    assert found[0].object == "Kustomization/flux-system/apps"
    assert "`apps/secret.sops.yaml`" in found[0].message
    fixed = round_trip(files, "secrets/sops-without-decryption")
    assert "decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n" in fixed["clusters/prod/apps.yaml"]


def test_the_other_sops_files_are_counted_in_the_right_number() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/a.sops.yaml": SOPS_SECRET,
             "apps/b.sops.yaml": SOPS_SECRET.replace("name: ", "name: b-", 1)}
    [found] = run(files, "secrets/sops-without-decryption")
    assert "the SOPS-encrypted `apps/a.sops.yaml` and 1 more SOPS file but has no" in found.message
    files["apps/c.sops.yaml"] = SOPS_SECRET.replace("name: ", "name: c-", 1)
    [found] = run(files, "secrets/sops-without-decryption")
    assert "`apps/a.sops.yaml` and 2 more SOPS files but" in found.message


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


def test_fix_names_sops_gpg_for_files_encrypted_with_pgp_only() -> None:
    pgp = SOPS_SECRET.replace(
        "  age:\n    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n",
        "  pgp:\n    - fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n")
    files = {"clusters/prod/apps.yaml": APPS, "apps/secret.sops.yaml": pgp}
    found = run(files, "secrets/sops-without-decryption")
    assert len(found) == 1 and "name: sops-gpg" in found[0].message
    fixed = round_trip(files, "secrets/sops-without-decryption")
    assert "secretRef:\n      name: sops-gpg\n" in fixed["clusters/prod/apps.yaml"]


def test_secret_generator_env_file_encrypted_with_sops_needs_decryption() -> None:
    files = {"clusters/prod/apps.yaml": APPS,
             "apps/kustomization.yaml": "resources: []\nsecretGenerator:\n  - name: app\n    envs:\n"
                                        "      - app.sops.env\n",
             "apps/app.sops.env": "DB_PASSWORD=ENC[AES256_GCM,data:x,type:str]\nsops_mac=ENC[x]\n"}
    found = run(files, "secrets/sops-without-decryption")
    assert len(found) == 1 and "`apps/app.sops.env`" in found[0].message
    round_trip(files, "secrets/sops-without-decryption")
    files["clusters/prod/apps.yaml"] = APPS_DECRYPTED
    assert run(files, "secrets/sops-without-decryption") == []


def test_kustomization_without_sops_files_needs_no_decryption() -> None:
    files = {"clusters/prod/apps.yaml": APPS,
             "apps/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: default\n"
                                 "stringData:\n  password: ${DB_PASSWORD}\n",
             "apps/values.sops.yaml.example": "token: ENC[AES256_GCM,data:x,type:str]\n"}
    assert run(files, "secrets/sops-without-decryption") == []
