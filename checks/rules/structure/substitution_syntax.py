"""structure/substitution-syntax: a ``${...}`` Flux cannot parse, or a substitution variable with an invalid name.

Flux's substitution is a fork of drone/envsubst: ``${var-default}``, ``${{``,
``${ var}`` and ``${}`` do not parse, and fail the whole Kustomization, but
only where substitution runs. Variable names (``postBuild.substitute`` keys,
and the keys of ConfigMaps and Secrets read through ``substituteFrom``) must
be valid names, or every object of the Kustomization fails. An invalid key of
a ConfigMap or Secret is reported once, naming every Kustomization that reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import PerCluster, effective_kustomization
from checks.rules.structure._variables import Text, line_of, literal_keys, placeholder_texts, substitutions
from checks.substitution import dash_default_fixed, parse, substitution_disabled, valid_name
from checks.yaml_docs import Pos

RULE = Rule(
    id="structure/substitution-syntax",
    severity=Severity.ERROR,
    summary="A ${...} Flux cannot parse, or a substitution variable with an invalid name",
    fixable=True,
    doc="""
        Flux's substitution (a fork of drone/envsubst) supports `${var}`,
        `${var:=default}`, `${var:-default}`, `${var=default}` and bash string
        functions, but not `${var-default}`; `${{`, `${ var}` and `${}` do not
        parse either. One such expression fails the whole Kustomization, but
        only where substitution runs (the Kustomization has postBuild variables
        and the object does not opt out).

        Variable names, including the keys of ConfigMaps and Secrets read through
        `substituteFrom`, must match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`; one
        bad key fails every object of the Kustomization.

        Failing:
            url: https://${DOMAIN-example.com}/
            # and, in a Kustomization:
            postBuild:
              substitute:
                cluster-name: prod

        Passing:
            url: https://${DOMAIN:=example.com}/
            postBuild:
              substitute:
                CLUSTER_NAME: prod
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    found = PerCluster(model)
    # An invalid ConfigMap/Secret key is one problem however many Kustomizations read it.
    readers: dict[tuple[str, int, str, str], set[str]] = {}
    for cluster in model.clusters:
        resolver = substitutions(model, cluster)
        for obj in cluster.objects:
            if obj.implicit or obj.rendered_by is None:
                continue
            variables = resolver.of(obj.rendered_by)
            if variables is None or variables.runs is not True:
                continue  # no substitution, no parse
            texts = placeholder_texts(model, obj)  # found once per model; most objects hold none
            if not texts or substitution_disabled(obj.labels(), obj.annotations()):
                continue
            for text in texts:
                for problem in parse(text.text).problems:
                    found.add(cluster.name, _syntax_problem(model, obj, text, problem))
        for ks_id in cluster.renders:
            ks = effective_kustomization(cluster, ks_id)
            if ks is None or ks.implicit:
                continue
            for finding in _invalid_substitute_keys(ks):
                found.add(cluster.name, finding)
            for ref in resolver.sources(ks):
                for source in ref.objects:
                    if source.doc_index < 0:
                        continue  # generated: its keys were written in another format
                    for key, pos in (literal_keys(source) or {}).items():
                        if not valid_name(key):
                            readers.setdefault((pos.path, pos.line, source.id, key), set()).add(ks.id)
    for obj in model.unrendered_judged():
        if obj.kind == "Kustomization" and obj.is_flux:
            for finding in _invalid_substitute_keys(obj):
                found.add(None, finding)
    yield from found.findings()
    for (path, line, source_id, key), kustomizations in readers.items():
        names = ", ".join(sorted(kustomizations))
        those = "that Kustomization" if len(kustomizations) == 1 else "those Kustomizations"
        yield Finding(
            "structure/substitution-syntax", Severity.ERROR, path, line,
            f"{source_id} has the key `{key}`, which {names} read{'s' if len(kustomizations) == 1 else ''} "
            f"as a variable through postBuild.substituteFrom; it is not a valid variable name (letters, "
            f"digits and `_`, not starting with a digit), so Flux fails every object of {those}. Rename "
            f"the key, e.g. `{_suggest_name(key)}`.",
            object=source_id, key=f"data.{key}")


def _syntax_problem(model: RepoModel, obj: KubeObject, text: Text, problem: Any) -> Finding:
    snippet = text.text[problem.start:].split("\n", 1)[0]
    close = snippet.find("}")
    snippet = snippet[:close + 1] if 0 <= close < 40 else snippet[:20]
    line = line_of(model, text.pos, snippet)
    # Secret values stay out of messages, even a fragment of one.
    shown = "a `${` expression" if obj.kind == "Secret" else f"`{snippet}`"
    if problem.dash_default:
        name = problem.dash_default
        message = (f"{shown} in {obj.id} (`{text.field}`) is not parsed by Flux's substitution: "
                   f"`${{{name}-default}}` is unsupported, so {obj.rendered_by} fails to build. "
                   f"Write `${{{name}:=default}}`.")
        return Finding("structure/substitution-syntax", Severity.ERROR, text.pos.path, line, message,
                       object=obj.id, key=f"{text.field}:{name}", fix=_dash_fix(model, text.pos, line))
    message = (f"{shown} in {obj.id} (`{text.field}`) cannot be parsed by Flux's substitution "
               f"({problem.reason}), so {obj.rendered_by} fails to build. Escape it as `$${{`, or label "
               f"the object `kustomize.toolkit.fluxcd.io/substitute: disabled`.")
    return Finding("structure/substitution-syntax", Severity.ERROR, text.pos.path, line, message,
                   object=obj.id, key=text.field)


def _dash_fix(model: RepoModel, pos: Pos, line: int) -> Fix | None:
    """``${var-default}`` -> ``${var:=default}`` on the line where it was written."""
    current = line_text(model, pos.path, line)
    if current is None:
        return None
    fixed = dash_default_fixed(current)
    return Fix(pos.path, line, line, fixed + "\n") if fixed != current else None


def _invalid_substitute_keys(ks: KubeObject) -> Iterator[Finding]:
    substitute = ks.get("spec", "postBuild", "substitute")
    if not isinstance(substitute, dict):
        return
    for key in substitute:
        if valid_name(str(key)):
            continue
        pos = ks.key_pos("spec", "postBuild", "substitute", key)
        yield Finding(
            "structure/substitution-syntax", Severity.ERROR, pos.path, pos.line,
            f"{ks.id} sets `postBuild.substitute.{key}`, which is not a valid variable name (letters, "
            f"digits and `_`, not starting with a digit): Flux fails every object of this Kustomization. "
            f"Rename it, e.g. `{_suggest_name(str(key))}`.",
            object=ks.id, key=f"spec.postBuild.substitute.{key}")


def _suggest_name(name: str) -> str:
    cleaned = re.sub(r"[^_A-Za-z0-9]", "_", name)
    return cleaned if valid_name(cleaned) else "_" + cleaned
