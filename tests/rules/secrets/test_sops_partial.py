"""secrets/sops-partial: an encrypted identity, and plain values added after encryption."""

from __future__ import annotations

from rule_support import findings as run

from ._support import APPS_DECRYPTED, ENC, SOPS_BLOCK, SOPS_SECRET, secret


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


def test_values_the_file_rules_leave_plain_pass() -> None:
    default_rules = SOPS_BLOCK.replace("  encrypted_regex: ^(data|stringData)$\n", "")
    talos = f"cluster: {ENC}\nname_unencrypted: homelab\nempty: ''\nnothing:\n" + default_rules
    plain = secret("stringData:\n  password: hunter2-plain\n")
    files = {"clusters/prod/apps.yaml": APPS_DECRYPTED, "apps/plain.yaml": plain, "talos/talsecret.sops.yaml": talos}
    assert run(files, "secrets/sops-partial") == []
    files["talos/talsecret.sops.yaml"] = talos.replace("name_unencrypted:", "name:")
    found = run(files, "secrets/sops-partial")
    assert [(f.path, f.line) for f in found] == [("talos/talsecret.sops.yaml", 2)] and "`name`" in found[0].message
