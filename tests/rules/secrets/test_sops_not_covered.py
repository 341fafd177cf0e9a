"""secrets/sops-not-covered: SOPS files outside every creation rule of the nearest .sops.yaml."""

from __future__ import annotations

from rule_support import findings as run

from ._support import APPS_DECRYPTED, ENC, SOPS_BLOCK, SOPS_SECRET

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


def test_the_message_quotes_the_error_sops_stops_with() -> None:
    """sops loads the creation rule before encrypting, editing or rotating, and stops when none matches."""
    files = {".sops.yaml": SOPS_CONFIG, "talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK}
    [found] = run(files, "secrets/sops-not-covered")
    assert ("`sops` refuses to encrypt, edit or rotate it (`updatekeys` too) with \"error loading config: no "
            "matching creation rules found\"") in found.message
    assert "cannot pick its keys" not in found.message


def test_nearest_sops_config_in_a_subfolder_counts() -> None:
    files = {".sops.yaml": SOPS_CONFIG, "talos/.sops.yaml": "creation_rules:\n  - path_regex: .*\\.sops\\.yaml\n",
             "talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK}
    assert run(files, "secrets/sops-not-covered") == []


def test_no_sops_configuration_means_nothing_to_compare() -> None:
    assert run({"talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK}, "secrets/sops-not-covered") == []


def test_creation_rule_without_path_regex_covers_every_file() -> None:
    config = "creation_rules:\n  - age: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n"
    files = {".sops.yaml": config, "talos/talsecret.sops.yaml": f"cluster: {ENC}\n" + SOPS_BLOCK,
             "terraform/vars.sops.json": '{"token": "ENC[...]", "sops": {"mac": "ENC[...]"}}'}
    assert run(files, "secrets/sops-not-covered") == []


def test_a_path_regex_go_does_not_accept_is_reported_on_its_line() -> None:
    refused = "creation_rules:\n  - path_regex: (apps)/.*\\1\\.yaml\n    age: age1x\n"
    [finding] = run({".sops.yaml": refused, "apps/secret.sops.yaml": SOPS_SECRET}, "secrets/sops-not-covered")
    assert (finding.path, finding.line) == (".sops.yaml", 2)
    assert "not a regular expression Go accepts" in finding.message


def test_a_backtracking_pattern_is_matched_in_linear_time() -> None:
    # With Python's re, `(a+)+b` against a long name takes minutes; RE2 (as in sops) answers at once.
    hostile = "creation_rules:\n  - path_regex: (a+)+b\n    age: age1x\n"
    name = "a" * 60 + ".sops.yaml"
    [finding] = run({".sops.yaml": hostile, name: SOPS_SECRET}, "secrets/sops-not-covered")
    assert finding.path == name
