"""secrets/substitution-in-data: ${VAR} under base64 data, moved to stringData when safe."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import round_trip

from ._support import APPS, ENC, SOPS_BLOCK, secret


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


def test_unrendered_encrypted_and_non_core_secrets_pass() -> None:
    crd = secret("data:\n  password: ${DB_PASSWORD}\n", "crd").replace("apiVersion: v1", "apiVersion: example.com/v1")
    files = {"clusters/prod/apps.yaml": APPS,
             "docs/secret.yaml": secret("data:\n  password: ${DB_PASSWORD}\n", "docs"),
             "apps/crd.yaml": crd,
             "apps/sops.yaml": secret(f"data:\n  password: ${{DB_PASSWORD}}\n  token: {ENC}\n" + SOPS_BLOCK, "sops")}
    assert run(files, "secrets/substitution-in-data") == []
    files["apps/crd.yaml"] = crd.replace("apiVersion: example.com/v1", "apiVersion: v1")
    assert [f.object for f in run(files, "secrets/substitution-in-data")] == ["Secret/default/crd"]
