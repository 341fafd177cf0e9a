"""Rules of the `interval` group: how often Flux reconciles, retries and waits.

Every value is read after patches (a parent Kustomization's ``spec.patches``
often sets ``interval`` on its children) and reported on the line that wrote
it. Only Flux kinds are read: a ServiceMonitor's ``interval: 30s`` is not a
Flux interval. Values holding ``${...}`` are left alone (postBuild
substitution decides them), and the files ``flux bootstrap`` generates
(``gotk-*.yaml``) are never nagged about style. When many children of one
parent Kustomization repeat the same finding (no ``retryInterval``, no
``timeout``), one finding goes on the parent, where a patch sets it once.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from checks.config import DEFAULT_MINIMUM_INTERVALS, DEFAULT_RECOMMENDED_INTERVALS
from checks.durations import format_duration, is_flux_duration, parse_duration, parse_friendly
from checks.edits import (
    add_sibling_fix,
    add_spec_field_fix,
    delete_line_fix,
    in_own_document,
    insert_below_fix,
    is_spec_line,
    line_at,
    replace_value_fix,
)
from checks.findings import Finding, Fix, Severity, drop_repeats
from checks.kustomize import KUSTOMIZATION_FILES, Patch, inline_patches
from checks.model import KubeObject, bootstrap_generated
from checks.repo import Cluster
from checks.rules.base import Rule, RuleContext
from checks.source import normalize
from checks.suppressions import FileSuppressions, parse_suppressions
from checks.yaml_docs import Pos, YMap, YSeq

# Kinds whose CRD marks `spec.interval` as required (Flux v1/v2 APIs, and their betas).
REQUIRES_INTERVAL = frozenset((
    "GitRepository", "OCIRepository", "Bucket", "HelmChart", "Kustomization", "HelmRelease",
    "ImageRepository", "ImageUpdateAutomation",
))
# Kinds with a `spec.interval` field at all (required or not).
HAS_INTERVAL = REQUIRES_INTERVAL | {"HelmRepository", "Receiver", "Provider", "ImagePolicy"}
# Timeouts of these kinds follow a pattern without hours (source-controller, image-reflector).
TIMEOUT_WITHOUT_HOURS = frozenset(("GitRepository", "OCIRepository", "HelmRepository", "Bucket",
                                   "ImageRepository"))
TIMEOUT_WITH_HOURS = frozenset(("Kustomization", "HelmRelease"))
# Provider API versions where `interval` was still read (v1beta3 deprecated it as unused).
PROVIDER_INTERVAL_USED = frozenset(("notification.toolkit.fluxcd.io/v1beta1",
                                    "notification.toolkit.fluxcd.io/v1beta2"))
# Kinds whose reconcile failures are retried after `retryInterval` (else after `interval`).
RETRYING_KINDS = frozenset(("Kustomization",))


# -- helpers shared by the rules of this module ---------------------------------------------------

def flux_objects(ctx: RuleContext) -> Iterator[KubeObject]:
    """Flux objects of every cluster as rendered, then those no cluster renders."""
    for obj in ctx.model.all_objects():
        if obj.is_flux and not obj.implicit:
            yield obj


def patch_files(ctx: RuleContext) -> set[str]:
    """Files that kustomization.yaml files use as patches: partial documents, not objects."""
    found: set[str] = set()
    for path, loaded in ctx.model.files.items():
        folder, _, name = path.rpartition("/")
        if name not in KUSTOMIZATION_FILES:
            continue
        for doc in loaded.docs:
            root = doc.root
            if not isinstance(root, dict):
                continue
            entries: list[Any] = list(root.get("patchesStrategicMerge") or [])
            for key in ("patches", "patchesJson6902"):
                entries += [item.get("path") for item in root.get(key) or [] if isinstance(item, dict)]
            for entry in entries:
                if isinstance(entry, str) and "\n" not in entry:
                    found.add(normalize(posixpath.join(folder, entry)))
    return found


def _substituted(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _duration_field(obj: KubeObject, *path: str) -> tuple[Any, Pos] | None:
    """The value of a duration field and where it was written, when it is set and literal."""
    value = obj.get(*path)
    if value is None or _substituted(value):
        return None
    return value, obj.key_pos(*path)


def _seconds(obj: KubeObject, *path: str) -> float | None:
    value = obj.get(*path)
    if not isinstance(value, str) or _substituted(value) or not is_flux_duration(value):
        return None
    return parse_duration(value)


def _table(ctx: RuleContext, option: str, configured: dict[str, str], defaults: dict[str, str]) -> dict[str, str]:
    table = dict(defaults)
    table.update(configured)
    extra = ctx.options.get(option)
    if isinstance(extra, dict):
        table.update({str(k): str(v) for k, v in extra.items()})
    return table


def _option_seconds(ctx: RuleContext, name: str, default: str) -> float:
    value = ctx.options.get(name)
    seconds = parse_duration(str(value)) if value is not None else None
    return seconds if seconds is not None else (parse_duration(default) or 0.0)


# -- one finding for a decision many children repeat --------------------------------------------
#
# A parent Kustomization that renders dozens of app Kustomizations usually gives them their
# defaults through `spec.patches`. When they all lack the same field with the same interval, the
# fix is one line in that patch, and a user should read one finding there, not one per child.

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
        anchor = _anchor(clusters, item.obj) if threshold > 0 and not silenced(item.finding) else None
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
    """True when some key or value of ``value`` was written inside ``where`` (a patch applied to it)."""

    def inside(pos: Pos) -> bool:
        return pos.path == where.path and where.line <= pos.line <= where.end_line

    if isinstance(value, YMap):
        return any(inside(pos) for pos in value.key_pos.values()) or any(
            _touches(item, where) for item in value.values())
    if isinstance(value, YSeq):
        return any(inside(pos) for pos in value.item_pos) or any(_touches(item, where) for item in value)
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
    """Every Kustomization a value set once at the anchor would reach, each id once."""
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
    """``N Kustomizations rendered by X (a, b, c and N-3 more)``."""
    ids = sorted(r.obj.id for r in group.children)
    shown = ", ".join(ids[:3])
    more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
    how = "rendered by" if group.direct else "rendered under"
    return f"{len(ids)} Kustomizations {how} {group.anchor.owner.id} ({shown}{more})"


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
    if own:
        advice += (f" The patch would also replace the `{field_name}` that {len(own)} of them set "
                   f"themselves ({own[0]}{' and others' if len(own) > 1 else ''}).")
    return advice


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


# -- interval/invalid -------------------------------------------------------------------------------

def _duration_fields(obj: KubeObject) -> list[tuple[tuple[str, ...], bool]]:
    """The duration fields of an object's kind, each with whether the CRD accepts hours."""
    fields: list[tuple[tuple[str, ...], bool]] = []
    if obj.kind in HAS_INTERVAL:
        fields.append((("spec", "interval"), True))
    if obj.kind == "Kustomization":
        fields.append((("spec", "retryInterval"), True))
    if obj.kind == "HelmRelease":
        fields.append((("spec", "chart", "spec", "interval"), True))
    if obj.kind in TIMEOUT_WITH_HOURS:
        fields.append((("spec", "timeout"), True))
    elif obj.kind in TIMEOUT_WITHOUT_HOURS:
        fields.append((("spec", "timeout"), False))
    return fields


def check_invalid(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_objects(ctx):
            for path, hours in _duration_fields(obj):
                found = _duration_field(obj, *path)
                if found is None:
                    continue
                value, pos = found
                if isinstance(value, str) and is_flux_duration(value, hours):
                    continue
                field = ".".join(path[1:])
                yield _invalid_finding(ctx, obj, path, field, value, pos, hours)

    return drop_repeats(findings())


def _invalid_finding(ctx: RuleContext, obj: KubeObject, path: tuple[str, ...], field: str, value: Any,
                     pos: Pos, hours: bool) -> Finding:
    written = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
    units = "units ms, s, m, h" if hours else "units ms, s, m; no hours for this timeout"
    seconds = None
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is None:
            seconds = parse_friendly(value)
    replacement = None
    if seconds is not None and seconds > 0:
        replacement = format_duration(seconds)
        if not hours and "h" in replacement:
            replacement = _without_hours(seconds)
    if isinstance(value, str):
        what = f"`{field}: {written}` is not a duration Flux accepts ({units})"
    else:
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "not text"
        what = f"`{field}: {written}` is {kind}, not a duration with a unit"
    advice = f" Use `{replacement}`." if replacement else " Write it with a unit, for example `10m`."
    fix = replace_value_fix(ctx.model, pos, path[-1], replacement) if replacement else None
    return Finding(
        "interval/invalid", Severity.ERROR, pos.path, pos.line,
        f"{obj.id}: {what}; the API server rejects the object.{advice}",
        object=obj.id, key=field, fix=fix,
    )


def _without_hours(seconds: float) -> str:
    minutes, rest = divmod(round(seconds * 1000), 60_000)
    return f"{minutes}m" + (format_duration(rest / 1000) if rest else "")


INVALID = Rule(
    id="interval/invalid",
    severity=Severity.ERROR,
    summary="An interval, retryInterval or timeout that is not a Go duration Flux accepts",
    doc="""
        Flux durations are Go durations restricted by the CRDs to
        `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`: there is no day or week unit, no
        space, and the value must be a string. Source and image-scan timeouts
        accept no hours at all. The API server rejects the whole object, so the
        Kustomization that applies it fails. Checked on `spec.interval`,
        `spec.retryInterval`, `spec.timeout` and a HelmRelease's
        `spec.chart.spec.interval`; `${VAR}` values are left to substitution.

        Fix: the same duration in hours (`1d` becomes `24h`).

        Failing:
            kind: Kustomization
            spec:
              interval: 1d

        Passing:
            kind: Kustomization
            spec:
              interval: 24h
    """,
    check=check_invalid,
    fixable=True,
)


# -- interval/missing -------------------------------------------------------------------------------

def _requires_interval(obj: KubeObject) -> bool:
    if obj.kind in REQUIRES_INTERVAL:
        return True
    # image.toolkit v1: an ImagePolicy that reflects digests must say how often (CEL validation).
    return (obj.kind == "ImagePolicy" and obj.api_version == "image.toolkit.fluxcd.io/v1"
            and obj.get("spec", "digestReflectionPolicy") == "Always")


def check_missing(ctx: RuleContext) -> Iterator[Finding]:
    recommended = _table(ctx, "recommended", ctx.config.recommended_intervals, DEFAULT_RECOMMENDED_INTERVALS)

    patches = patch_files(ctx)

    def findings() -> Iterator[Finding]:
        for obj in flux_objects(ctx):
            if not _requires_interval(obj) or obj.get("spec", "interval") is not None:
                continue
            if obj.rendered_by is None and obj.path in patches:
                continue
            if not isinstance(obj.get("spec"), dict):
                continue
            default = recommended.get(obj.kind, "10m")
            pos = obj.key_pos("spec")
            fix = add_spec_field_fix(ctx.model, obj, "interval", default)
            yield Finding(
                "interval/missing", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has no `spec.interval`, which its CRD requires; the API server rejects "
                f"the object. Add `interval: {default}`.",
                object=obj.id, key="spec.interval", fix=fix,
            )

    return drop_repeats(findings())


MISSING = Rule(
    id="interval/missing",
    severity=Severity.ERROR,
    summary="A Flux object whose kind requires spec.interval has none after patches",
    doc="""
        GitRepository, OCIRepository, Bucket, HelmChart, Kustomization,
        HelmRelease, ImageRepository and ImageUpdateAutomation require
        `spec.interval`; so does an ImagePolicy with
        `digestReflectionPolicy: Always`. Without it the API server rejects the
        object. Intervals set by a parent Kustomization's `spec.patches` count.
        HelmRepository (optional since the OCI type), Alert, Provider, Receiver
        and other ImagePolicies need none.

        Fix: the kind's recommended interval (configurable under
        `intervals.recommended`).

        Failing:
            kind: GitRepository
            spec:
              url: https://github.com/org/repo
              ref: {branch: main}

        Passing:
            kind: GitRepository
            spec:
              interval: 10m
              url: https://github.com/org/repo
              ref: {branch: main}
    """,
    check=check_missing,
    fixable=True,
)


# -- interval/too-short ---------------------------------------------------------------------------

def check_too_short(ctx: RuleContext) -> Iterator[Finding]:
    minimum = _table(ctx, "minimum", ctx.config.minimum_intervals, DEFAULT_MINIMUM_INTERVALS)
    recommended = _table(ctx, "recommended", ctx.config.recommended_intervals, DEFAULT_RECOMMENDED_INTERVALS)

    def findings() -> Iterator[Finding]:
        for obj in flux_objects(ctx):
            fields = [(("spec", "interval"), obj.kind)]
            if obj.kind == "HelmRelease":
                fields.append((("spec", "chart", "spec", "interval"), "HelmChart"))
            for path, kind in fields:
                if kind not in minimum:
                    continue
                seconds = _seconds(obj, *path)
                floor = parse_duration(minimum[kind])
                if seconds is None or floor is None or seconds >= floor:
                    continue
                pos = obj.key_pos(*path)
                if bootstrap_generated(obj.path) or bootstrap_generated(pos.path):
                    continue
                yield _too_short(ctx, obj, path, kind, minimum[kind], recommended.get(kind), pos)

    return drop_repeats(findings())


def _too_short(ctx: RuleContext, obj: KubeObject, path: tuple[str, ...], kind: str, floor: str,
               advised: str | None, pos: Pos) -> Finding:
    value = obj.get(*path)
    field = ".".join(path[1:])
    subject = "reconciles" if len(path) == 2 else "checks its chart"
    advice = f", recommended {advised}" if advised else ""
    what = "" if kind == obj.kind else f" (`{field}`, the interval of its {kind})"
    fix = replace_value_fix(ctx.model, pos, path[-1], advised) if advised else None
    return Finding(
        "interval/too-short", Severity.WARNING, pos.path, pos.line,
        f"{obj.id} {subject} every {value}{what}; minimum {floor}{advice}. Short intervals spend API "
        "calls and risk rate limits for little gain: changes are picked up by webhooks or "
        "`flux reconcile` anyway.",
        object=obj.id, key=field, fix=fix,
    )


TOO_SHORT = Rule(
    id="interval/too-short",
    severity=Severity.WARNING,
    summary="An interval below the configured minimum for its kind",
    doc="""
        Each reconciliation costs API calls to the cluster and to the source
        (Git host, registry, chart repository); very short intervals lead to
        throttling and rate limits, and Flux's own docs ask for at least 60 s on
        Kustomizations. The minimum defaults to 1m for every kind; set
        `intervals.minimum` (or the rule's `options.minimum`) per kind.
        Files written by `flux bootstrap` (gotk-*.yaml) are not checked.

        Fix: the kind's recommended interval (GitRepository and OCIRepository
        10m, HelmRepository 30m, Kustomization 10m, HelmRelease 15m; configurable
        under `intervals.recommended`).

        Failing:
            kind: OCIRepository
            spec:
              interval: 30s

        Passing:
            kind: OCIRepository
            spec:
              interval: 10m
    """,
    check=check_too_short,
    fixable=True,
)


# -- interval/timeout-exceeds-interval --------------------------------------------------------------

def check_timeout_exceeds_interval(ctx: RuleContext) -> Iterator[Finding]:
    suggested = str(ctx.options.get("timeout", "5m"))
    suggested_seconds = parse_duration(suggested) or 300.0
    ceiling = _option_seconds(ctx, "max_default_timeout", "10m")

    def findings() -> Iterator[Finding | Repeat]:
        for obj in flux_objects(ctx):
            if obj.kind not in TIMEOUT_WITH_HOURS or bootstrap_generated(obj.path):
                continue
            interval = _seconds(obj, "spec", "interval")
            if interval is None:
                continue
            if obj.get("spec", "timeout") is not None:
                timeout = _seconds(obj, "spec", "timeout")
                if timeout is None or timeout <= interval:
                    continue
                pos = obj.key_pos("spec", "timeout")
                if bootstrap_generated(pos.path):
                    continue
                fix = (replace_value_fix(ctx.model, pos, "timeout", suggested)
                       if suggested_seconds <= interval else None)
                advice = (f"Lower it to `{suggested}`" if suggested_seconds <= interval
                          else "Lower it below the interval")
                yield Finding(
                    "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
                    f"{obj.id} has `timeout: {obj.get('spec', 'timeout')}`, longer than its "
                    f"`interval: {obj.get('spec', 'interval')}`: one stuck attempt blocks new revisions for "
                    f"longer than a whole interval. {advice}.",
                    object=obj.id, key="spec.timeout", fix=fix,
                )
            elif obj.kind == "Kustomization":
                yield from _implicit_timeout(ctx, obj, interval, ceiling, suggested)

    def grouped(group: Group) -> Finding:
        interval = parse_duration(group.pattern) or 0.0
        pos = group_pos(group)
        return Finding(
            "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
            f"{group_subject(group)} set `wait: true` or `healthChecks` with no `timeout` and reconcile "
            f"every {group.pattern}, so each waits up to {format_duration(max(interval - 30, 30))} (interval "
            f"minus 30s) before a failure is reported and its dependents are released. "
            f"{group_advice(group, 'timeout', suggested)}",
            object=group.anchor.owner.id, key=_group_key("spec.timeout", group),
        )

    return drop_repeats(fold_repeats(ctx, findings(), grouped))


def _group_key(field_name: str, group: Group) -> str:
    """The fingerprint key of a grouped finding: the field, for the owner's child Kustomizations."""
    return f"child Kustomizations {field_name}" + ("" if group.anchor.patch is not None else " (no patch)")


def _implicit_timeout(ctx: RuleContext, obj: KubeObject, interval: float, ceiling: float,
                      suggested: str) -> Iterator[Repeat]:
    waits = obj.get("spec", "wait") is True
    checks = obj.get("spec", "healthChecks")
    if not waits and not (isinstance(checks, list) and checks):
        return
    implied = max(interval - 30, 30)
    if implied <= ceiling:
        return
    key = "wait" if waits else "healthChecks"
    pos = obj.key_pos("spec", key)
    if bootstrap_generated(pos.path):
        return
    anchor_key = "wait" if waits else "interval"
    anchor = pos if waits else obj.key_pos("spec", "interval")
    fix = add_sibling_fix(ctx.model, anchor, anchor_key, "timeout", suggested) if in_own_document(obj, anchor) else None
    finding = Finding(
        "interval/timeout-exceeds-interval", Severity.WARNING, pos.path, pos.line,
        f"{obj.id} sets `{key}` with no `timeout`, so health checks wait up to "
        f"{format_duration(implied)} (interval {obj.get('spec', 'interval')} minus 30s) before a "
        f"failure is reported and its dependents are released. Add `timeout: {suggested}`.",
        object=obj.id, key="spec.timeout", fix=fix,
    )
    yield Repeat(obj, finding, str(obj.get("spec", "interval")))


TIMEOUT_EXCEEDS_INTERVAL = Rule(
    id="interval/timeout-exceeds-interval",
    severity=Severity.WARNING,
    summary="A timeout longer than the interval, or health checks waiting interval minus 30s",
    doc="""
        A Kustomization or HelmRelease whose `timeout` is longer than its
        `interval` can spend more than a whole period on one stuck attempt.
        A Kustomization with `wait: true` or `healthChecks` and no `timeout`
        waits up to its interval minus 30 s: with `interval: 1h` a failed
        rollout is reported, and its dependents released, an hour late. The
        implicit case is reported when that wait exceeds
        `options.max_default_timeout` (10m by default).

        When `options.group_at` (5) or more Kustomizations rendered by one
        parent Kustomization wait with no `timeout` at the same interval, one
        finding goes on the parent's `spec.patches` (or its name), naming the
        count and a few of them: set `timeout` once in the patch the parent
        gives its child Kustomizations. Children at another interval keep their
        own finding; `group_at: 0` never groups.

        Fix: `timeout: 5m` (`options.timeout`) on the child; none for the group.

        Failing:
            kind: Kustomization
            spec:
              interval: 1h
              wait: true

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              wait: true
              timeout: 5m
    """,
    check=check_timeout_exceeds_interval,
    fixable=True,
)


# -- interval/retry-exceeds-interval ---------------------------------------------------------------

def check_retry_exceeds_interval(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_objects(ctx):
            if obj.kind not in RETRYING_KINDS or bootstrap_generated(obj.path):
                continue
            interval = _seconds(obj, "spec", "interval")
            retry = _seconds(obj, "spec", "retryInterval")
            if interval is None or retry is None or retry <= interval:
                continue
            pos = obj.key_pos("spec", "retryInterval")
            yield Finding(
                "interval/retry-exceeds-interval", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} retries failures every {obj.get('spec', 'retryInterval')}, less often than it "
                f"reconciles (`interval: {obj.get('spec', 'interval')}`): a failed attempt waits longer "
                "than a healthy one. Make `retryInterval` shorter than `interval`.",
                object=obj.id, key="spec.retryInterval",
            )

    return drop_repeats(findings())


RETRY_EXCEEDS_INTERVAL = Rule(
    id="interval/retry-exceeds-interval",
    severity=Severity.WARNING,
    summary="A Kustomization's retryInterval is longer than its interval",
    doc="""
        `retryInterval` is how soon kustomize-controller tries again after a
        failure; it exists to be shorter than `interval`. A longer one makes a
        failed Kustomization wait longer than a healthy one, which is almost
        always a swapped pair of values.

        Failing:
            kind: Kustomization
            spec:
              interval: 5m
              retryInterval: 1h

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              retryInterval: 5m
    """,
    check=check_retry_exceeds_interval,
)


# -- interval/no-retry -----------------------------------------------------------------------------

def check_no_retry(ctx: RuleContext) -> Iterator[Finding]:
    threshold = _option_seconds(ctx, "threshold", "30m")
    retry = str(ctx.options.get("retry_interval", "2m"))
    retry_seconds = parse_duration(retry)

    def findings() -> Iterator[Repeat]:
        for obj in flux_objects(ctx):
            if obj.kind not in RETRYING_KINDS or bootstrap_generated(obj.path):
                continue
            interval = _seconds(obj, "spec", "interval")
            if interval is None or interval < threshold or obj.get("spec", "retryInterval") is not None:
                continue
            pos = obj.key_pos("spec", "interval")
            if bootstrap_generated(pos.path):
                continue
            fix = (add_sibling_fix(ctx.model, pos, "interval", "retryInterval", retry)
                   if in_own_document(obj, pos) else None)
            yield Repeat(obj, Finding(
                "interval/no-retry", Severity.INFO, pos.path, pos.line,
                f"{obj.id} reconciles every {obj.get('spec', 'interval')} and has no `retryInterval`, "
                f"so a failed apply is retried only after another {obj.get('spec', 'interval')}. "
                f"Add `retryInterval: {retry}`.",
                object=obj.id, key="spec.retryInterval", fix=fix,
            ), str(obj.get("spec", "interval")))

    def grouped(group: Group) -> Finding:
        pos = group_pos(group)
        # The patch replaces whatever the reached Kustomizations say: only fix when none sets its own
        # retryInterval and none reconciles more often than the retry (retry-exceeds-interval).
        safe = retry_seconds is not None and all(
            k.get("spec", "retryInterval") is None and (_seconds(k, "spec", "interval") or 0.0) >= retry_seconds
            for k in group.reached)
        return Finding(
            "interval/no-retry", Severity.INFO, pos.path, pos.line,
            f"{group_subject(group)} reconcile every {group.pattern} with no `retryInterval`, so a failed "
            f"apply is retried only after another {group.pattern}. {group_advice(group, 'retryInterval', retry)}",
            object=group.anchor.owner.id, key=_group_key("spec.retryInterval", group),
            fix=patch_spec_fix(ctx, group.anchor, "retryInterval", retry) if safe else None,
        )

    return drop_repeats(fold_repeats(ctx, findings(), grouped))


NO_RETRY = Rule(
    id="interval/no-retry",
    severity=Severity.INFO,
    summary="A long-interval Kustomization without retryInterval retries failures once per interval",
    doc="""
        When a Kustomization fails (a transient API error, a webhook not ready
        yet, a dependency that became ready a minute later), kustomize-controller
        tries again after `retryInterval`, which defaults to `interval`. With an
        interval of 30m or more (`options.threshold`) that leaves the cluster
        broken for a long time.

        When `options.group_at` (5) or more Kustomizations rendered by one
        parent Kustomization lack it at the same interval, one finding goes on
        the parent's `spec.patches` (or its name), naming the count and a few
        of them: set `retryInterval` once in the patch the parent gives its
        child Kustomizations (nested patches included: the finding goes to the
        Kustomization whose file holds the patch). Children at another interval
        keep their own finding; `group_at: 0` never groups.

        Fix: `retryInterval: 2m` (`options.retry_interval`) beside the child's
        interval; for a group, the same line under `spec:` of the parent's
        existing patch for Kustomizations, offered only when no Kustomization
        that patch reaches sets its own `retryInterval` or reconciles more often.

        Failing:
            kind: Kustomization
            spec:
              interval: 1h

        Passing:
            kind: Kustomization
            spec:
              interval: 1h
              retryInterval: 2m
    """,
    check=check_no_retry,
    fixable=True,
)


# -- interval/ineffective --------------------------------------------------------------------------

def check_ineffective(ctx: RuleContext) -> Iterator[Finding]:
    def findings() -> Iterator[Finding]:
        for obj in flux_objects(ctx):
            if obj.get("spec", "interval") is None or bootstrap_generated(obj.path):
                continue
            if obj.kind == "HelmRepository" and obj.get("spec", "type") == "oci":
                why = ("an OCI HelmRepository is only a holder of URL and credentials: nothing polls it, "
                       "the HelmRelease's chart (or HelmChart) interval decides when a new version is pulled")
            elif obj.kind == "Provider" and obj.api_version not in PROVIDER_INTERVAL_USED:
                why = f"{obj.api_version} Providers are not reconciled periodically (the field is deprecated)"
            else:
                continue
            pos = obj.key_pos("spec", "interval")
            if bootstrap_generated(pos.path):
                continue
            fix = delete_line_fix(ctx.model, pos, "interval") if in_own_document(obj, pos) else None
            yield Finding(
                "interval/ineffective", Severity.INFO, pos.path, pos.line,
                f"{obj.id} sets `interval: {obj.get('spec', 'interval')}`, which Flux does not use: {why}. "
                "Delete the line.",
                object=obj.id, key="spec.interval", fix=fix,
            )

    return drop_repeats(findings())


INEFFECTIVE = Rule(
    id="interval/ineffective",
    severity=Severity.INFO,
    summary="An interval Flux ignores (OCI HelmRepository, Provider)",
    doc="""
        A HelmRepository of `type: oci` produces no artifact and is not polled;
        how often a chart version is checked is the HelmRelease's (or
        HelmChart's) interval. A notification Provider (v1beta3) is not
        reconciled periodically either. The line only misleads readers.

        Fix: delete the line.

        Failing:
            kind: HelmRepository
            spec:
              type: oci
              interval: 5m
              url: oci://ghcr.io/org/charts

        Passing:
            kind: HelmRepository
            spec:
              type: oci
              url: oci://ghcr.io/org/charts
    """,
    check=check_ineffective,
    fixable=True,
)


RULES: list[Rule] = [INVALID, MISSING, TOO_SHORT, TIMEOUT_EXCEEDS_INTERVAL, RETRY_EXCEEDS_INTERVAL, NO_RETRY,
                     INEFFECTIVE]
