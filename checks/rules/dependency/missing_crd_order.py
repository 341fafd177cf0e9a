"""dependency/missing-crd-order: custom resources applied by a Kustomization that does not wait for their CRDs.

On a fresh cluster the API server refuses objects of a kind whose
CustomResourceDefinition is not installed yet ("no matches for kind"), so the
Kustomization applying them must come after the one installing the CRDs:
through ``dependsOn``, directly or transitively, or by being rendered by it
(a child is created only after its parent applied). A Kustomization installs
a group's CRDs when it renders them as files, or renders a HelmRelease of a
well-known chart that installs them (``checks.chart_crds``). Only reported
when exactly one Kustomization of the cluster installs the group's CRDs, for
certain, no other may, and the repository's bootstrap (a helmfile, a script)
does not install them before Flux runs. Not reported either when the consumer
itself renders that Kustomization: a parent cannot wait for its own child.
Flux's own groups never need an order, since nothing reconciles before
Flux's CRDs exist. The objects a flux-operator ResourceSet creates are applied
by flux-operator, which retries until their CRDs exist: they need no order, and
CRDs they install leave their group's order unknown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from checks.chart_crds import Bootstrap, ReleaseCRDs, release_crds
from checks.edits import add_spec_field_fix, in_own_document, line_text
from checks.findings import Finding, Fix, Severity, drop_repeats
from checks.model import FLUX_KINDS, KubeObject
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.rules.dependency._shared import dependencies, short_name

RULE = Rule(
    id="dependency/missing-crd-order",
    severity=Severity.WARNING,
    summary="Custom resources applied by a Kustomization that does not wait for their CRDs",
    fixable=True,
    doc="""
        When a Kustomization applies objects of an API group whose
        CustomResourceDefinitions another Kustomization of the same cluster
        installs, it must come after it (`dependsOn`, directly or through its
        parents); otherwise a fresh cluster fails with "no matches for kind"
        until the CRDs happen to exist. A Kustomization installs the CRDs when it
        renders them as files, or renders a HelmRelease of a well-known chart
        that installs them (cert-manager with `crds.enabled`, external-secrets,
        kube-prometheus-stack, cloudnative-pg, kyverno and others; the chart's
        CRD switches in `spec.values` and `install.crds: Skip` are read). Only
        reported when the repository itself shows, for sure, which one
        Kustomization installs that group's CRDs; CRDs installed outside the
        repository, by several places, or by a release whose values come from
        elsewhere are never guessed at, and CRDs the repository's bootstrap
        installs before Flux (a helmfile release of the chart, a script applying
        them) need no order. A Kustomization that itself renders the installing
        one is not told to wait for its own child.

        Fix: `dependsOn: [{name: <provider>}]`.

        Failing:
            kind: Kustomization
            metadata: {name: issuers}      # renders cert-manager.io ClusterIssuers
            spec:
              path: ./infrastructure/issuers
            ---
            kind: Kustomization
            metadata: {name: cert-manager-crds}  # renders the cert-manager CRDs
            spec:
              path: ./infrastructure/cert-manager

        Passing:
            kind: Kustomization
            metadata: {name: issuers}
            spec:
              dependsOn: [{name: cert-manager-crds}]
              path: ./infrastructure/issuers
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        bootstrap = Bootstrap.read(ctx.model.snapshot)
        for cluster in ctx.model.clusters:
            providers = _Providers(cluster, bootstrap)
            if not providers.certain:
                continue
            used: dict[tuple[str, str], set[str]] = defaultdict(set)
            provided: dict[str, bool] = {}  # by API group: a cluster's objects share a few groups
            for obj in cluster.objects:
                if (obj.implicit or obj.rendered_by is None or obj.kind == "CustomResourceDefinition"
                        or obj.generated_by):  # flux-operator applies a ResourceSet's objects, retrying
                    continue
                group = obj.group
                sole = provided.get(group)
                if sole is None:
                    sole = provided[group] = providers.sole(group) is not None
                if sole:
                    used[(obj.rendered_by, group)].add(obj.kind)
            order = _Order(cluster)
            kustomizations = order.kustomizations
            for (consumer_id, group), kinds in sorted(used.items()):
                provider_id, release = providers.sole(group) or ("", None)
                consumer = kustomizations.get(consumer_id)
                # Objects rendered beside their CRDs: kustomize-controller applies CRDs first; beside the
                # HelmRelease installing them, no dependsOn can order them.
                if consumer is None or consumer.implicit or consumer_id == provider_id:
                    continue
                if provider_id in order.before(consumer_id) or consumer_id in order.ancestors(provider_id):
                    continue  # ordered; or the consumer renders the provider, and a parent cannot wait for its child
                provider = kustomizations.get(provider_id)
                if provider is None:
                    continue
                yield _missing_crd_order(ctx, consumer, provider, group, kinds, release)

    return drop_repeats(findings())


CRD_GROUP = "apiextensions.k8s.io"
# Flux cannot reconcile anything before its own CRDs exist, so no order is needed for them.
FLUX_GROUPS = frozenset(FLUX_KINDS.values())


class _Providers:
    """Which Kustomizations of a cluster install each API group's CustomResourceDefinitions.

    ``certain``: group -> Kustomization -> how (None: CRD files it renders; else the HelmRelease it
    renders). ``possible``: Kustomizations that may install the group (a release whose values or CRD
    policy the repository does not settle, or a ResourceSet whose objects flux-operator applies when it
    can, named by its own id); they make the order unknowable, so the group is left alone, as are the
    groups the repository's bootstrap installs before Flux runs (``bootstrapped``, asked as needed).
    """

    def __init__(self, cluster: Cluster, bootstrap: Bootstrap) -> None:
        self.certain: dict[str, dict[str, ReleaseCRDs | None]] = defaultdict(dict)
        self.possible: dict[str, set[str]] = defaultdict(set)
        releases: list[ReleaseCRDs] = []
        for obj in cluster.objects:
            if obj.implicit or not obj.rendered_by:
                continue
            if obj.kind == "CustomResourceDefinition" and obj.group == CRD_GROUP:
                group = obj.get("spec", "group")
                if isinstance(group, str) and group and "${" not in group and group not in FLUX_GROUPS:
                    if obj.generated_by:
                        self.possible[group].add(obj.generated_by)
                    else:
                        self.certain[group][obj.rendered_by] = None
            elif obj.kind == "HelmRelease":
                installed = release_crds(obj, cluster)
                if installed is not None:
                    releases.append(installed)
                for group in installed.groups if installed else ():
                    if group in FLUX_GROUPS:
                        continue
                    if obj.generated_by:
                        self.possible[group].add(obj.generated_by)
                    elif installed.certain:
                        self.certain[group].setdefault(obj.rendered_by, installed)
                    else:
                        self.possible[group].add(obj.rendered_by)
        self.bootstrap, self.releases = bootstrap, releases
        self.bootstrapped: dict[str, bool] = {}  # asked of a group only when it has one sure provider

    def sole(self, group: str) -> tuple[str, ReleaseCRDs | None] | None:
        """The one Kustomization installing the group's CRDs and how, when no other one may."""
        certain = self.certain.get(group)
        if not certain or len(certain) != 1 or not self.possible.get(group, set()) <= certain.keys():
            return None
        bootstrapped = self.bootstrapped.get(group)
        if bootstrapped is None:
            bootstrapped = self.bootstrapped[group] = self.bootstrap.installs(group, self.releases)
        return None if bootstrapped else next(iter(certain.items()))


class _Order:
    """Which Kustomizations of a cluster are applied before which: dependsOn and render parents."""

    def __init__(self, cluster: Cluster) -> None:
        self.parents: dict[str, str] = {}
        for parent, node in cluster.renders.items():
            for child in node.children:
                self.parents.setdefault(child, parent)
        self.kustomizations = {o.id: o for o in cluster.objects if o.kind == "Kustomization" and o.is_flux}

    def ancestors(self, start: str) -> set[str]:
        """The Kustomizations that render ``start``, up to its root."""
        found: set[str] = set()
        current = self.parents.get(start)
        while current is not None and current not in found:
            found.add(current)
            current = self.parents.get(current)
        return found

    def before(self, start: str) -> set[str]:
        """Everything ``start`` waits for or is created by, transitively."""
        seen: set[str] = set()
        queue = [start]
        while queue:
            current = queue.pop()
            obj = self.kustomizations.get(current)
            following = [d.target_id for d in dependencies(obj)] if obj is not None else []
            if current in self.parents:
                following.append(self.parents[current])
            for node in following:
                if node not in seen:
                    seen.add(node)
                    queue.append(node)
        return seen


def _missing_crd_order(ctx: RuleContext, consumer: KubeObject, provider: KubeObject, group: str,
                       kinds: set[str], release: ReleaseCRDs | None) -> Finding:
    name = short_name(provider, consumer)
    if "dependsOn" in consumer.spec:
        pos = consumer.key_pos("spec", "dependsOn")
    else:
        pos = consumer.key_pos("spec") if "spec" in consumer.body else consumer.body.pos
    fix = _depends_on_fix(ctx, consumer, provider)
    listed = ", ".join(sorted(kinds))
    if release is None:
        installer = f"{provider.id} installs, but does not depend on it"
        until = f"{provider.name} has run"
    else:
        installer = (f"{release.release.id} (chart {release.chart}) installs, but does not depend on "
                     f"{provider.id}, which applies that release")
        until = f"{release.release.name} is installed"
    return Finding(
        "dependency/missing-crd-order", Severity.WARNING, pos.path, pos.line,
        f"{consumer.id} applies {listed} ({group}), whose CustomResourceDefinitions {installer}: on a fresh "
        f"cluster the apply fails (\"no matches for kind\") until {until}. Add `dependsOn: [{{name: {name}}}]`.",
        object=consumer.id, key=f"crd:{group}", fix=fix,
    )


def _depends_on_fix(ctx: RuleContext, consumer: KubeObject, provider: KubeObject) -> Fix | None:
    """Add the provider to the consumer's dependsOn: a new flow list, or an entry above a block list's first."""
    namespace = "" if provider.namespace == consumer.namespace else f", namespace: {provider.namespace}"
    entries = consumer.get("spec", "dependsOn")
    if entries is None:
        return add_spec_field_fix(ctx.model, consumer, "dependsOn", f"[{{name: {provider.name}{namespace}}}]")
    if not isinstance(entries, list) or not entries:
        return None
    first = consumer.key_pos("spec", "dependsOn", 0, "name") if isinstance(entries[0], dict) else None
    if first is None or not in_own_document(consumer, first):
        return None
    line = line_text(ctx.model, first.path, first.line) or ""
    stripped = line.lstrip()
    if not stripped.startswith("- name:"):
        return None
    indent = line[: len(line) - len(stripped)]
    extra = f"\n{indent}  namespace: {provider.namespace}" if namespace else ""
    return Fix(first.path, first.line, first.line, f"{indent}- name: {provider.name}{extra}\n{line}\n")
