"""The Markdown summary of a review: what the bot posts and `flux-review review --format markdown` prints.

One title line with the counts, a table of the problems the change adds,
the deployment order of the Kustomizations it touches (a Mermaid
flowchart, with a text fallback for readers that do not draw Mermaid),
a collapsed list of the problems already present in the files it touches,
and how to re-run. GitHub cuts a Check Run summary at 65,535 characters, so
the sections share that budget: the title, the findings table and the
footer come first; the table is cut with a note rather than the text
being truncated mid-row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from checks import graph as graphs
from checks.cluster_name import counterpart
from checks.diff import ChangedFile
from checks.findings import Finding, Severity, counted
from checks.repo import Cluster
from checks.review import Review

MAX_CHARS = 65_535
MAX_DIAGRAM_NODES = 60
MAX_CLUSTERS = 5
ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}  # noqa: RUF001
_WORDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_HEADER = "| | Rule | Object | Where | Problem |\n|---|---|---|---|---|\n"
RECHECK = "Re-run: the button above, or comment `/flux-review recheck`."


def render_review(review: Review, limit: int = MAX_CHARS) -> str:
    """The summary of a review, at most ``limit`` characters."""
    title = f"### {title_text(review)}\n"
    footer = _footer(review)
    budget = limit - len(title) - len(footer) - 1  # parts are joined by one newline each
    reserve = 400 if review.pre_existing else 0  # the pre-existing section's summary line, at least
    findings = _table(review.findings, review.changes, budget - reserve) if review.findings else ""
    budget -= len(findings) + 1
    sections = []
    silenced = _added_suppressions(review, budget - reserve)
    if silenced:
        sections.append(silenced)
        budget -= len(silenced) + 1
    for section in _deployment_sections(review):
        if len(section) + 1 <= budget - reserve:
            sections.append(section)
            budget -= len(section) + 1
    if review.pre_existing:
        sections.append(_pre_existing(review, budget - 1))
    text = "\n".join(part for part in (title, findings, *sections, footer) if part)
    # A file name that is not UTF-8 shows its stray bytes as U+FFFD: GitHub takes only UTF-8 text.
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if len(text) > limit:  # only with an absurdly small limit: never post more than GitHub takes
        text = text[:limit - 1] + "…"
    return text


def title_text(review: Review) -> str:
    """``1 error, 1 warning added`` or ``No new problems``."""
    counts = {s: sum(1 for f in review.findings if f.severity == s) for s in Severity}
    parts = [counted(counts[s], _WORDS[s]) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    return f"{', '.join(parts)} added" if parts else "No new problems"


def _footer(review: Review) -> str:
    lines = []
    if review.resolved:
        lines.append(f"This change resolves {counted(len(review.resolved), 'problem')} the base had.\n")
    if review.findings or review.pre_existing:
        lines.append("`flux-review explain RULE` tells why a rule matters; `# flux-review: ignore[RULE]` on the "
                     "line, or the line above, silences it there.\n")
    lines.append(RECHECK + "\n")
    return "\n".join(lines)


# -- tables -----------------------------------------------------------------------------------------------
def _table(findings: Sequence[Finding], changes: Mapping[str, ChangedFile], budget: int) -> str:
    """A findings table within ``budget`` characters; rows that do not fit are counted in a note."""
    ordered = sorted(findings, key=lambda f: (-f.severity, f.path, f.line, f.rule))
    rows = [_row(f, changes) for f in ordered]
    text = _HEADER
    shown = 0
    for row in rows:
        note_room = 200
        if len(text) + len(row) + note_room > budget:
            break
        text += row
        shown += 1
    if shown < len(rows):
        text += (f"\n{len(rows) - shown} more not shown: GitHub limits this summary to {MAX_CHARS:,} characters "
                 "(the annotations and `flux-review review` list them all).\n")
    return text


def _row(finding: Finding, changes: Mapping[str, ChangedFile]) -> str:
    where = f"`{finding.path}:{finding.line}`"
    if changes and finding.path not in changes:
        where += " (not changed here)"
    return (f"| {ICONS[finding.severity]} | `{finding.rule}` | {_object(finding.object)} | {_cell(where)} "
            f"| {_cell(finding.message)} |\n")


def _object(object_id: str | None) -> str:
    if not object_id:
        return "—"
    kind, _, rest = object_id.partition("/")
    return _cell(f"{kind} `{rest}`" if rest else f"`{kind}`")


def _cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped, no HTML outside code spans."""
    pieces = text.replace("\r", " ").replace("\n", " ").split("`")
    for index in range(0, len(pieces), 2):  # even pieces are outside code spans
        pieces[index] = pieces[index].replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")
    if len(pieces) % 2 == 0:  # an unpaired backtick: keep it literal
        pieces[-2] += "\\`" + pieces.pop()
    return "`".join(pieces).replace("|", "\\|")


def _added_suppressions(review: Review, budget: int, limit: int = 50) -> str:
    """What the suppressions this change writes silence: a reviewer should see what a change chose not to fix."""
    added = review.added_suppressions
    if not added:
        return ""
    forbidden = sum(not a.honoured for a in added)
    text = (f"**This change adds {counted(len(added), 'suppression')}**"
            + (f" ({forbidden} not honoured: `suppressions.forbid` on the default branch)" if forbidden else "")
            + ":\n\n| Where | Comment | Silences |\n|---|---|---|\n")
    for index, item in enumerate(added):
        state = "" if item.honoured else " **(forbidden: still reported)**"
        row = (f"| {_cell(f'`{item.path}:{item.line}`')} | {_cell(f'`{item.comment}`')} | "
               f"{_cell(f'`{item.finding.rule}` {item.finding.message}')}{state} |\n")
        if index >= limit or len(text) + len(row) + 100 > budget:
            text += f"\n{len(added) - index} more suppressions are not listed.\n"
            break
        text += row
    return text if len(text) <= budget else ""


def _pre_existing(review: Review, budget: int) -> str:
    count = len(review.pre_existing)
    summary = (f"<details><summary>{counted(count, 'problem')} already present in files this change "
               "touches</summary>\n\n")
    closing = "\n</details>\n"
    room = budget - len(summary) - len(closing)
    if room < len(_HEADER) + 200:
        return summary + "Not listed: this summary is at GitHub's size limit.\n" + closing
    return summary + _table(review.pre_existing, review.changes, room) + closing


# -- deployment order -------------------------------------------------------------------------------------
def _deployment_sections(review: Review) -> list[str]:
    if review.head is None:
        return []
    clusters = review.head.model.clusters
    base_clusters = review.base.model.clusters if review.base else None
    sections = []
    touched_clusters = 0
    for cluster in clusters:
        base = counterpart(cluster.name, clusters, base_clusters) if base_clusters is not None else None
        touched = touched_kustomizations(cluster, review.changes, base)
        graph = graphs.cluster_graph(cluster)
        touched &= set(graph.depends.nodes)
        if not touched:
            continue
        touched_clusters += 1
        if touched_clusters > MAX_CLUSTERS:
            continue
        sections.append(_deployment_section(cluster, graph, touched))
    if touched_clusters > MAX_CLUSTERS:
        more = counted(touched_clusters - MAX_CLUSTERS, "more cluster")
        sections.append(f"The change touches Kustomizations of {more}; `flux-review graph` draws every cluster.\n")
    return sections


def touched_kustomizations(cluster: Cluster, changes: Mapping[str, ChangedFile],
                           base: Cluster | None) -> set[str]:
    """Ids of the Kustomizations of a cluster a change touches.

    A Kustomization is touched when the change edits its definition (the
    lines of that object, when the file holds several), or edits or removes
    a file it renders. Kustomizations the change deletes from ``base`` (the
    same cluster before the change) are included: the graph shows them as
    missing, with the dependents left waiting on them.
    """
    touched: set[str] = set()
    renderers: dict[str, set[str]] = {}
    for node_id, node in cluster.renders.items():
        for path in node.build.files if node.build else ():
            renderers.setdefault(path, set()).add(node_id)
    for path, change in changes.items():
        if change.status == "removed":
            continue
        defined = [o for o in cluster.objects if o.path == path and o.kind == "Kustomization" and o.is_flux
                   and not o.implicit]
        edited = [o for o in defined if _edits(o.body.pos.line, o.body.pos.end_line, change)]
        touched |= {o.id for o in edited or defined}
        others = any(o.path == path and not (o.kind == "Kustomization" and o.is_flux) for o in cluster.objects)
        if others or not defined:
            touched |= renderers.get(path, set())
    if base is not None:
        gone = {c.previous_path or c.path for c in changes.values() if c.status in ("removed", "renamed")}
        gone |= {p for p, c in changes.items() if c.status != "added"}
        head_ids = {o.id for o in cluster.objects}
        for obj in base.objects:
            if obj.kind == "Kustomization" and obj.is_flux and obj.path in gone and obj.id not in head_ids:
                touched.add(obj.id)
    return touched


def _edits(first: int, last: int, change: ChangedFile) -> bool:
    if change.whole_file_changed:
        return True
    lines = change.added_lines or change.hunk_lines
    return any(first <= line <= last for line in lines)


def _deployment_section(cluster: Cluster, graph: graphs.ClusterGraph, touched: set[str]) -> str:
    shown = _neighbourhood(graph, touched)
    waves = [[n for n in wave if n in shown] for wave in graph.deployment_order()]
    waves = [wave for wave in waves if wave]
    stuck = [n for n in graph.blocked() if n in shown]
    missing = [n for n in graph.missing() if n in shown]
    lines = [f"<details><summary>Deployment order after this change ({cluster.name})</summary>", ""]
    if len(shown) <= MAX_DIAGRAM_NODES:
        lines += ["```mermaid", _chart(graph, touched, {n for wave in waves for n in wave} | set(stuck), missing),
                  "```", ""]
    lines += _text_order(graph, waves, stuck, missing, touched)
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _chart(graph: graphs.ClusterGraph, touched: set[str], drawn: set[str], missing: list[str]) -> str:
    """``render_mermaid`` of the touched Kustomizations, plus the missing ones they wait for, marked."""
    lines = [graphs.render_mermaid(graph, only=touched)]
    for node in missing:  # render_mermaid draws only what exists; a deleted dependency is the point here
        lines.append(f'  {graphs._mermaid_id(node)}["{graphs.short_name(node)} (missing)"]')
        for dependent in sorted(graph.depends.successors(node)):
            if dependent in drawn:
                lines.append(f"  {graphs._mermaid_id(node)} -.-> {graphs._mermaid_id(dependent)}")
    if missing:
        lines.append("  classDef missing stroke:#d73a49,stroke-dasharray:4 4,color:#d73a49")
        lines.append("  class " + ",".join(graphs._mermaid_id(n) for n in missing) + " missing")
    changed = [graphs._mermaid_id(n) for n in sorted(touched) if n in drawn]
    if changed:
        lines.append("  classDef changed stroke-width:3px,stroke:#0969da")
        lines.append("  class " + ",".join(changed) + " changed")
    return "\n".join(lines)


def _neighbourhood(graph: graphs.ClusterGraph, touched: set[str]) -> set[str]:
    """The touched Kustomizations and their direct dependencies and dependents (what the chart shows)."""
    shown = set(touched)
    for node in touched:
        if node in graph.depends:
            shown |= set(graph.depends.predecessors(node)) | set(graph.depends.successors(node))
    return shown


def _text_order(graph: graphs.ClusterGraph, waves: Iterable[list[str]], stuck: list[str], missing: list[str],
                touched: set[str]) -> list[str]:
    lines = ["In order (changed ones in bold):", ""]
    for number, wave in enumerate(waves, 1):
        for node in wave:
            lines.append(f"{number}. {_node(graph, node, touched)}")
    for node in missing:
        lines.append(f"- missing: {_node(graph, node, touched)}, named in dependsOn but defined nowhere")
    for node in stuck:
        lines.append(f"- never applied (waits for a dependsOn cycle or a missing Kustomization): "
                     f"{_node(graph, node, touched)}")
    return lines


def _node(graph: graphs.ClusterGraph, node: str, touched: set[str]) -> str:
    name = f"`{graphs.short_name(node)}`"
    if node in touched:
        name = f"**{name}**"
    data = graph.depends.nodes[node] if node in graph.depends else {}
    after = sorted(graphs.short_name(p) for p in graph.depends.predecessors(node)) if node in graph.depends else []
    notes = []
    if after and not data.get("missing"):
        notes.append("after " + ", ".join(f"`{a}`" for a in after))
    return name + (f" ({'; '.join(notes)})" if notes else "")
