"""structure/undefined-variable: a ``${VAR}`` without default that the rendering Kustomization's
postBuild does not supply.

kustomize-controller substitutes in every object a Kustomization renders, from
``postBuild.substitute`` and the keys of the ConfigMaps and Secrets named in
``postBuild.substituteFrom``. Since Flux 2.9 substitution is strict (an
unsupplied variable fails the Kustomization); before, it became an empty
string. Without postBuild nothing is substituted, so only a variable the
cluster supplies elsewhere is reported there. Roots the model only guesses
render this repository are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.structure._shared import PerCluster, guessed_whole_repository
from checks.rules.structure._variables import Substitutions, Text, Variables, line_of, placeholder_texts, substitutions
from checks.substitution import parse, substitution_disabled

RULE = Rule(
    id="structure/undefined-variable",
    severity=Severity.ERROR,
    summary="A ${VAR} without default that the rendering Kustomization's postBuild does not supply",
    doc="""
        kustomize-controller substitutes `${VAR}` in every object a Kustomization
        renders, from `postBuild.substitute` and the keys of the ConfigMaps and
        Secrets named in `postBuild.substituteFrom` (resolved in the same cluster;
        SOPS Secrets count by key name). Since Flux 2.9 substitution is strict: a
        variable without a default that nothing supplies fails the whole
        Kustomization (before 2.9 it silently became an empty string: reported
        as a warning when `flux_version` is older).

        When the Kustomization has no postBuild at all the text reaches the
        cluster literally; that is reported (as a warning) only for variables
        other Kustomizations of the cluster supply, a sign postBuild was forgotten.
        Not reported: `${VAR:=default}`, `${VAR:-default}`, `${VAR=default}`,
        escaped `$${VAR}`, bare `$VAR`, objects labelled or annotated
        `kustomize.toolkit.fluxcd.io/substitute: disabled`, and Kustomizations
        whose substituteFrom names a ConfigMap/Secret not in the repository
        (its keys are unknown).

        Failing:
            # Kustomization apps: postBuild: {substitute: {CLUSTER_NAME: prod}}
            spec:
              rules:
                - host: web.${CLUSTER_DOMAIN}

        Passing:
            spec:
              rules:
                - host: web.${CLUSTER_DOMAIN:=example.com}
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    found = PerCluster(model)
    for cluster in model.clusters:
        resolver = substitutions(model, cluster)
        for obj in cluster.objects:
            if obj.implicit or obj.rendered_by is None:
                continue
            variables = resolver.of(obj.rendered_by)
            if variables is None or variables.runs is None:
                continue
            if variables.runs and variables.names is None:
                continue  # a substituteFrom object the repository does not show may supply any name
            if not variables.runs and not resolver.supplied_in_cluster():
                continue  # without postBuild only a name supplied elsewhere in the cluster is reported: none is
            texts = placeholder_texts(model, obj)  # found once per model; most objects hold none
            if not texts or guessed_whole_repository(model, cluster, obj.rendered_by):
                continue
            if substitution_disabled(obj.labels(), obj.annotations()):
                continue
            for text in texts:
                for ref in parse(text.text).references:
                    if ref.has_default:
                        continue
                    finding = _undefined(model, resolver, variables, obj, text, ref.name)
                    if finding is not None:
                        found.add(cluster.name, finding)
    yield from found.findings()


def _undefined(model: RepoModel, resolver: Substitutions, variables: Variables, obj: KubeObject,
               text: Text, name: str) -> Finding | None:
    ks = obj.rendered_by
    where = f"`${{{name}}}` in {obj.id} (`{text.field}`)"
    if variables.runs:
        if variables.names is None or name in variables.names:
            return None
        if variables.strict:
            severity = Severity.ERROR
            outcome = "Flux's strict substitution (default since 2.9) fails the whole Kustomization"
        else:
            severity = Severity.WARNING
            outcome = "Flux replaces it with an empty string"
        message = (f"{where} is not supplied by {ks} (no `{name}` in its postBuild.substitute or "
                   f"substituteFrom): {outcome}. Add the variable, give it a default "
                   f"(`${{{name}:=value}}`), or escape it as `$${{{name}}}`.")
    else:
        # Without postBuild nothing is substituted: only a variable this cluster supplies
        # elsewhere is a sign the author expected Flux to replace it.
        if name not in resolver.supplied_in_cluster() or _meant_for_children(resolver, obj, text, name):
            return None
        severity = Severity.WARNING
        message = (f"{where} reaches the cluster literally: {ks} has no postBuild, though other "
                   f"Kustomizations of this cluster supply `{name}`. Add postBuild.substitute or "
                   f"substituteFrom to it, or escape the text as `$${{{name}}}` if it is meant literally.")
    line = line_of(model, text.pos, "${" + name)
    return Finding("structure/undefined-variable", severity, text.pos.path, line, message,
                   object=obj.id, key=f"{text.field}:{name}")


def _meant_for_children(resolver: Substitutions, obj: KubeObject, text: Text, name: str) -> bool:
    """A ``${VAR}`` in a Flux Kustomization's own ``spec.patches`` that its own postBuild supplies.

    The patch is applied to what that Kustomization renders, and its postBuild then
    substitutes the result: the literal text in the parent is the intended way to
    hand a variable down (``postBuild.substitute: {CLUSTER: ${CLUSTER}}`` in a patch
    for every child).
    """
    if obj.kind != "Kustomization" or not obj.is_flux or not text.field.startswith("spec.patches"):
        return False
    own = resolver.of(obj.id)
    return own is not None and bool(own.runs) and (own.names is None or name in own.names)
