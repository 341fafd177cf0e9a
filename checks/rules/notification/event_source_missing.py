"""notification/event-source-missing: an Alert event source naming an object that does not exist.

An event source that names an object matches events of that object only,
looked up in the source's ``namespace`` (default: the Alert's). Wildcards,
``matchLabels`` and names with ``${`` substitutions are not checked, nor are
kinds whose objects controllers or installers make (see ``_CHECKED_SOURCE_KINDS``).
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.notification._shared import alerts, elsewhere, exists, namespaces

RULE = Rule(
    id="notification/event-source-missing",
    severity=Severity.WARNING,
    summary="An Alert event source names an object that does not exist",
    fixable=False,
    needs_base=False,
    doc="""
        An event source that names an object (not `*`, no `matchLabels`) only
        matches events of that object, looked up in the source's `namespace`
        (default: the Alert's). A typo or a renamed object silently stops the
        alerts. HelmCharts, ExternalArtifacts and FluxInstances are created by
        controllers or installers and are not checked.

        Failing:
            spec:
              eventSources:
                - kind: Kustomization
                  name: infra-controlers   # the Kustomization is infra-controllers

        Passing:
            spec:
              eventSources:
                - kind: Kustomization
                  name: infra-controllers
                - kind: HelmRelease
                  name: '*'
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for alert, cluster in alerts(ctx.model):
        sources = alert.get("spec", "eventSources")
        for index, source in enumerate(sources if isinstance(sources, list) else []):
            if not isinstance(source, dict) or source.get("matchLabels"):
                continue
            kind, name = source.get("kind"), source.get("name")
            namespace = source.get("namespace") or alert.namespace
            if kind not in _CHECKED_SOURCE_KINDS or not isinstance(name, str) or not name:
                continue
            if "*" in name or "${" in name or (isinstance(namespace, str) and ("*" in namespace or "${" in namespace)):
                continue
            namespace = str(namespace) if namespace else None
            if exists(ctx.model, cluster, kind, namespace, name):
                continue
            pos = alert.key_pos("spec", "eventSources", index, "name")
            others = [ns for ns in elsewhere(ctx.model, cluster, kind, name) if ns != namespace]
            hint = (f" A {kind} `{name}` exists in {namespaces(others)}: set `namespace:` on the event source."
                    if others else " Fix the name, or remove the entry.")
            target = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
            yield Finding(
                "notification/event-source-missing", Severity.WARNING, pos.path, pos.line,
                f"{alert.id} listens to {target}, which does not exist{' in this cluster' if cluster else ''}: "
                f"the entry never matches an event.{hint}",
                object=alert.id, key=f"spec.eventSources:{kind}/{namespace or ''}/{name}",
            )


# Kinds whose every object the model sees when it is written in the repository.
# HelmChart and ExternalArtifact are made by controllers, FluxInstance often
# by an installer: an Alert may rightly name one that no file defines.
_CHECKED_SOURCE_KINDS = frozenset((
    "GitRepository", "OCIRepository", "HelmRepository", "Bucket", "Kustomization", "HelmRelease",
    "ImageRepository", "ImagePolicy", "ImageUpdateAutomation",
))
