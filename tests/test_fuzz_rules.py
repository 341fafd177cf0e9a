"""Fuzzing the rules' fixes: a fix applied to a YAML file leaves YAML that parses, and the engine reads it again.

Repositories are drawn so that fixable problems are frequent (removed and
deprecated fields, scp URLs, prune disabled, typo'd paths, ambiguous refs,
bad substitutions, unused suppressions), then every finding's fix is applied
with ``apply_fixes``, alone and all together, and the fixed repository is
analysed again.
"""

from __future__ import annotations

from fuzz_repositories import repository
from fuzz_support import assert_findings_keep_promises, watchdog
from hypothesis import given
from hypothesis import strategies as st

from checks.engine import analyze
from checks.findings import Finding, Fix
from checks.fixes import apply_fixes, plan_fixes
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml

# Files with problems whose fix is known, written as a user would; the strategy varies what is around them.
FIXABLE = {
    "clusters/prod/flux-system/gotk-sync.yaml": b"""\
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: git@github.com:org/fleet.git
  ref:
    branch: main
    tag: v1.0.0
---
apiVersion: kustomize.toolkit.fluxcd.io/v1beta2
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/prod
  prune: false
  validation: client
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
    "clusters/prod/apps.yaml": b"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./infrastructur
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substitute:
      name: $cluster_name
""",
    "infrastructure/namespace.yaml": b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
    "clusters/prod/podinfo.yaml": b"""\
# flux-review: ignore[interval/too-short]
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  interval: 5m
  chart:
    spec:
      chart: podinfo
      sourceRef:
        kind: HelmRepository
        name: podinfo
  install:
    skipCRDs: true
  values:
    host: ${HOST-default}
---
apiVersion: v1
kind: Secret
metadata:
  name: token
  namespace: apps
data:
  token: ${TOKEN}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta2
kind: Alert
metadata:
  name: on-call
  namespace: flux-system
spec:
  summary: production
  providerRef:
    name: slack
  eventSources:
    - kind: Kustomization
      name: '*'
""",
}


def with_fixable(random_files: dict[str, bytes], keep: list[bool], crlf: bool) -> dict[str, bytes]:
    files = {path: data for (path, data), kept in zip(FIXABLE.items(), keep, strict=False) if kept}
    if crlf:
        files = {path: data.replace(b"\n", b"\r\n") for path, data in files.items()}
    return {**files, **random_files}


def fixes_by_file(findings: list[Finding]) -> dict[str, list[Fix]]:
    grouped: dict[str, list[Fix]] = {}
    for finding in findings:
        if finding.fix is not None:
            grouped.setdefault(finding.fix.path, []).append(finding.fix)
    return grouped


def parses(path: str, data: bytes) -> bool:
    return load_yaml(path, data).ok


@given(repository(max_files=6), st.lists(st.booleans(), min_size=4, max_size=4), st.booleans())
def test_fixes_leave_yaml_that_parses_and_the_engine_reads_again(random_files: dict[str, bytes], keep: list[bool],
                                                                crlf: bool) -> None:
    files = with_fixable(random_files, keep, crlf)
    snapshot = RepoSnapshot.from_mapping(files)
    with watchdog():
        findings = analyze(snapshot).findings
    assert_findings_keep_promises(findings, snapshot)
    fixed = dict(files)
    for path, fixes in fixes_by_file(findings).items():
        data = snapshot.read(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # plan_fixes refuses such files; nothing is applied
        if not path.endswith((".yaml", ".yml")) or not parses(path, data):
            continue
        for fix in fixes:
            alone, applied, _ = apply_fixes(text, [fix])
            assert applied, f"{path}: a fix inside the file was skipped alone: {fix}"
            assert parses(path, alone.encode()), f"{path}: the fix of lines {fix.start_line}-{fix.end_line} " \
                                                 f"breaks the YAML:\n{alone}"
        together, _, _ = apply_fixes(text, fixes)
        assert parses(path, together.encode()), f"{path}: the fixes together break the YAML:\n{together}"
        fixed[path] = together.encode()
    # What `check --fix` would write agrees, and a second run over the fixed files keeps every promise.
    planned = plan_fixes(findings, lambda p: snapshot.read(p) if p in snapshot else None)
    assert all(parses(f.path, f.encoded()) for f in planned
               if f.changed and f.path.endswith((".yaml", ".yml")) and parses(f.path, f.before.encode()))
    again = RepoSnapshot.from_mapping(fixed)
    with watchdog():
        assert_findings_keep_promises(analyze(again).findings, again)
