"""SARIF output: validated against the SARIF 2.1.0 schema for every part flux-review emits.

The schema below is written from the OASIS SARIF 2.1.0 standard's JSON schema
(sarif-schema-2.1.0.json): the objects we emit, with the properties the
standard allows on them (``additionalProperties: false`` as in the standard,
so a misspelt property fails), their required members, enums and minimums.
Nothing is fetched at test time.
"""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from checks.engine import analyze
from checks.findings import Finding, Fix, Severity
from checks.fixes import apply_fixes
from checks.report import sarif
from checks.rules import RULES
from checks.source import RepoSnapshot


def _object(properties: dict, required: tuple[str, ...] = (), **extra: object) -> dict:
    """An object as the standard defines it: only the listed properties (plus a property bag)."""
    return {"type": "object", "additionalProperties": False,
            "properties": {**properties, "properties": {"$ref": "#/definitions/propertyBag"}},
            **({"required": list(required)} if required else {}), **extra}


LEVEL = {"enum": ["none", "note", "warning", "error"]}
POSITIVE = {"type": "integer", "minimum": 1}
SARIF_2_1_0 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    **_object({
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
        "inlineExternalProperties": {"type": "array"},
    }, ("version", "runs")),
    "definitions": {
        "propertyBag": {"type": "object", "properties": {
            "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}}},
        "message": _object({"text": {"type": "string", "minLength": 1}, "markdown": {"type": "string"},
                            "id": {"type": "string"}, "arguments": {"type": "array"}},
                           anyOf=[{"required": ["text"]}, {"required": ["id"]}]),
        "multiformatMessageString": _object({"text": {"type": "string", "minLength": 1},
                                             "markdown": {"type": "string"}}, ("text",)),
        "run": _object({
            "tool": {"$ref": "#/definitions/tool"},
            "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
            "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
            "originalUriBaseIds": {"type": "object"},
            "invocations": {"type": "array"}, "automationDetails": {"type": "object"},
        }, ("tool",)),
        "tool": _object({"driver": {"$ref": "#/definitions/toolComponent"}, "extensions": {"type": "array"}},
                        ("driver",)),
        "toolComponent": _object({
            "name": {"type": "string", "minLength": 1}, "version": {"type": "string"},
            "semanticVersion": {"type": "string"}, "informationUri": {"type": "string", "format": "uri"},
            "fullName": {"type": "string"}, "organization": {"type": "string"},
            "rules": {"type": "array", "uniqueItems": True, "items": {"$ref": "#/definitions/reportingDescriptor"}},
        }, ("name",)),
        "reportingDescriptor": _object({
            "id": {"type": "string"}, "name": {"type": "string"},
            "shortDescription": {"$ref": "#/definitions/multiformatMessageString"},
            "fullDescription": {"$ref": "#/definitions/multiformatMessageString"},
            "help": {"$ref": "#/definitions/multiformatMessageString"},
            "helpUri": {"type": "string", "format": "uri"},
            "defaultConfiguration": _object({"enabled": {"type": "boolean"}, "level": LEVEL,
                                             "rank": {"type": "number", "minimum": -1, "maximum": 100},
                                             "parameters": {"$ref": "#/definitions/propertyBag"}}),
        }, ("id",)),
        "result": _object({
            "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
            "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
            "level": LEVEL,
            "message": {"$ref": "#/definitions/message"},
            "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
            "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
            "fingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
            "fixes": {"type": "array", "uniqueItems": True, "items": {"$ref": "#/definitions/fix"}},
        }, ("message",)),
        "location": _object({"physicalLocation": {"$ref": "#/definitions/physicalLocation"},
                             "message": {"$ref": "#/definitions/message"}}),
        "physicalLocation": _object({"artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                                     "region": {"$ref": "#/definitions/region"},
                                     "contextRegion": {"$ref": "#/definitions/region"}},
                                    anyOf=[{"required": ["address"]}, {"required": ["artifactLocation"]}]),
        "artifactLocation": _object({"uri": {"type": "string", "format": "uri-reference"},
                                     "uriBaseId": {"type": "string"},
                                     "index": {"type": "integer", "minimum": -1}}),
        "region": _object({"startLine": POSITIVE, "startColumn": POSITIVE, "endLine": POSITIVE,
                           "endColumn": POSITIVE, "charOffset": {"type": "integer", "minimum": -1},
                           "charLength": {"type": "integer", "minimum": 0},
                           "snippet": {"$ref": "#/definitions/artifactContent"}},
                          anyOf=[{"required": ["startLine"]}, {"required": ["charOffset"]},
                                 {"required": ["byteOffset"]}]),
        "artifactContent": _object({"text": {"type": "string"}, "binary": {"type": "string"}}),
        "fix": _object({"description": {"$ref": "#/definitions/message"},
                        "artifactChanges": {"type": "array", "minItems": 1,
                                            "items": {"$ref": "#/definitions/artifactChange"}}},
                       ("artifactChanges",)),
        "artifactChange": _object({"artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                                   "replacements": {"type": "array", "minItems": 1,
                                                    "items": {"$ref": "#/definitions/replacement"}}},
                                  ("artifactLocation", "replacements")),
        "replacement": _object({"deletedRegion": {"$ref": "#/definitions/region"},
                                "insertedContent": {"$ref": "#/definitions/artifactContent"}},
                               ("deletedRegion",)),
    },
}

VALIDATOR = jsonschema.Draft7Validator(SARIF_2_1_0, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)

FINDINGS = [
    Finding("interval/too-short", Severity.WARNING, "clusters/prod/sources.yaml", 7,
            "GitRepository/flux-system/podinfo reconciles every 30s", object="GitRepository/flux-system/podinfo",
            fix=Fix("clusters/prod/sources.yaml", 7, 7, "  interval: 10m\n"), key="spec.interval"),
    Finding("structure/yaml-invalid", Severity.ERROR, "apps/my app/broken.yaml", 0, "not valid YAML"),
    Finding("notification/no-failure-alerts", Severity.INFO, "clusters/prod/a.yaml", 1, "no Alert",
            end_line=3),
    Finding("made-up/rule", Severity.WARNING, "x.yaml", 2, "from a plugin"),
]


def document(findings: list[Finding] = FINDINGS) -> dict:
    return json.loads(sarif.render(findings, "1.2.3"))


def errors(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_the_schema_catches_what_it_should() -> None:
    doc = document()
    results = {r["ruleId"]: r for r in doc["runs"][0]["results"]}
    results["made-up/rule"]["level"] = "info"
    results["structure/yaml-invalid"]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    doc["runs"][0]["tool"]["driver"]["rules"][0]["helpText"] = "misspelt"
    del results["interval/too-short"]["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert len(errors(doc)) == 4


def test_output_validates_against_sarif_2_1_0() -> None:
    assert errors(document()) == []


def test_output_without_findings_validates() -> None:
    doc = document([])
    assert errors(doc) == [] and doc["runs"][0]["results"] == []


def test_real_analysis_validates() -> None:
    files = {
        "clusters/prod/sources.yaml": textwrap.dedent("""\
            apiVersion: source.toolkit.fluxcd.io/v1beta2
            kind: GitRepository
            metadata:
              name: podinfo
              namespace: flux-system
            spec:
              interval: 30s
              url: https://github.com/stefanprodan/podinfo
            """),
        "clusters/prod/broken.yaml": "a: [1\n",
    }
    findings = analyze(RepoSnapshot.from_mapping(files)).findings
    assert any(f.fix for f in findings)
    assert errors(document(findings)) == []


def test_every_rule_carries_help_and_a_default_level() -> None:
    rules = document()["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.id for rule in RULES]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert len(rule["help"]["text"]) > 40 and rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")


def test_results_carry_rule_level_location_fingerprint_and_object() -> None:
    doc = document()
    run = doc["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    result = results["interval/too-short"]
    assert result["level"] == "warning" and result["message"]["text"].startswith("GitRepository/")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "clusters/prod/sources.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 7, "endLine": 7}
    assert result["partialFingerprints"] == {"fluxReview/v1": FINDINGS[0].fingerprint}
    assert result["properties"] == {"object": "GitRepository/flux-system/podinfo"}
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "interval/too-short"
    assert results["notification/no-failure-alerts"]["level"] == "note"
    assert "ruleIndex" not in results["made-up/rule"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]] == sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])


def test_paths_are_uri_references_and_lines_start_at_one() -> None:
    result = {r["ruleId"]: r for r in document()["runs"][0]["results"]}["structure/yaml-invalid"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "apps/my%20app/broken.yaml"
    assert location["region"]["startLine"] == 1


@pytest.mark.parametrize("text", ["a: 1\n  interval: 30s\nb: 2\n", "a: 1\n  interval: 30s\n"])
def test_fix_region_replaces_whole_lines_like_the_fix_itself(text: str) -> None:
    """Applying the SARIF replacement (line/column arithmetic) gives what checks.fixes gives."""
    fix = Fix("f.yaml", 2, 2, "  interval: 10m\n")
    doc = document([Finding("interval/too-short", Severity.WARNING, "f.yaml", 2, "short", fix=fix)])
    replacement = doc["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    region = replacement["deletedRegion"]
    lines = text.split("\n")  # SARIF counts the (empty) text after the final newline as a line

    def offset(line: int, column: int) -> int:
        return sum(len(part) + 1 for part in lines[:line - 1]) + column - 1

    start, end = offset(region["startLine"], region["startColumn"]), offset(region["endLine"], region["endColumn"])
    applied = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    assert applied == apply_fixes(text, [fix])[0]


def test_a_file_name_that_is_not_utf8_is_percent_encoded_from_its_bytes() -> None:
    finding = Finding("secrets/plaintext-secret", Severity.ERROR, "apps/bad\udcff.yaml", 6, "plain value")
    document = json.loads(sarif.render([finding]))
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "apps/bad%FF.yaml"
