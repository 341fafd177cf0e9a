"""SOPS helpers: what counts as encrypted, which values should be, and .sops.yaml coverage."""

from __future__ import annotations

import textwrap

from rule_support import snapshot

from checks.sops import (
    EncryptionSettings,
    go_regex,
    is_covered,
    is_encrypted_value,
    is_sops_document,
    is_sops_text,
    load_sops_configs,
    looks_like_sops_name,
    unencrypted_leaves,
)
from checks.yaml_docs import load_yaml

ENC = "ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]"


def _doc(text: str) -> object:
    return load_yaml("secret.sops.yaml", textwrap.dedent(text).encode()).docs[0].root


def test_encrypted_value_is_the_sops_envelope() -> None:
    assert is_encrypted_value(ENC)
    assert not is_encrypted_value("ENC[")
    assert not is_encrypted_value("hunter2")
    assert not is_encrypted_value(42)


def test_sops_document_needs_a_mac() -> None:
    assert is_sops_document({"sops": {"mac": ENC}})
    assert not is_sops_document({"sops": {"version": "3.8.1"}})
    assert not is_sops_document({"sops": "yes"})
    assert not is_sops_document(None)


def test_sops_text_recognises_json_dotenv_and_ini_stores() -> None:
    assert is_sops_text('{"data": "ENC[...]", "sops": {"mac": "ENC[...]"}}')
    assert is_sops_text("PASSWORD=ENC[...]\nsops_mac=ENC[...]\n")
    assert is_sops_text("[app]\nkey=ENC[...]\n[sops]\nmac=ENC[...]\n")
    assert not is_sops_text("PASSWORD=hunter2\n")
    assert not is_sops_text("{not json")


def test_go_inline_flags_in_the_middle_apply_to_the_whole_pattern() -> None:
    pattern = go_regex("((?i)(pass|secret($|[^N])|key|token|^data$|^stringData))")
    assert pattern is not None
    assert pattern.search("DB_PASSWORD") and pattern.search("stringData")
    assert not pattern.search("metadata")
    assert go_regex("(unclosed") is None


def test_default_settings_encrypt_everything_but_the_unencrypted_suffix() -> None:
    settings = EncryptionSettings.from_metadata({"mac": ENC})
    assert settings.should_encrypt(("stringData", "password"))
    assert not settings.should_encrypt(("stringData", "note_unencrypted"))


def test_encrypted_regex_limits_encryption_to_matching_keys() -> None:
    settings = EncryptionSettings.from_metadata({"mac": ENC, "encrypted_regex": "^(data|stringData)$"})
    assert settings.should_encrypt(("stringData", "password"))
    assert not settings.should_encrypt(("metadata", "name"))


def test_value_added_after_encryption_is_found_by_its_path() -> None:
    root = _doc(f"""
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        stringData:
          username: {ENC}
          password: hunter2
          empty: ""
        sops:
          encrypted_regex: ^(data|stringData)$
          mac: {ENC}
    """)
    found = unencrypted_leaves(root)
    assert found is not None
    assert [leaf.path for leaf in found] == [("stringData", "password")]


def test_comment_rules_make_the_settings_unreadable() -> None:
    root = {"stringData": {"a": "b"}, "sops": {"mac": ENC, "encrypted_comment_regex": "sops:enc"}}
    assert unencrypted_leaves(root) is None


def _configs(files: dict[str, str]) -> list:
    return load_sops_configs(snapshot(files))


def test_creation_rule_covers_paths_relative_to_its_folder_or_the_root() -> None:
    configs = _configs({
        ".sops.yaml": """
            creation_rules:
              - path_regex: kubernetes/.*\\.sops\\.ya?ml
                age: age1xyz
        """,
        "talos/.sops.yaml": """
            creation_rules:
              - path_regex: ^secrets\\.sops\\.yaml$
                age: age1xyz
        """,
    })
    assert is_covered("kubernetes/apps/secret.sops.yaml", configs) is True
    assert is_covered("talos/secrets.sops.yaml", configs) is True
    assert is_covered("terraform/secret.sops.yaml", configs) is False


def test_rule_without_path_regex_covers_everything() -> None:
    configs = _configs({".sops.yaml": "creation_rules:\n  - age: age1xyz\n"})
    assert is_covered("anything/secret.sops.yaml", configs) is True


def test_coverage_is_unknown_without_a_configuration_or_with_an_unreadable_regex() -> None:
    assert is_covered("a/secret.sops.yaml", []) is None
    configs = _configs({".sops.yaml": "creation_rules:\n  - path_regex: '(broken'\n"})
    assert is_covered("a/secret.sops.yaml", configs) is None


def test_sops_names_exclude_the_configuration_itself() -> None:
    assert looks_like_sops_name("apps/secret.sops.yaml")
    assert looks_like_sops_name("apps/app.sops.env")
    assert not looks_like_sops_name(".sops.yaml")
    assert not looks_like_sops_name("talos/.sops.yaml")
    assert not looks_like_sops_name("apps/secret.yaml")
