"""What the rule tests share: inline repositories, their findings, fix round trips, Flux objects.

A repository is a ``{path: text}`` dict. Texts are dedented before they are
analyzed, so a test may indent its YAML with the code; a text already
written flush left is used as it is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from checks.config import Config
from checks.engine import Analysis, analyze
from checks.findings import Finding, Fix
from checks.fixes import apply_fixes
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml

ROOT = "clusters/prod"

# The apiVersion of each Flux kind the builders write; any other kind is a source.toolkit.fluxcd.io/v1 kind.
API_VERSIONS = {
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "Alert": "notification.toolkit.fluxcd.io/v1beta3",
    "Provider": "notification.toolkit.fluxcd.io/v1beta3",
    "ArtifactGenerator": "source.extensions.fluxcd.io/v1beta1",
}


# -- running the engine ------------------------------------------------------------------------------

def yaml(text: str) -> str:
    """A YAML block written inside the code: dedented, without the line break after the opening quotes."""
    return textwrap.dedent(text).lstrip("\n")


def dedented(files: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """The files with every text dedented (bytes are kept as they are)."""
    return {path: textwrap.dedent(text) if isinstance(text, str) else text for path, text in files.items()}


def snapshot(files: Mapping[str, str | bytes]) -> RepoSnapshot:
    """An in-memory snapshot of an inline repository."""
    return RepoSnapshot.from_mapping(dedented(files))


def analyze_files(files: Mapping[str, str | bytes], config: Config | None = None,
             base: Mapping[str, str | bytes] | None = None) -> Analysis:
    """``analyze`` over an inline repository; with ``base``, as a review of the change from that repository."""
    previous = analyze(snapshot(base), config) if base is not None else None
    return analyze(snapshot(files), config, previous)


def of(result: Analysis, rule: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in result.findings if f.rule == rule]


def findings(files: Mapping[str, str | bytes], rule: str, config: Config | None = None,
             base: Mapping[str, str | bytes] | None = None) -> list[Finding]:
    """The findings of one rule over an inline repository (``base``: in a review against it)."""
    return of(analyze_files(files, config, base), rule)


# -- fixes -------------------------------------------------------------------------------------------

def fixed_text(text: str, fix: Fix | None) -> str:
    """A text after one fix, applied by ``checks.fixes`` as ``check --fix`` does."""
    assert fix is not None
    after, applied, skipped = apply_fixes(text, [fix])
    assert applied == [fix] and not skipped, skipped
    return after


def apply_fix(files: Mapping[str, str], fix: Fix | Finding | None) -> dict[str, str]:
    """The repository after one fix (or a finding's fix); the fixed file must still load as YAML."""
    if isinstance(fix, Finding):
        fix = fix.fix
    assert fix is not None
    text = fixed_text(textwrap.dedent(files[fix.path]), fix)
    assert load_yaml(fix.path, text.encode()).ok, text
    return {**files, fix.path: text}


def round_trip(files: Mapping[str, str], rule: str, config: Config | None = None) -> dict[str, str]:
    """Apply the fix of the rule's one finding and prove the finding is gone and the file still parses."""
    found = findings(files, rule, config)
    assert len(found) == 1 and found[0].fix is not None, found
    fixed = apply_fix(files, found[0].fix)
    after = analyze_files(fixed, config)
    assert of(after, rule) == []
    assert of(after, "structure/yaml-invalid") == []
    return fixed


# -- objects -----------------------------------------------------------------------------------------

def _block(text: str) -> str:
    """A YAML block dedented, ending with a line break (empty stays empty)."""
    text = yaml(text)
    return text if not text or text.endswith("\n") else text + "\n"


def flux_object(kind: str, name: str, spec: str, namespace: str = "flux-system") -> str:
    """A Flux object of ``kind`` whose ``spec`` holds the given YAML."""
    return (f"apiVersion: {API_VERSIONS.get(kind, 'source.toolkit.fluxcd.io/v1')}\nkind: {kind}\nmetadata:\n"
            f"  name: {name}\n  namespace: {namespace}\nspec:\n" + textwrap.indent(textwrap.dedent(spec), "  "))


def kustomization(name: str = "apps", path: str = "./apps", extra: str = "", namespace: str = "flux-system", *,
                  spec: str = "interval: 10m", wait: bool = False, source_namespace: str | None = None) -> str:
    """A Flux Kustomization applying ``path`` of the GitRepository flux-system.

    ``spec`` is what its spec says before ``path`` (the interval), ``extra``
    what it says after ``sourceRef``; ``wait`` writes ``wait: true`` after
    ``prune``, ``source_namespace`` the namespace of the source.
    """
    source = "sourceRef:\n  kind: GitRepository\n  name: flux-system\n"
    if source_namespace is not None:
        source += f"  namespace: {source_namespace}\n"
    body = _block(spec) + f"path: {path}\nprune: true\n" + ("wait: true\n" if wait else "") + source + _block(extra)
    return flux_object("Kustomization", name, body, namespace)


def apps_repository(**apps: str) -> dict[str, str]:
    """A one-cluster repository whose `apps` Kustomization renders the given files of apps/.

    Keys are file names (``podinfo`` is apps/podinfo.yaml, ``_`` becomes ``-``); texts are dedented.
    """
    files = {f"{ROOT}/apps.yaml": kustomization()}
    files.update({f"apps/{name.replace('_', '-')}.yaml": textwrap.dedent(text) for name, text in apps.items()})
    return files


def helm_release(name: str, namespace: str = "default", extra: str = "", *, chart: str | None = None,
                 version: str | None = "1.x", source: str = "charts", source_namespace: str | None = None) -> str:
    """A HelmRelease of chart ``chart`` (its own name by default) from the HelmRepository ``source``.

    ``version`` is written as given (None: no version); ``extra`` is more of its spec.
    """
    lines = f"interval: 15m\nchart:\n  spec:\n    chart: {chart or name}\n"
    if version is not None:
        lines += f"    version: {version}\n"
    lines += f"    sourceRef:\n      kind: HelmRepository\n      name: {source}\n"
    if source_namespace is not None:
        lines += f"      namespace: {source_namespace}\n"
    return flux_object("HelmRelease", name, lines + _block(extra), namespace)


def config_map(name: str, data: str | None = None, namespace: str = "default", extra_meta: str = "") -> str:
    """A ConfigMap; ``data`` is the YAML of its data (None: no data), ``extra_meta`` more of its metadata."""
    meta = textwrap.indent(textwrap.dedent(extra_meta), "  ")
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{meta}"
    return text if data is None else text + f"data:\n{textwrap.indent(textwrap.dedent(data), '  ')}"


def resource_set(spec: str, name: str = "tenants", namespace: str = "flux-system") -> str:
    """A flux-operator ResourceSet whose ``spec`` (YAML, dedented) starts on line 7 (its first key)."""
    return (f"apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata:\n  name: {name}\n"
            f"  namespace: {namespace}\nspec:\n" + textwrap.indent(textwrap.dedent(spec).lstrip("\n"), "  "))


# -- suppressions ---------------------------------------------------------------------------------------

SHORT_INTERVAL_SOURCE = """\
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata:
      name: podinfo
      namespace: flux-system
    spec:
      interval: 30s{comment}
      url: https://github.com/stefanprodan/podinfo
      ref:
        branch: master
    """


def run(files: Mapping[str, str | bytes], config_text: str | None = None) -> Analysis:
    """``analyze_files`` under a configuration given as the text of .github/flux-review.yml."""
    from checks.engine import load_config_text

    config = load_config_text(config_text, ".github/flux-review.yml") if config_text else None
    return analyze_files(files, config)


def source(comment: str = "", above: str = "") -> dict[str, str]:
    """A GitRepository whose ``interval: 30s`` (line 7) is too short, with a comment on or above that line."""
    text = SHORT_INTERVAL_SOURCE.format(comment=comment)
    if above:
        text = text.replace("      interval: 30s", f"      {above}\n      interval: 30s")
    return {"clusters/prod/sources.yaml": text}
