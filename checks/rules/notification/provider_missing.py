"""notification/provider-missing: an Alert whose providerRef names no Provider in its namespace.

notification-controller looks the Provider up in the Alert's own namespace
only; a Provider of the same name elsewhere does not help, so the message
names the namespaces where one does exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.findings import Finding, Severity
from checks.rules.base import Rule, RuleContext
from checks.rules.notification._shared import alerts, elsewhere, exists, namespaces

RULE = Rule(
    id="notification/provider-missing",
    severity=Severity.ERROR,
    summary="An Alert's providerRef names no Provider in its namespace",
    fixable=False,
    needs_base=False,
    doc="""
        notification-controller looks the Provider up in the Alert's own
        namespace; when it is not there the Alert's events are dropped and
        nobody is told. Resolved per cluster, after namespaces are set by
        kustomization files and targetNamespace.

        Failing:
            kind: Alert
            metadata:
              name: on-call
              namespace: flux-system
            spec:
              providerRef:
                name: slak          # the Provider is called slack

        Passing:
            kind: Provider
            metadata:
              name: slack
              namespace: flux-system
            ---
            kind: Alert
            metadata:
              name: on-call
              namespace: flux-system
            spec:
              providerRef:
                name: slack
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    for alert, cluster in alerts(ctx.model):
        name = alert.get("spec", "providerRef", "name")
        if not isinstance(name, str) or not name or "${" in name:
            continue
        if exists(ctx.model, cluster, "Provider", alert.namespace, name):
            continue
        pos = alert.key_pos("spec", "providerRef", "name")
        others = [ns for ns in elsewhere(ctx.model, cluster, "Provider", name) if ns != alert.namespace]
        hint = (f" A Provider `{name}` exists in {namespaces(others)}, but an Alert can only use a Provider "
                f"of its own namespace: create one in `{alert.namespace}` or move the Alert."
                if others else f" Add a Provider `{name}` in `{alert.namespace}` or fix the name.")
        where = f"namespace `{alert.namespace}`" if alert.namespace else "the repository"
        yield Finding(
            "notification/provider-missing", Severity.ERROR, pos.path, pos.line,
            f"{alert.id} sends to Provider `{name}`, which does not exist in {where}: its events "
            f"are dropped.{hint}",
            object=alert.id, key="spec.providerRef.name",
        )
