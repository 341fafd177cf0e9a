"""The registry of rules: every rule module, listed in one place.

Each rule lives in ``checks/rules/<group>/<name>.py`` (``interval/too-short``
in ``checks/rules/interval/too_short.py``) and exposes its ``RULE``. The list
below is the order ``flux-review rules``, the README and SARIF show them in;
a test fails when a rule file is missing from it.
"""

from __future__ import annotations

from importlib import import_module

from checks.rules.base import Rule

RULE_MODULES: tuple[str, ...] = (
    "dependency.missing_target",
    "dependency.kind_mismatch",
    "dependency.cycle",
    "dependency.not_ready_gate",
    "dependency.unevaluated_health_check_exprs",
    "dependency.missing_crd_order",
    "dependency.deleted_target",
    "interval.invalid",
    "interval.missing",
    "interval.too_short",
    "interval.timeout_exceeds_interval",
    "interval.retry_exceeds_interval",
    "interval.no_retry",
    "interval.ineffective",
    "secrets.plaintext_secret",
    "secrets.sops_without_decryption",
    "secrets.sops_partial",
    "secrets.sops_not_covered",
    "secrets.substitution_in_data",
    "secrets.credential_in_url",
    "secrets.credential_in_values",
    "secrets.missing_reference",
    "source.missing",
    "source.kind_not_allowed",
    "source.floating_ref",
    "source.ambiguous_ref",
    "source.scp_url",
    "source.insecure",
    "source.wildcard_alert",
    "source.chart_exclusive",
    "source.git_ignore_missing",
    "structure.yaml_invalid",
    "structure.duplicate_key",
    "structure.path_missing",
    "structure.resource_missing",
    "structure.file_too_large",
    "structure.file_unreadable",
    "structure.undefined_variable",
    "structure.substitution_syntax",
    "structure.non_manifest_yaml",
    "structure.duplicate_object",
    "structure.missing_namespace",
    "structure.unrendered_file",
    "structure.forgotten_suspend",
    "structure.prune_disabled",
    "structure.release_identity_change",
    "structure.unused_suppression",
    "api_version.removed",
    "api_version.not_yet_served",
    "api_version.removed_field",
    "api_version.deprecated_field",
    "tenancy.cross_namespace_ref",
    "tenancy.no_service_account",
    "tenancy.remote_base",
    "notification.provider_missing",
    "notification.event_source_missing",
    "notification.no_failure_alerts",
)

RULES: list[Rule] = [import_module(f"checks.rules.{name}").RULE for name in RULE_MODULES]
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "RULE_MODULES", "Rule"]
