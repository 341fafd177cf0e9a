"""Which CustomResourceDefinitions a HelmRelease installs, from a table of well-known charts.

Most fleets install their operators' CRDs through HelmReleases, not as files
in the repository, so a rule that only reads CRD files misses them. The
table ``data/chart_crds.json`` names well-known charts, the API groups their
CRDs define, and how the chart decides to install them; each entry records
the chart files that establish it.

What a release installs is read the way helm-controller installs it, and
anything this static reading cannot settle is "unknown", never guessed:

- the chart is ``spec.chart.spec.chart`` (a bare name), or the chart of the
  OCIRepository or HelmChart ``spec.chartRef`` names (the last segment of
  its URL, or its ``spec.chart``);
- a chart's switch values are read from ``spec.values``, which
  helm-controller merges last, over every ``valuesFrom`` entry; a switch not
  written there is unknown when ``valuesFrom`` or alternative values files
  could set it, else the chart's default;
- CRDs in Helm's ``crds/`` folder are left out by ``install.crds: Skip``
  (or the deprecated ``install.skipCRDs``); CRDs rendered as templates are
  not;
- a release with ``spec.kubeConfig`` installs into another cluster, and a
  suspended one installs nothing until it is resumed.

Many fleets install CRDs before Flux runs, precisely so that nothing has to
wait for them: a helmfile bootstrap (``helmfile.yaml``, ``helmfile.d/``)
that installs the chart or renders its CRDs, or a script (shell, just,
make, Taskfile) that applies them from the upstream project. ``Bootstrap``
reads that evidence from the repository's files.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from checks.model import KubeObject
from checks.repo import Cluster
from checks.source import RepoSnapshot

LOCATIONS = ("templates", "crds-directory", "either")
MODES = ("all", "any")


@dataclass(frozen=True)
class ChartCRDs:
    """One entry of the table: a chart, the groups its CRDs define, and what switches them."""

    charts: tuple[str, ...]
    groups: tuple[str, ...]
    projects: tuple[str, ...]
    location: str
    mode: str
    switches: tuple[tuple[tuple[str, ...], bool], ...]
    repository: str


@dataclass(frozen=True)
class ReleaseCRDs:
    """The CRD groups one HelmRelease installs; ``certain`` is False when the repository cannot tell."""

    release: KubeObject
    chart: str
    groups: tuple[str, ...]
    certain: bool


def parse_table(document: Mapping[str, Any]) -> dict[str, ChartCRDs]:
    """Chart name -> entry, from the JSON document; a malformed entry is a ValueError naming it."""
    table: dict[str, ChartCRDs] = {}
    for index, raw in enumerate(document.get("charts") or []):
        where = f"chart_crds.json entry {index}"
        charts, groups = raw.get("charts"), raw.get("groups")
        switches = raw.get("switches") or {}
        values = switches.get("values", {})
        if (not _strings(charts) or not _strings(groups) or not _strings(raw.get("projects"))
                or raw.get("crds") not in LOCATIONS
                or switches.get("mode") not in MODES or not isinstance(values, dict)
                or not all(isinstance(v, bool) for v in values.values())):
            raise ValueError(f"{where}: needs charts, groups, projects, crds ({'|'.join(LOCATIONS)}) and switches")
        source = raw.get("source") or {}
        if not isinstance(source.get("repository"), str) or not _strings(source.get("files")):
            raise ValueError(f"{where}: needs its source (repository and files read)")
        entry = ChartCRDs(tuple(charts), tuple(groups), tuple(raw["projects"]), raw["crds"], switches["mode"],
                          tuple((tuple(path.split(".")), default) for path, default in values.items()),
                          source["repository"])
        for chart in charts:
            if chart in table:
                raise ValueError(f"{where}: chart {chart} is listed twice")
            table[chart] = entry
    return table


@cache
def table() -> dict[str, ChartCRDs]:
    """The packaged table, read once (beside this module: importlib.resources costs every check its import)."""
    with open(os.path.join(os.path.dirname(__file__), "data", "chart_crds.json"), encoding="utf-8") as handle:
        text = handle.read()
    return parse_table(json.loads(text))


def release_crds(release: KubeObject, cluster: Cluster) -> ReleaseCRDs | None:
    """The CRD groups a HelmRelease of ``cluster`` installs into it, or None when it installs none we know of."""
    if release.kind != "HelmRelease" or not release.is_flux or release.implicit:
        return None
    chart, values_replaced = _chart(release, cluster)
    entry = table().get(chart) if chart else None
    if entry is None or release.spec.get("kubeConfig") not in (None, {}):
        return None  # not a chart we know, or installed into another cluster
    verdicts = [_switch(release, path, default, values_replaced) for path, default in entry.switches]
    if entry.mode == "any":
        installs = True if True in verdicts else (None if None in verdicts else False)
    else:
        installs = False if False in verdicts else (None if None in verdicts else True)
    policy = _crds_policy(release)
    if entry.location == "crds-directory" and policy is not True:
        installs = policy if installs is not False else False
    elif entry.location == "either" and policy is not True and installs is not False:
        installs = None
    if installs is False:
        return None
    certain = installs is True and release.spec.get("suspend") is not True
    return ReleaseCRDs(release, chart or "", entry.groups, certain)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


def _chart(release: KubeObject, cluster: Cluster) -> tuple[str | None, bool]:
    """The chart's name and whether its default values are replaced by alternative values files."""
    template = release.get("spec", "chart", "spec")
    if isinstance(template, dict):
        name = template.get("chart")
        return (_bare(name), bool(template.get("valuesFiles")))
    ref = release.get("spec", "chartRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
        return None, False
    kind = ref.get("kind")
    found = cluster.find(str(kind), str(ref.get("namespace") or release.namespace or ""), ref["name"])
    if len(found) != 1 or not found[0].is_flux:
        return None, False
    source = found[0]
    if kind == "OCIRepository":
        url = source.get("spec", "url")
        if not isinstance(url, str) or not url.startswith("oci://"):
            return None, False
        return _bare(posixpath.basename(url.rstrip("/"))), False
    if kind == "HelmChart":
        return _bare(source.get("spec", "chart")), bool(source.get("spec", "valuesFiles"))
    return None, False


def _bare(name: Any) -> str | None:
    """A chart name as the table writes it; paths inside a Git source and ${VAR}s are not."""
    if not isinstance(name, str) or not name or "/" in name or "${" in name:
        return None
    return name


def _switch(release: KubeObject, path: tuple[str, ...], default: bool, values_replaced: bool) -> bool | None:
    """A switch's value: written in spec.values, else the default unless other values may set it (None)."""
    node: Any = release.get("spec", "values")
    for step in path:
        if not isinstance(node, dict) or step not in node:
            node = _MISSING
            break
        node = node[step]
    if node is not _MISSING:
        return node if isinstance(node, bool) else None
    if values_replaced or release.spec.get("valuesFrom") not in (None, []):
        return None
    return default


_MISSING = object()


def _crds_policy(release: KubeObject) -> bool | None:
    """Whether an install applies the chart's crds/ folder: False for Skip, None when not literal."""
    install = release.get("spec", "install")
    if install is None:
        return True
    if not isinstance(install, dict):
        return None
    if install.get("skipCRDs") is True:
        return False
    policy = install.get("crds")
    if policy in (None, "Create", "CreateReplace"):
        return True
    return False if policy == "Skip" else None


# -- what the repository installs before Flux ------------------------------------------------------

_HELMFILE = re.compile(r"(^|/)helmfile[^/]*$|(^|/)helmfile(\.d)?/")
_SCRIPT = re.compile(r"\.(sh|bash|zsh|just|mk)$|(^|/)(\.?[Jj]ustfile|[Mm]akefile|GNUmakefile|[Tt]askfile[^/]*)$"
                     r"|(^|/)\.taskfiles/")
_RELEASE_NAME = re.compile(r"^\s*-\s+name:\s*[\"']?(?P<name>[A-Za-z0-9][\w.-]*)", re.MULTILINE)
_RELEASE_CHART = re.compile(r"^\s*(?:-\s+)?chart:\s*[\"']?(?P<chart>[^\s\"'#]+)", re.MULTILINE)
_MAX_BYTES = 256 * 1024


def _may_bootstrap(path: str) -> bool:
    """False for a path neither ``_HELMFILE`` nor ``_SCRIPT`` can match (each needs one of these texts):
    two searches of every path of a large repository cost more than the rest of the rule."""
    return ("helmfile" in path or "ustfile" in path or "akefile" in path or "askfile" in path
            or path.endswith((".sh", ".bash", ".zsh", ".just", ".mk")))


@dataclass(frozen=True)
class Bootstrap:
    """What the repository installs before Flux: helmfile releases, and scripts' texts.

    ``names``: the release and chart names (last segment) its helmfiles install; ``texts``: the
    helmfiles and scripts, where an API group or an upstream project named means its CRDs are applied.
    """

    names: frozenset[str] = frozenset()
    texts: tuple[str, ...] = ()

    @classmethod
    def read(cls, snapshot: RepoSnapshot) -> Bootstrap:
        names: set[str] = set()
        texts: list[str] = []
        for path in snapshot.paths():
            if not _may_bootstrap(path):
                continue
            helmfile = bool(_HELMFILE.search(path))
            if not (helmfile or _SCRIPT.search(path)) or snapshot.size(path) > _MAX_BYTES:
                continue
            try:
                text = snapshot.read(path).decode("utf-8", "replace")
            except (OSError, KeyError):
                continue
            texts.append(text)
            if helmfile:
                names.update(m["name"] for m in _RELEASE_NAME.finditer(text))
                names.update(posixpath.basename(m["chart"].rstrip("/")) for m in _RELEASE_CHART.finditer(text))
        return cls(frozenset(names), tuple(texts))

    def groups(self, releases: Iterable[ReleaseCRDs] = ()) -> set[str]:
        """The API groups whose CRDs exist before Flux applies anything.

        A table chart a helmfile installs (by chart or release name), a HelmRelease of the cluster
        that a helmfile release of the same name bootstraps, or a group or upstream project a
        bootstrap script names.
        """
        releases = list(releases)
        candidates = {group for entry in _entries() for group in entry.groups}
        candidates.update(group for release in releases for group in release.groups)
        return {group for group in candidates if self.installs(group, releases)}

    def installs(self, group: str, releases: Iterable[ReleaseCRDs] = ()) -> bool:
        """Whether ``group`` is one of ``groups(releases)``, searching the texts only for the markers of
        the table's entries that define it: a rule asks of the few groups its objects use."""
        if not self.names and not self.texts:  # most repositories have neither, and nothing is searched
            return False
        for entry in _entries():
            if group in entry.groups and (self.names & set(entry.charts) or any(
                    self._named(marker) for marker in (*entry.groups, *entry.projects))):
                return True
        return any(group in release.groups and self.names & {
            release.release.name, str(release.release.spec.get("releaseName") or "")} for release in releases)

    def _named(self, marker: str) -> bool:
        """Whether a script or helmfile names the marker as a whole word (each marker searched once)."""
        answer = self._markers_named.get(marker)
        if answer is None:
            text = self._joined
            answer = self._markers_named[marker] = marker in text and _whole_word(text, marker)
        return answer

    @cached_property
    def _joined(self) -> str:
        """The texts as one, joined by a line break: no marker spans one, and a line break is a word boundary."""
        return "\n".join(self.texts)

    @cached_property
    def _markers_named(self) -> dict[str, bool]:
        return {}


@cache
def _entries() -> tuple[ChartCRDs, ...]:
    """The table's entries, each once (several charts share one), in a fixed order."""
    return tuple(dict.fromkeys(table().values()))


def _whole_word(text: str, marker: str) -> bool:
    """Whether ``marker`` occurs in ``text`` with neither a word character nor a dash on either side.

    As ``(?<![\\w-])marker(?![\\w-])`` decides it, without a regular expression: a search that
    starts with a look-behind tries every position of a long script in Python's ``re``.
    """
    start, size = text.find(marker), len(marker)
    while start >= 0:
        end = start + size
        if (start == 0 or not _word_or_dash(text[start - 1])) and (end == len(text) or not _word_or_dash(text[end])):
            return True
        start = text.find(marker, start + 1)
    return False


def _word_or_dash(char: str) -> bool:
    """``[\\w-]`` of Python's ``re`` on text: a Unicode letter or digit (``str.isalnum``), ``_`` or ``-``."""
    return char.isalnum() or char in "_-"
