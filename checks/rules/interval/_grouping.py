"""One finding for a decision many child Kustomizations repeat, on the parent that can make it once.

A parent Kustomization that renders dozens of app Kustomizations usually gives them their
defaults through `spec.patches`. When they all lack the same field with the same interval, the
fix is one line in that patch, and a user should read one finding there, not one per child.

The rules that report a missing field per child (``interval/no-retry``,
``interval/timeout-exceeds-interval``) yield a ``Repeat`` for each such child;
``fold_repeats`` finds where each child gets its defaults (the ``Anchor``: the
Kustomization to edit and the patch of it that reaches the child, nested patches
included), and turns the children of one anchor that share a value into one
``Group``, which the rule words as one finding. This is a mechanism of its own,
larger than a helper, hence its own module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from checks.edits import in_own_document, insert_below_fix, is_spec_line, line_at
from checks.findings import Finding, Fix, counted
from checks.kustomize import Patch, inline_patches
from checks.model import KubeObject, bootstrap_generated
from checks.repo import Cluster
from checks.rules.base import RuleContext
from checks.suppressions import FileSuppressions, parse_suppressions
from checks.yaml_docs import Pos, YMap, YSeq

GROUP_AT = 5
_LITERAL_BLOCK = re.compile(r"^\|[-+0-9]*\s*(#.*)?$")  # `|`, `|-`: lines kept as written


@dataclass(frozen=True)
class Repeat:
    """A child Kustomization's finding and the effective value it may share with its siblings."""

    obj: KubeObject
    finding: Finding
    pattern: str


@dataclass(frozen=True)
class Anchor:
    """Where a child gets its defaults: the Kustomization to edit and, if any, its patch for children.

    ``patch`` is a document of a ``spec.patches`` entry that already reaches the child, and
    ``written`` where that entry's ``patch:`` text is. The entry may be the parent's own, or given
    to the parent by an ancestor's patch (nested patches); ``owner`` is the Kustomization whose
    document holds the text, so editing it once reaches every child of the group.
    """

    owner: KubeObject
    patch: Patch | None = None
    written: Pos | None = None

    @property
    def key(self) -> tuple[str, int, Pos | None]:
        return (self.owner.path, self.owner.line, self.patch.origin if self.patch else None)


@dataclass(frozen=True)
class Group:
    """Children of one anchor that raise the same finding with the same value."""

    anchor: Anchor
    pattern: str
    children: list[Repeat]
    reached: list[KubeObject]  # every Kustomization the patch reaches (or the owner renders)
    direct: bool  # every child is rendered by the owner itself


def group_threshold(ctx: RuleContext) -> int:
    """The ``group_at`` option: how many alike children make one finding (0 never groups)."""
    value = ctx.options.get("group_at", GROUP_AT)
    try:
        return int(value)
    except (TypeError, ValueError):
        return GROUP_AT


def fold_repeats(ctx: RuleContext, found: Iterable[Finding | Repeat],
                 grouped: Callable[[Group], Finding]) -> Iterator[Finding]:
    """Findings as they are, except that alike children of one anchor become one ``grouped`` finding.

    Children are counted once each (a file rendered into two clusters is one child). Per anchor
    the most common value is grouped when at least ``group_at`` children share it; the others,
    children silenced by an inline suppression, and objects with no editable parent keep their own
    finding.
    """
    threshold = group_threshold(ctx)
    clusters = {cluster.name: cluster for cluster in ctx.model.clusters}
    silenced = _silencer(ctx)
    groups: dict[tuple[str, int, Pos | None], tuple[Anchor, list[Repeat]]] = {}
    for item in found:
        if isinstance(item, Finding):
            yield item
            continue
        anchor = _anchor_of(ctx, clusters, item.obj) if threshold > 0 and not silenced(item.finding) else None
        if anchor is None:
            yield item.finding
            continue
        groups.setdefault(anchor.key, (anchor, []))[1].append(item)
    for anchor, members in groups.values():
        by_pattern: dict[str, dict[str, Repeat]] = {}
        for repeat in members:
            by_pattern.setdefault(repeat.pattern, {}).setdefault(repeat.obj.id, repeat)
        common = max(by_pattern, key=lambda pattern: len(by_pattern[pattern]))
        children = list(by_pattern[common].values())
        if len(children) >= threshold:
            direct = all(_rendered_by_owner(clusters, r.obj, anchor.owner) for r in children)
            yield grouped(Group(anchor, common, children, _reached(ctx, anchor), direct))
            members = [r for r in members if r.pattern != common]
        yield from (r.finding for r in members)


def _silencer(ctx: RuleContext) -> Callable[[Finding], bool]:
    """Whether an inline suppression silences a finding: such a child keeps its own finding."""
    parsed: dict[str, FileSuppressions | None] = {}

    def silenced(finding: Finding) -> bool:
        if finding.path not in parsed:
            loaded = ctx.model.files.get(finding.path)
            text = loaded.text if loaded is not None else ""
            parsed[finding.path] = parse_suppressions(finding.path, text) if "flux-review:" in text else None
        index = parsed[finding.path]
        return index is not None and index.silencer(finding.rule, finding.line) is not None

    return silenced


def _editable(ks: KubeObject) -> bool:
    return not ks.implicit and not bootstrap_generated(ks.path)


def _parent(cluster: Cluster, obj: KubeObject) -> KubeObject | None:
    node = cluster.renders.get(obj.rendered_by) if obj.rendered_by else None
    return node.kustomization if node is not None else None


def _anchor_of(ctx: RuleContext, clusters: dict[str, Cluster], obj: KubeObject) -> Anchor | None:
    """``_anchor``, found once per model: the rules that group ask it of the same children."""
    anchors = ctx.model.memo.setdefault("interval_anchors", {})
    if id(obj) not in anchors:
        anchors[id(obj)] = (obj, _anchor(clusters, obj))  # the object keeps its id taken while memoised
    return anchors[id(obj)][1]


def _anchor(clusters: dict[str, Cluster], obj: KubeObject) -> Anchor | None:
    """The place that gives a rendered Kustomization its defaults, when a user can edit it."""
    cluster = clusters.get(obj.cluster or "")
    parent = _parent(cluster, obj) if cluster is not None else None
    if cluster is None or parent is None:
        return None
    for patch, written in kustomization_patches(parent):
        if not _touches(obj.body, patch.origin):
            continue
        owner = _owner(cluster, parent, patch.origin) or parent
        if not _editable(owner) or bootstrap_generated(written.path):
            return None
        return Anchor(owner, patch, written)
    return Anchor(parent) if _editable(parent) else None


def kustomization_patches(ks: KubeObject) -> Iterator[tuple[Patch, Pos]]:
    """The documents of a Flux Kustomization's inline ``spec.patches``, each with where it is written."""
    items = ks.get("spec", "patches")
    if not isinstance(items, YSeq):
        return
    for item in items:
        if isinstance(item, YMap) and isinstance(item.get("patch"), str):
            written = item.value_pos["patch"]
            for patch in inline_patches(item["patch"], written, None):
                yield patch, written


def _touches(value: Any, where: Pos) -> bool:
    """True when some key or value of ``value`` was written inside ``where`` (a patch applied to it).

    Asked of every child Kustomization for every patch of its parent: one loop over a stack, no
    generator or call per value.
    """
    path, first, last = where.path, where.line, where.end_line
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, YMap):
            positions: Iterable[Pos] = value.key_pos.values()
            pending.extend(value.values())
        elif isinstance(value, YSeq):
            positions = value.item_pos
            pending.extend(value)
        else:
            continue
        for pos in positions:
            if pos.path == path and first <= pos.line <= last:
                return True
    return False


def _owner(cluster: Cluster, parent: KubeObject, written: Pos) -> KubeObject | None:
    """The Kustomization, from the parent up, whose own document holds a patch's text."""
    seen: set[str] = set()
    current: KubeObject | None = parent
    while current is not None and current.id not in seen:
        if in_own_document(current, written):
            return current
        seen.add(current.id)
        current = _parent(cluster, current)
    return None


def _rendered_by_owner(clusters: dict[str, Cluster], obj: KubeObject, owner: KubeObject) -> bool:
    cluster = clusters.get(obj.cluster or "")
    parent = _parent(cluster, obj) if cluster is not None else None
    return parent is not None and (parent.path, parent.line) == (owner.path, owner.line)


def _reached(ctx: RuleContext, anchor: Anchor) -> list[KubeObject]:
    """Every Kustomization a value set once at the anchor would reach, each id once (once per model)."""
    reached = ctx.model.memo.setdefault("interval_reached", {})
    if anchor.key not in reached:
        reached[anchor.key] = _reaching(ctx, anchor)
    return list(reached[anchor.key])


def _reaching(ctx: RuleContext, anchor: Anchor) -> list[KubeObject]:
    found: dict[str, KubeObject] = {}
    for cluster in ctx.model.clusters:
        for obj in cluster.objects:
            if obj.kind != "Kustomization" or not obj.is_flux or obj.implicit:
                continue
            if anchor.patch is not None:
                hit = _touches(obj.body, anchor.patch.origin)
            else:
                parent = _parent(cluster, obj)
                hit = parent is not None and (parent.path, parent.line) == (anchor.owner.path, anchor.owner.line)
            if hit:
                found.setdefault(obj.id, obj)
    return list(found.values())


def group_pos(group: Group) -> Pos:
    """Where a grouped finding goes: the owner's ``spec.patches`` line, else its ``metadata.name``."""
    owner = group.anchor.owner
    if owner.get("spec", "patches") is not None:
        pos = owner.key_pos("spec", "patches")
        if in_own_document(owner, pos):
            return pos
    if group.anchor.written is not None:
        return group.anchor.written
    return owner.key_pos("metadata", "name")


def group_subject(group: Group) -> str:
    """``N Kustomizations rendered by X (a, b, c and N-3 more)``; one child with ``group_at: 1``."""
    ids = sorted(r.obj.id for r in group.children)
    shown = ", ".join(ids[:3])
    more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
    how = "rendered by" if group.direct else "rendered under"
    return f"{counted(len(ids), 'Kustomization')} {how} {group.anchor.owner.id} ({shown}{more})"


def group_verb(group: Group, singular: str, plural: str) -> str:
    """The verb that agrees with ``group_subject``: a group of one (``group_at: 1``) takes the singular."""
    return singular if len(group.children) == 1 else plural


def group_advice(group: Group, field_name: str, value: str) -> str:
    """Where to set the field once, and what else that would change."""
    owner = group.anchor.owner
    if group.anchor.patch is not None and isinstance(group.anchor.patch.content, YSeq):
        advice = (f"Set it once: add `{{op: add, path: /spec/{field_name}, value: {value}}}` to the JSON 6902 "
                  f"patch {owner.id} gives child Kustomizations (`spec.patches`), instead of in each of them.")
    elif group.anchor.patch is not None:
        advice = (f"Set `{field_name}: {value}` once, under `spec:` in the patch {owner.id} gives child "
                  "Kustomizations (`spec.patches`), instead of in each of them.")
    else:
        advice = (f"Set it once: add to {owner.id}'s `spec.patches` a patch targeting `kind: Kustomization` "
                  f"with `spec.{field_name}: {value}`, instead of in each of them.")
    own = sorted(k.id for k in group.reached if k.get("spec", field_name) is not None)
    if len(own) == 1:
        advice += f" The patch would also replace the `{field_name}` that 1 of them sets itself ({own[0]})."
    elif own:
        advice += (f" The patch would also replace the `{field_name}` that {len(own)} of them set "
                   f"themselves ({own[0]} and others).")
    return advice


def group_key(field_name: str, group: Group) -> str:
    """The fingerprint key of a grouped finding: the field, for the owner's child Kustomizations."""
    return f"child Kustomizations {field_name}" + ("" if group.anchor.patch is not None else " (no patch)")


def patch_spec_fix(ctx: RuleContext, anchor: Anchor, new_key: str, new_value: str) -> Fix | None:
    """Add ``new_key: new_value`` under ``spec:`` of the anchor's patch, inside its block scalar."""
    patch, written = anchor.patch, anchor.written
    content = patch.content if patch is not None else None
    if written is None or not isinstance(content, YMap) or written.end_line <= written.line:
        return None
    header = line_at(ctx.model, written)
    if header is None or not _LITERAL_BLOCK.match(header.split("patch:", 1)[-1].strip()):
        return None
    spec = content.get("spec")
    if not isinstance(spec, YMap) or not spec or new_key in spec:
        return None
    spec_pos = content.key_pos["spec"]
    spec_line = line_at(ctx.model, spec_pos)
    first_key, first_pos = min(spec.key_pos.items(), key=lambda item: item[1].line)
    first_line = line_at(ctx.model, first_pos)
    if (spec_line is None or not is_spec_line(spec_line) or first_line is None
            or first_pos.line <= spec_pos.line or not first_line.lstrip().startswith(str(first_key))):
        return None
    indent = first_line[: len(first_line) - len(first_line.lstrip())]
    return insert_below_fix(spec_pos.path, spec_pos.line, spec_line, f"{indent}{new_key}: {new_value}\n")
