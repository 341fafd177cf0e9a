"""tenancy/remote-base: a remote kustomize base or resource listed in a tenant's path.

kustomize-controller fetches such a URL at build time; under
``--no-remote-bases`` it refuses, and the content is outside what this review
sees. Remote resources are taken from the render trees first, then from
kustomization files no cluster renders, each reported once.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from checks.findings import Finding, Severity
from checks.kustomize import KUSTOMIZATION_FILES, is_remote
from checks.model import KUSTOMIZE_CONFIG_GROUP, api_group
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.tenancy._shared import tenant_of
from checks.yaml_docs import YMap, YSeq

RULE = Rule(
    id="tenancy/remote-base",
    severity=Severity.ERROR,
    summary="A remote kustomize base or resource in a tenant's path",
    fixable=False,
    needs_base=False,
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
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterable[Finding]:
    """Every remote resource listed in a file a tenant owns."""
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
