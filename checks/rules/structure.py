"""Structure rules: files Flux cannot read, and paths that lead nowhere."""

from __future__ import annotations

from checks.findings import Severity
from checks.rules.base import Rule, model_problems

YAML_INVALID = Rule(
    id="structure/yaml-invalid",
    severity=Severity.ERROR,
    summary="A file that is not valid YAML, or a document that is not a mapping",
    doc="""
        A manifest Flux cannot parse fails the whole Kustomization that renders it.
        Also raised for YAML bombs (alias expansion past the cap), values nested
        too deeply, and binary or non-UTF-8 files with a YAML name.

        Failing:
            metadata:
              name: podinfo
             namespace: apps      # wrong indentation

        Passing:
            metadata:
              name: podinfo
              namespace: apps
    """,
    check=model_problems("structure/yaml-invalid"),
)

DUPLICATE_KEY = Rule(
    id="structure/duplicate-key",
    severity=Severity.ERROR,
    summary="A YAML mapping with the same key twice",
    doc="""
        Go's YAML parser, which Flux uses, rejects a mapping that repeats a key,
        so the file never reaches the cluster. Other tools silently keep the last
        value, which hides the mistake until Flux fails.

        Failing:
            spec:
              interval: 10m
              interval: 1h

        Passing:
            spec:
              interval: 1h
    """,
    check=model_problems("structure/duplicate-key"),
)

PATH_MISSING = Rule(
    id="structure/path-missing",
    severity=Severity.ERROR,
    summary="A Kustomization's spec.path is not a folder of this repository",
    doc="""
        kustomize-controller fails with "no such file or directory" and nothing
        under that Kustomization is applied. Only checked for Kustomizations whose
        source is this repository.

        Failing:
            spec:
              path: ./apps/stagign

        Passing:
            spec:
              path: ./apps/staging
    """,
    check=model_problems("structure/path-missing"),
    fixable=True,
)

RESOURCE_MISSING = Rule(
    id="structure/resource-missing",
    severity=Severity.ERROR,
    summary="A kustomization.yaml resource, component or patch path that does not exist",
    doc="""
        kustomize stops at the first path it cannot read, so the whole Flux
        Kustomization fails to build. Remote resources are not fetched and not
        checked.

        Failing (kustomization.yaml):
            resources:
              - deployment.yaml
              - servce.yaml        # no such file

        Passing:
            resources:
              - deployment.yaml
              - service.yaml
    """,
    check=model_problems("structure/resource-missing"),
)

FILE_TOO_LARGE = Rule(
    id="structure/file-too-large",
    severity=Severity.INFO,
    summary="A YAML file above the size limit was not checked",
    doc="""
        Files larger than `limits.max_file_bytes` (1 MiB by default) are not read,
        so nothing in them is checked. Raise the limit in .github/flux-review.yml
        if the file is a manifest Flux applies.
    """,
    check=model_problems("structure/file-too-large"),
)

RULES = [YAML_INVALID, DUPLICATE_KEY, PATH_MISSING, RESOURCE_MISSING, FILE_TOO_LARGE]
