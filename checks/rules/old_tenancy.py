"""Tenancy rules: what a tenant's manifests may not do under Flux's multi-tenancy lockdown.

They run only when .github/flux-review.yml declares ``tenants`` (a name, the
paths the tenant owns, and optionally its namespaces and service account).
An object belongs to a tenant when the file it is written in lies in one of
the tenant's paths. The lockdown flags (``--no-cross-namespace-refs``,
``--no-remote-bases``, ``--default-service-account``) live on the
controllers, outside the repository, so these rules speak of what the
manifests would do once they are set.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from checks.config import Config, Tenant
from checks.edits import indentation, insert_below_fix
from checks.findings import Finding, Fix, Severity
from checks.kustomize import KUSTOMIZATION_FILES, is_remote
from checks.model import KUSTOMIZE_CONFIG_GROUP, KubeObject, api_group, field_path
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.yaml_docs import YMap, YSeq


def tenant_of(config: Config, path: str) -> Tenant | None:
    """The first tenant whose paths hold ``path``, if any."""
    return next((tenant for tenant in config.tenants if tenant.owns(path)), None)


def _tenant_objects(model: RepoModel) -> Iterator[tuple[KubeObject, Tenant]]:
    """Flux objects written in a tenant's paths: as rendered in each cluster, then unrendered ones."""
    if not model.config.tenants:
        return
    for obj in model.all_objects():
        if obj.implicit or not obj.is_flux:
            continue
        tenant = tenant_of(model.config, obj.path)
        if tenant is not None:
            yield obj, tenant


# -- tenancy/cross-namespace-ref ---------------------------------------------------

def _references(obj: KubeObject) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """``(path of the namespace field, what it points at)`` for each namespaced reference.

    dependsOn is left out on purpose: Flux allows it across namespaces even
    under ``--no-cross-namespace-refs`` (only source references are guarded).
    """
    if obj.kind in ("Kustomization", "ImageUpdateAutomation"):
        yield ("spec", "sourceRef", "namespace"), "source"
    elif obj.kind == "HelmRelease":
        yield ("spec", "chart", "spec", "sourceRef", "namespace"), "chart source"
        yield ("spec", "chartRef", "namespace"), "chart"
    elif obj.kind == "ImagePolicy":
        yield ("spec", "imageRepositoryRef", "namespace"), "image repository"
    elif obj.kind == "Alert":
        sources = obj.get("spec", "eventSources")
        for index in range(len(sources) if isinstance(sources, list) else 0):
            yield ("spec", "eventSources", index, "namespace"), "event source"


def _check_cross_namespace(ctx: RuleContext) -> Iterable[Finding]:
    for obj, tenant in _tenant_objects(ctx.model):
        if not obj.namespace:
            continue  # an unrendered object without a namespace: nothing to compare with
        for path, what in _references(obj):
            namespace = obj.get(*path)
            if not isinstance(namespace, str) or not namespace or "${" in namespace:
                continue
            if namespace == obj.namespace:
                continue
            pos = obj.key_pos(*path)
            field = field_path(path)
            target = "every namespace" if namespace == "*" else f"namespace `{namespace}`"
            yield Finding(
                "tenancy/cross-namespace-ref", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} (tenant {tenant.name}) points its {what} at {target} (`{field}`); with "
                "`--no-cross-namespace-refs` Flux refuses references that leave the object's namespace. "
                f"Keep the {what} in `{obj.namespace}`.",
                object=obj.id, key=field,
            )


# -- tenancy/no-service-account ---------------------------------------------------------

def sets_default_service_account(model: RepoModel) -> bool:
    """True when the repository passes ``--default-service-account`` to the controllers.

    bootstrap customisations patch the flag into the controller Deployments
    (flux2-multi-tenancy does); objects without ``serviceAccountName`` then run
    as that account of their own namespace, not as the controller.
    """
    return any("--default-service-account" in loaded.text for loaded in model.files.values())


def _check_no_service_account(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.config.tenants or sets_default_service_account(ctx.model):
        return
    for obj, tenant in _tenant_objects(ctx.model):
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


# -- tenancy/remote-base -----------------------------------------------------------------

def _remote_resources(model: RepoModel) -> Iterator[tuple[str, int, str]]:
    """Every remote resource of the repository: from the render trees, then unrendered kustomization files."""
    seen: set[tuple[str, int, str]] = set()
    for cluster in model.clusters:
        for node in cluster.renders.values():
            for remote in node.build.remote if node.build else ():
                entry = (remote.path, remote.line, remote.url)
                if entry not in seen:
                    seen.add(entry)
                    yield entry
    for path, loaded in model.files.items():
        if posixpath.basename(path) not in KUSTOMIZATION_FILES or not loaded.docs:
            continue
        doc = loaded.docs[0].root
        if not isinstance(doc, YMap) or api_group(str(doc.get("apiVersion") or KUSTOMIZE_CONFIG_GROUP + "/")) != (
                KUSTOMIZE_CONFIG_GROUP):
            continue
        for key in ("resources", "bases", "components"):
            entries = doc.get(key)
            if not isinstance(entries, YSeq):
                continue
            for value, pos in zip(entries, entries.item_pos, strict=True):
                entry = (pos.path, pos.line, str(value))
                if isinstance(value, str) and is_remote(value) and entry not in seen:
                    seen.add(entry)
                    yield entry


def _check_remote_base(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.config.tenants:
        return
    for path, line, url in _remote_resources(ctx.model):
        tenant = tenant_of(ctx.config, path)
        if tenant is None:
            continue
        yield Finding(
            "tenancy/remote-base", Severity.ERROR, path, line,
            f"tenant {tenant.name}'s kustomization pulls `{url}` from outside the repository: with "
            "`--no-remote-bases` kustomize-controller refuses it, and its content escapes review. Copy it "
            "into the repository or serve it through a GitRepository or OCIRepository the platform approves.",
            key=url,
        )


CROSS_NAMESPACE_REF = Rule(
    id="tenancy/cross-namespace-ref",
    severity=Severity.ERROR,
    summary="A tenant's source, chart or Alert event source in another namespace",
    doc="""
        Under multi-tenancy lockdown the controllers run with
        `--no-cross-namespace-refs`: a tenant's Kustomization may only read a
        source in its own namespace, a HelmRelease only a chart source there, an
        Alert only events from there. Otherwise one tenant could deploy from, or
        listen to, another tenant's sources. `dependsOn` may cross namespaces
        (Flux allows it even then) and is not reported.

        On only when .github/flux-review.yml declares `tenants`; an object
        belongs to a tenant when its file is in one of the tenant's `paths`.

        Failing (tenant dev-team, namespace apps):
            kind: Kustomization
            metadata:
              name: web
              namespace: apps
            spec:
              sourceRef:
                kind: GitRepository
                name: platform
                namespace: flux-system

        Passing:
            spec:
              sourceRef:
                kind: GitRepository
                name: dev-team        # a GitRepository in apps
    """,
    check=_check_cross_namespace,
)

NO_SERVICE_ACCOUNT = Rule(
    id="tenancy/no-service-account",
    severity=Severity.WARNING,
    summary="A tenant Kustomization or HelmRelease without serviceAccountName",
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
    check=_check_no_service_account,
    fixable=True,
)

REMOTE_BASE = Rule(
    id="tenancy/remote-base",
    severity=Severity.ERROR,
    summary="A remote kustomize base or resource in a tenant's path",
    doc="""
        A kustomization.yaml in a tenant's path that lists a URL or a git
        reference (`github.com/org/repo//deploy?ref=v1`) makes
        kustomize-controller fetch it at build time: refused under
        `--no-remote-bases`, and outside what this review (and the platform
        team) can see. Vendor the files into the repository, or point a
        Flux Kustomization at an approved GitRepository/OCIRepository.

        Failing (kustomization.yaml in tenants/dev-team):
            resources:
              - github.com/stefanprodan/podinfo//kustomize?ref=6.5.0

        Passing:
            resources:
              - ./podinfo
    """,
    check=_check_remote_base,
)

RULES: list[Rule] = [CROSS_NAMESPACE_REF, NO_SERVICE_ACCOUNT, REMOTE_BASE]
