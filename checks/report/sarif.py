"""SARIF 2.1.0 for GitHub code scanning and other CI: rules with help, locations, fixes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from checks.findings import Finding, Severity, sort_key
from checks.rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(findings: Sequence[Finding], version: str = "0.1.0") -> str:
    """One run of the ``flux-review`` tool with every rule's metadata and the results."""
    rules = [
        {
            "id": rule.id,
            "name": rule.id.replace("/", "-"),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.documentation.split("\n\n")[0]},
            "help": {"text": rule.documentation, "markdown": f"```\n{rule.documentation}\n```"},
            "defaultConfiguration": {"level": _LEVELS[rule.severity]},
            "properties": {"tags": [rule.group]},
        }
        for rule in RULES
    ]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = [_result(f, index) for f in sorted(findings, key=sort_key)]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "flux-review", "version": version,
                                "informationUri": "https://github.com/flux-review/flux-review",
                                "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _result(finding: Finding, index: dict[str, int]) -> dict:
    result: dict = {
        "ruleId": finding.rule,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": finding.line, "endLine": finding.last_line},
        }}],
        "partialFingerprints": {"fluxReview/v1": finding.fingerprint},
    }
    if finding.rule in index:
        result["ruleIndex"] = index[finding.rule]
    if finding.object:
        result["properties"] = {"object": finding.object}
    if finding.fix:
        fix = finding.fix
        result["fixes"] = [{
            "description": {"text": f"Apply the {finding.rule} fix"},
            "artifactChanges": [{
                "artifactLocation": {"uri": fix.path, "uriBaseId": "%SRCROOT%"},
                "replacements": [{
                    "deletedRegion": {"startLine": fix.start_line, "endLine": fix.end_line},
                    "insertedContent": {"text": fix.replacement},
                }],
            }],
        }]
    return result
