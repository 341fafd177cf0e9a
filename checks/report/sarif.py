"""SARIF 2.1.0 for GitHub code scanning and other CI: rules with help, locations, fixes.

One run of the ``flux-review`` tool carries every rule's metadata (so a
viewer can explain a rule without flux-review installed) and one result
per finding. A fix replaces whole lines; in SARIF terms its deleted region
runs from column 1 of its first line to column 1 of the line after its
last, so the replaced lines' line ends go with them and the inserted text
brings its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import quote

from checks.findings import Finding, Severity, sort_key
from checks.rule_docs import help_markdown, page_url
from checks.rules import RULES
from checks.rules.base import Rule

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning's own severity words for results that are not security alerts.
_GITHUB_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}


def render(findings: Sequence[Finding], version: str = "0.1.0") -> str:
    """One run of the ``flux-review`` tool with every rule's metadata and the results."""
    rules = [_descriptor(rule) for rule in RULES]
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


def _descriptor(rule: Rule) -> dict:
    documentation = rule.documentation
    return {
        "id": rule.id,
        "name": rule.id.replace("/", "-"),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": documentation.split("\n\n")[0]},
        "help": {"text": documentation, "markdown": help_markdown(documentation)},
        "helpUri": page_url(rule),
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": [rule.group, "flux"], "problem.severity": _GITHUB_SEVERITY[rule.severity]},
    }


def _uri(path: str) -> str:
    """A repository path as a relative URI reference (spaces and the like percent-encoded)."""
    # A file name that is not UTF-8 keeps its bytes (read with surrogateescape) and is percent-encoded.
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _result(finding: Finding, index: dict[str, int]) -> dict:
    start = max(1, finding.line)
    result: dict = {
        "ruleId": finding.rule,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(finding.path), "uriBaseId": SRCROOT},
            "region": {"startLine": start, "endLine": max(start, finding.last_line)},
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
                "artifactLocation": {"uri": _uri(fix.path), "uriBaseId": SRCROOT},
                "replacements": [{
                    "deletedRegion": {"startLine": max(1, fix.start_line), "startColumn": 1,
                                      "endLine": max(1, fix.end_line) + 1, "endColumn": 1},
                    "insertedContent": {"text": fix.replacement},
                }],
            }],
        }]
    return result
