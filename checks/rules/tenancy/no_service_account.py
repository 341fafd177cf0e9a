"""tenancy/no-service-account: a tenant's Kustomization or HelmRelease without ``serviceAccountName``.

Without it kustomize-controller and helm-controller apply with their own
cluster-wide permissions. Objects with a ``kubeConfig`` act in another
cluster, with that cluster's credentials, and are skipped. When the
repository patches ``--default-service-account`` into the controller
Deployments (flux2-multi-tenancy does), objects without the field run as that
account of their own namespace, so the rule stays quiet.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.edits import indentation, insert_below_fix
from checks.findings import Finding, Fix, Severity
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.tenancy._shared import tenant_objects
from checks.yaml_docs import YMap

RULE = Rule(
    id="tenancy/no-service-account",
    severity=Severity.WARNING,
    summary="A tenant Kustomization or HelmRelease without serviceAccountName",
    fixable=True,
    needs_base=False,
    doc="""
        Without `serviceAccountName` kustomize-controller and helm-controller
        apply with their own cluster-wide permissions (unless the platform sets
        `--default-service-account`), so a tenant could create anything
        anywhere. Checked after the patches of parent Kustomizations, which may
        set it for every child. Objects with a `kubeConfig` act in another
        cluster with that cluster's credentials and are skipped, and the rule
        stays quiet when the repository patches `--default-service-account`
        into the controllers (then such objects run as that namespaced account).

        The fix adds `serviceAccountName` with the tenant's `service_account`
        from the configuration, or the tenant's name.

        Failing (tenant dev-team):
            kind: Kustomization
            metadata:
              name: web
              namespace: apps
            spec:
              interval: 10m

        Passing:
            spec:
              serviceAccountName: dev-team
              interval: 10m
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    """Every tenant Kustomization and HelmRelease that would run with the controller's own permissions."""
    if not ctx.config.tenants or _sets_default_service_account(ctx.model):
        return
    for obj, tenant in tenant_objects(ctx.model):
        if obj.kind not in ("Kustomization", "HelmRelease"):
            continue
        spec = obj.body.get("spec")
        if isinstance(spec, dict) and (spec.get("serviceAccountName") or spec.get("kubeConfig")):
            continue  # with a kubeConfig the object acts in another cluster, with that cluster's credentials
        account = tenant.service_account or tenant.name
        pos = obj.key_pos("spec") if isinstance(spec, dict) else obj.body.pos
        yield Finding(
            "tenancy/no-service-account", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} (tenant {tenant.name}) has no `spec.serviceAccountName`, so the controller applies "
            f"it with its own cluster-wide permissions. Set `serviceAccountName: {account}`.",
            object=obj.id, key="spec.serviceAccountName",
            fix=_service_account_fix(ctx.model, obj, account),
        )


def _sets_default_service_account(model: RepoModel) -> bool:
    """True when the repository passes ``--default-service-account`` to the controllers.

    bootstrap customisations patch the flag into the controller Deployments
    (flux2-multi-tenancy does); objects without ``serviceAccountName`` then run
    as that account of their own namespace, not as the controller.
    """
    return any("--default-service-account" in loaded.text for loaded in model.files.values())


def _service_account_fix(model: RepoModel, obj: KubeObject, account: str) -> Fix | None:
    """Add ``serviceAccountName`` as the first key of ``spec``, in the object's own file."""
    spec = obj.body.get("spec")
    if not isinstance(spec, YMap) or not spec:
        return None
    key_pos = obj.key_pos("spec")
    first = next(iter(spec))
    first_pos = spec.key_pos.get(first)
    if key_pos.path != obj.path or first_pos is None or first_pos.path != obj.path:
        return None  # spec written by a patch: the object's own file is the one to edit
    loaded = model.files.get(obj.path)
    lines = loaded.lines if loaded is not None else []
    if not (0 < key_pos.line < first_pos.line <= len(lines)):
        return None  # a flow mapping (`spec: {...}`) or an unexpected layout
    spec_line, child_line = lines[key_pos.line - 1], lines[first_pos.line - 1]
    if spec_line.partition("#")[0].rstrip().rpartition(":")[2].strip():
        return None
    indent = indentation(child_line)
    if child_line.lstrip().startswith("- ") or not indent:
        return None
    return insert_below_fix(obj.path, key_pos.line, spec_line, f"{indent}serviceAccountName: {account}\n")
