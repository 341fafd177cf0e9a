"""structure/yaml-invalid: files Flux cannot parse, and documents that are not a mapping."""

from __future__ import annotations

from rule_support import config_map, kustomization
from rule_support import findings as run

from checks.findings import Severity


def test_wrong_indentation_is_invalid_yaml() -> None:
    """The documented failing example."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/cm.yaml": "metadata:\n  name: podinfo\n namespace: apps      # wrong indentation\n",
    }
    [finding] = run(files, "structure/yaml-invalid")
    assert (finding.path, finding.line, finding.severity) == ("apps/cm.yaml", 3, Severity.ERROR)
    assert "not valid YAML" in finding.message


def test_a_document_that_is_a_list_is_not_an_object() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/list.yaml": "- a\n- b\n",
    }
    [finding] = run(files, "structure/yaml-invalid")
    assert finding.path == "apps/list.yaml" and "not a mapping" in finding.message


def test_binary_content_with_a_yaml_name() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/blob.yaml": b"\x00\x01\xff",
    }
    [finding] = run(files, "structure/yaml-invalid")
    assert finding.path == "apps/blob.yaml" and "not a YAML text file" in finding.message


def test_valid_yaml_look_alikes_are_quiet() -> None:
    """Several documents, a comment-only file, Helm chart templates, and broken text in a non-YAML file."""
    files = {
        "clusters/prod/apps.yaml": kustomization(),
        "apps/cm.yaml": config_map("a", "A: b\n") + "---\n" + config_map("b", "A: b\n"),
        "apps/empty.yaml": "# nothing here yet\n",
        "apps/notes.txt": "x: [\n",
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "charts/app/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
    }
    assert run(files, "structure/yaml-invalid") == []
