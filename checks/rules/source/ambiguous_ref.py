"""source/ambiguous-ref: a `spec.ref` setting several selectors, of which one silently wins.

source-controller resolves a GitRepository ref commit > name > semver > tag
> branch and an OCIRepository ref digest > semver > tag, ignoring the rest
without a word. `commit` with `branch` (a shallow clone of the branch at
that commit) and `tag` with `digest` (a pinned tag) mean something and
pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.edits import line_text
from checks.findings import Finding, Fix, Severity, merge_repeats
from checks.model import KubeObject
from checks.rules.base import Rule, RuleContext
from checks.rules.source._shared import GIT_REF_FIELDS, OCI_REF_FIELDS, checked_objects, ref_fields
from checks.yaml_docs import YMap

RULE = Rule(
    id="source/ambiguous-ref",
    severity=Severity.WARNING,
    summary="Several ref selectors at once; one silently wins",
    fixable=True,
    needs_base=False,
    doc="""
        A GitRepository `ref` resolves commit > name > semver > tag > branch, an
        OCIRepository `ref` digest > semver > tag; the others are ignored without
        a word. Combinations with a meaning are fine: `commit` with `branch` (a
        shallow clone of the branch at that commit) and `tag` with `digest`
        (a pinned tag). The fix deletes the ignored lines, which changes nothing
        Flux does.

        Failing:
            ref:
              branch: main
              tag: v1.2.0        # wins; branch is ignored

        Passing:
            ref:
              tag: v1.2.0
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_ambiguous_refs(ctx))


def _ambiguous_refs(ctx: RuleContext) -> Iterator[Finding]:
    for obj in checked_objects(ctx.model):
        if obj.implicit or not obj.is_flux:
            continue
        found = _ambiguous(obj)
        if found is None:
            continue
        winner, ignored = found
        pos = obj.key_pos("spec", "ref")
        names = ", ".join(f"`{f}`" for f in ignored)
        yield Finding(
            "source/ambiguous-ref", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} sets `spec.ref.{winner}` and {names}: Flux uses `{winner}` and silently ignores the "
            f"rest, so a reader may expect another revision. Keep only `{winner}` (or the one you meant).",
            object=obj.id, key="spec.ref", fix=_keep_one_fix(ctx, obj, ignored))


def _ambiguous(obj: KubeObject) -> tuple[str, list[str]] | None:
    """(the field that wins, the ones ignored) when a ref sets several selectors."""
    if obj.kind == "GitRepository":
        fields = ref_fields(obj, GIT_REF_FIELDS)
        if fields[:1] == ["commit"] and fields[1:] in ([], ["branch"]):
            return None  # commit with branch: a shallow clone of the branch, checked out at the commit
    elif obj.kind == "OCIRepository":
        fields = ref_fields(obj, OCI_REF_FIELDS)
        if fields == ["digest", "tag"]:
            return None  # tag@digest pinning: the digest wins and the tag documents it
    else:
        return None
    if len(fields) < 2:
        return None
    return fields[0], fields[1:]


def _keep_one_fix(ctx: RuleContext, obj: KubeObject, ignored: list[str]) -> Fix | None:
    """Delete the lines of the ignored selectors (a change of nothing Flux does)."""
    ref = obj.get("spec", "ref")
    if not isinstance(ref, YMap):
        return None
    positions = {f: (ref.key_pos[f], ref.value_pos[f]) for f in ref if f in GIT_REF_FIELDS + OCI_REF_FIELDS}
    paths = {key.path for key, _ in positions.values()}
    if len(paths) != 1 or any(key.line != value.end_line for key, value in positions.values()):
        return None
    path = paths.pop()
    lines = sorted(key.line for key, _ in positions.values())
    drop = {positions[f][0].line for f in ignored}
    kept = []
    for number in range(lines[0], lines[-1] + 1):
        text = line_text(ctx.model, path, number)
        if text is None:
            return None
        if number not in drop:
            kept.append(text + "\n")
    return Fix(path, lines[0], lines[-1], "".join(kept))
