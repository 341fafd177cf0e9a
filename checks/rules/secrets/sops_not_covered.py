"""secrets/sops-not-covered: a SOPS file that no ``.sops.yaml`` creation rule covers.

Files count as SOPS files by their name (``*.sops.*``) or by a ``sops:``
block; every ``.sops.yaml`` in the file's folder or above it is compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.findings import Finding, Severity
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.sops import is_covered, load_sops_configs, looks_like_sops_name, sops_metadata
from checks.yaml_docs import YMap

RULE = Rule(
    id="secrets/sops-not-covered",
    severity=Severity.WARNING,
    summary="A SOPS (or *.sops.*) file that no .sops.yaml creation rule covers",
    fixable=False,
    needs_base=False,
    doc="""
    `.sops.yaml` `creation_rules` say which keys encrypt which files (the first
    rule whose `path_regex` matches). For a file outside every rule, `sops`
    refuses to encrypt, edit, `--set`, `--rotate` or `updatekeys` it with
    `error loading config: no matching creation rules found` (decrypting
    still works): a new secret saved under that name cannot be encrypted in
    place, and the keys of an encrypted one cannot be rotated.

    Checked only when the repository has a `.sops.yaml`; every `.sops.yaml`
    in the file's folder or above it counts (SOPS uses the nearest one above
    the folder it runs in). Files covered by a rule without `path_regex` are
    fine.

    Failing (.sops.yaml):
        creation_rules:
          - path_regex: kubernetes/.*\\.sops\\.yaml
    with talos/secrets.sops.yaml in the repository.

    Passing:
        creation_rules:
          - path_regex: (kubernetes|talos)/.*\\.sops\\.yaml
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """SOPS files no creation rule matches; nothing to compare without a .sops.yaml."""
    configs = load_sops_configs(ctx.model.snapshot)
    if not configs:
        return
    for config in configs:
        for line, pattern in config.refused:
            yield Finding(
                "secrets/sops-not-covered", Severity.WARNING, config.path, line,
                f"`path_regex: {pattern}` is not a regular expression Go accepts (sops uses Go's RE2 syntax: no "
                "backreferences, no lookarounds), so `sops` cannot load this configuration and no file is covered "
                "by it. Rewrite the pattern in RE2 syntax.",
                key=f"path_regex:{pattern}")
    for path, line in sorted(_sops_candidates(ctx.model).items()):
        if is_covered(path, configs) is not False:
            continue
        names = ", ".join(sorted({c.path for c in configs if not c.folder or path.startswith(c.folder + "/")}))
        yield Finding(
            "secrets/sops-not-covered", Severity.WARNING, path, line,
            f"{path} is a SOPS file but no `creation_rules` entry of {names} matches it (`path_regex`): "
            "`sops` refuses to encrypt, edit or rotate it (`updatekeys` too) with \"error loading config: no "
            "matching creation rules found\". Widen a `path_regex`, or move the file.",
            key="creation_rules")


def _sops_candidates(model: RepoModel) -> dict[str, int]:
    """Files that are, or are named as, SOPS files: path -> line to report."""
    found: dict[str, int] = {}
    for path in model.snapshot.paths():
        if looks_like_sops_name(path):
            found[path] = 1
    for path, loaded in model.files.items():
        for doc in loaded.docs:
            meta = sops_metadata(doc.root)
            if meta is not None:
                found.setdefault(path, doc.root.key_pos["sops"].line if isinstance(doc.root, YMap) else 1)
                break
    return found

