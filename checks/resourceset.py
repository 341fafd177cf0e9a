"""flux-operator ResourceSets: the objects a ResourceSet creates, expanded where that is certain.

flux-operator (controlplaneio-fluxcd/flux-operator, ``internal/builder/resourceset.go``)
renders every entry of ``spec.resources`` once per input set as Go text/template
with the delimiters ``<<`` and ``>>`` (slim-sprig functions, ``slugify``,
``toYaml``, and ``inputs`` for the input set; a missing map key fails the whole
build), and reads the result back as YAML. Objects are deduplicated by group,
kind, namespace and name (the first wins); with inputs, an object annotated
``fluxcd.controlplane.io/reconcile: disabled`` is left out; ``spec.commonMetadata``
labels and annotations are set on all of them. Without inputs every entry is
rendered once. No namespace is defaulted: a namespaced object must name its own.

Inline inputs (``spec.inputs`` under the default Flatten strategy) are known,
so their templates are expanded here, keeping the ResourceSet's positions so
that findings land on its lines. Only what is certain is evaluated:
``<< inputs.key >>`` (a dotted path through the input's maps) and, as a whole
value, ``<< inputs.key | toJson >>``. An object with any other expression in
its apiVersion, kind, metadata, spec or data is not expanded, and neither is
anything of a ResourceSet fed by ResourceSetInputProviders (``spec.inputsFrom``),
permuted inputs or a ``resourcesTemplate``: what it may create is kept as a
``MayCreate`` pattern, so that references to such objects are never reported
missing (``Cluster.find`` answers them with an implicit stand-in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from checks.linear_regex import Matcher, compile_linear
from checks.model import CLUSTER_SCOPED, OPERATOR_GROUP, KubeObject, api_group
from checks.patches import clone
from checks.yaml_docs import Pos, YMap, YSeq

RESOURCESET = "ResourceSet"
_RECONCILE = "fluxcd.controlplane.io/reconcile"
# Annotations that make flux-operator fill a generated ConfigMap or Secret from the cluster at apply time.
_FILLED_FROM = ("fluxcd.controlplane.io/copyFrom", "fluxcd.controlplane.io/convertKubeConfigFrom")
# Input keys flux-operator sets itself (the provider reference; ids of provider inputs and permutations).
_OPERATOR_KEYS = frozenset(("provider", "id"))
# The fields rules read (a ConfigMap's data gives postBuild its variables): an expression here
# that cannot be evaluated leaves the object unknown.
_READ_FIELDS = frozenset(("apiVersion", "kind", "metadata", "spec", "data", "stringData", "binaryData"))

_EXPRESSION = re.compile(r"<<(.*?)>>", re.S)
_PATH = r"\s*inputs((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*"
_PLAIN = re.compile(_PATH)
_TO_JSON = re.compile(_PATH + r"\|\s*toJson\s*")
_INTEGER = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_CONTROL = re.compile(r"-|.*-$|\s*(if|else|end|range|with|define|template|block|break|continue)\b|\s*/\*", re.S)
_KIND_LINE = re.compile(r"^\s*kind:\s*[\"']?([^\s\"'#]+)", re.M)
# Plain scalars Go's YAML reads as booleans (YAML 1.1) besides those PyYAML knows.
_GO_BOOLEANS = frozenset(("y", "Y", "n", "N"))
# Go prints a JSON number (a float64) in %g form: from a million on, with an exponent.
_GO_PRINTS_INTEGER = 1_000_000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_UNKNOWN: Any = object()


class _BuildFails(Exception):
    """A lookup of a key an input does not have: flux-operator's build fails (``missingkey=error``)."""


@dataclass(frozen=True)
class MayCreate:
    """Objects a ResourceSet may create that cannot be expanded: a kind and name and namespace patterns.

    ``None`` matches anything; patterns match whole names.
    """

    origin: str
    pos: Pos
    kind: str | None = None
    name: Matcher | None = None
    namespace: Matcher | None = None

    def matches(self, kind: str, namespace: str | None, name: str) -> bool:
        return ((self.kind is None or self.kind == kind)
                and (self.name is None or self.name.fullmatch(name) is not None)
                and (self.namespace is None or self.namespace.fullmatch(namespace or "") is not None))


def is_resourceset(obj: KubeObject) -> bool:
    return obj.kind == RESOURCESET and obj.group == OPERATOR_GROUP


def expand(rset: KubeObject, cluster: str | None = None) -> tuple[list[KubeObject], list[MayCreate]]:
    """The objects a rendered ResourceSet creates that can be read, and patterns of those that cannot."""
    if not is_resourceset(rset):
        return [], []
    spec = rset.spec
    templates = _templates(spec)
    inputs = _inputs(spec)
    if inputs is None:
        return [], [pattern for tmpl in templates for pattern in _patterns(rset, tmpl)]
    try:
        return _expand(rset, cluster, templates, inputs)
    except _BuildFails:
        return [], [pattern for tmpl in templates for pattern in _patterns(rset, tmpl)]


def stand_in(unknown: list[MayCreate], kind: str, namespace: str | None, name: str) -> list[KubeObject]:
    """An implicit object standing for one that a ResourceSet may create, when one may; else nothing."""
    for may in unknown:
        if may.matches(kind, namespace, name):
            body = YMap(may.pos)
            body.set("kind", kind, may.pos, may.pos)
            meta = YMap(may.pos)
            meta.set("name", name, may.pos, may.pos)
            if namespace is not None:
                meta.set("namespace", namespace, may.pos, may.pos)
            body.set("metadata", meta, may.pos, may.pos)
            return [KubeObject(body, may.pos.path, -1, namespace, implicit=True, generated_by=may.origin)]
    return []


def filled_by_operator(obj: KubeObject) -> bool:
    """A generated ConfigMap or Secret whose data flux-operator copies in from the cluster: its data is unknown."""
    return obj.generated_by is not None and any(key in obj.annotations() for key in _FILLED_FROM)


def template_lines(objects: list[KubeObject]) -> list[Pos]:
    """Where ResourceSets write their templates: a fix there would rewrite every object made from them."""
    found = []
    for obj in objects:
        if is_resourceset(obj):
            for key in ("resources", "resourcesTemplate", "steps"):
                if key in obj.spec:
                    found.append(obj.pos("spec", key))
    return found


# -- what a ResourceSet is made of --------------------------------------------------------------------

@dataclass(frozen=True)
class _Template:
    """One entry of ``resources`` (a mapping) or one ``resourcesTemplate`` (a text), and where it is written."""

    body: Any
    pos: Pos


def _templates(spec: dict[str, Any]) -> list[_Template]:
    parts = [spec]
    steps = spec.get("steps")
    if isinstance(steps, YSeq):
        parts += [step for step in steps if isinstance(step, YMap)]
    found = []
    for part in parts:
        resources = part.get("resources")
        if isinstance(resources, YSeq):
            found += [_Template(item, pos) for item, pos in zip(resources, resources.item_pos, strict=True)]
        text = part.get("resourcesTemplate")
        if isinstance(text, str) and text.strip() and isinstance(part, YMap):
            found.append(_Template(text, part.value_pos["resourcesTemplate"]))
    return found


def _inputs(spec: dict[str, Any]) -> list[YMap | None] | None:
    """The input sets, or None when they are not all known here.

    ``[None]`` stands for no inputs at all: every entry is rendered once, without any.
    """
    if spec.get("inputsFrom"):
        return None  # ResourceSetInputProviders: their inputs exist only in the cluster
    strategy = spec.get("inputStrategy")
    name = strategy.get("name") if isinstance(strategy, dict) else None
    if strategy is not None and name not in (None, "", "Flatten"):
        return None  # Permute scopes each input set under its provider's name, with generated ids
    inputs = spec.get("inputs")
    if inputs is None or inputs == []:
        return [None]
    if not isinstance(inputs, list) or not all(isinstance(item, YMap) for item in inputs):
        return None
    return list(inputs)


# -- expanding ----------------------------------------------------------------------------------------

def _expand(rset: KubeObject, cluster: str | None, templates: list[_Template],
            inputs: list[YMap | None]) -> tuple[list[KubeObject], list[MayCreate]]:
    made: dict[tuple[str, str, str | None, str], KubeObject] = {}
    unknown: list[MayCreate] = []
    common = rset.spec.get("commonMetadata")
    for tmpl in templates:
        if not isinstance(tmpl.body, YMap):
            unknown += _patterns(rset, tmpl)
            continue
        for values in inputs:
            body, certain = _object(tmpl.body, values)
            identity = _identity(body) if certain else None
            if identity is None:
                unknown += _patterns(rset, tmpl, values)
                continue
            if values is not None and _annotation(body, _RECONCILE) == "disabled":
                continue
            _set_common_metadata(body, common)
            key = (api_group(identity[0]), identity[1], identity[2], identity[3])
            if key not in made:
                made[key] = KubeObject(body, rset.path, rset.doc_index, identity[2], cluster=cluster,
                                       rendered_by=rset.rendered_by, generated_by=rset.id)
    return list(made.values()), unknown


def _object(template: YMap, values: YMap | None) -> tuple[YMap, bool]:
    """One object of a template: its body, and whether every field rules read was evaluated."""
    body = YMap(template.pos)
    for key, value in template.items():
        if "<<" in str(key):
            return body, False
        expanded, known = _value(value, values)
        if not known:
            if key in _READ_FIELDS:
                return body, False
            expanded = value  # elsewhere an unevaluated expression stays as written
        body.set(key, expanded, template.key_pos[key], template.value_pos[key])
    return body, True


def _value(value: Any, values: YMap | None) -> tuple[Any, bool]:
    if isinstance(value, YMap):
        copy = YMap(value.pos)
        for key, item in value.items():
            if "<<" in str(key):
                return value, False
            expanded, known = _value(item, values)
            if not known:
                return value, False
            copy.set(key, expanded, value.key_pos[key], value.value_pos[key])
        return copy, True
    if isinstance(value, YSeq):
        seq = YSeq(value.pos)
        for item, pos in zip(value, value.item_pos, strict=True):
            expanded, known = _value(item, values)
            if not known:
                return value, False
            seq.add(expanded, pos)
        return seq, True
    if isinstance(value, str) and "<<" in value:
        result = _scalar(value, values)
        return (value, False) if result is _UNKNOWN else (result, True)
    return value, True


def _scalar(text: str, values: YMap | None) -> Any:
    """A templated string as flux-operator renders it, or ``_UNKNOWN``.

    The template reaches the operator as JSON and is written out as YAML, where
    a string like ``<< inputs.x >>`` is a plain scalar: the rendered text is read
    back as YAML, so a value that is the whole scalar keeps its type.
    """
    if values is None:
        return _UNKNOWN  # without inputs, `inputs.key` fails and other expressions are not evaluated
    parts = _EXPRESSION.split(text)
    literals, expressions = parts[0::2], parts[1::2]
    if any("<<" in literal for literal in literals):
        return _UNKNOWN  # an action these patterns do not read
    if len(expressions) == 1 and literals == ["", ""]:
        return _whole(expressions[0], values)
    pieces = [literals[0]]
    for expression, literal in zip(expressions, literals[1:], strict=True):
        piece = _text(_lookup(expression, values))
        if piece is None:
            return _UNKNOWN
        pieces += [piece, literal]
    joined = "".join(pieces)
    return joined if _plain_string(joined) else _UNKNOWN


def _whole(expression: str, values: YMap) -> Any:
    """The value of a scalar that is one expression: the input's own value, typed as YAML reads it back."""
    to_json = _TO_JSON.fullmatch(expression)
    if to_json:
        value = _path_value(to_json[1], values)
        return _UNKNOWN if value is _UNKNOWN else _json(value)
    value = _lookup(expression, values)
    if value is _UNKNOWN or isinstance(value, YMap | YSeq) or value is None:
        return _UNKNOWN
    if isinstance(value, bool):
        return value
    number = _integer(value)
    if number is not None:
        return number
    if isinstance(value, str):
        return _plain_value(value)
    return _UNKNOWN


def _lookup(expression: str, values: YMap) -> Any:
    match = _PLAIN.fullmatch(expression)
    return _path_value(match[1], values) if match else _UNKNOWN


def _path_value(path: str, values: YMap) -> Any:
    keys = path.strip(".").split(".")
    if keys[0] in _OPERATOR_KEYS and (keys[0] == "provider" or keys[0] not in values):
        return _UNKNOWN  # set by flux-operator, not written in the input
    node: Any = values
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            raise _BuildFails(key)
        node = node[key]
    return node


def _text(value: Any) -> str | None:
    """A value as Go prints it inside a longer string, when certain."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = _integer(value)
    if number is not None:
        return str(number)
    if isinstance(value, str) and not any(c in value for c in "'\"\\\n"):
        return value
    return None


def _integer(value: Any) -> int | None:
    """An input number Go prints as an integer (JSON numbers are float64 to it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if abs(value) < _GO_PRINTS_INTEGER else None


def _json(value: Any) -> Any:
    """A value after ``toJson`` and the YAML read that follows: the same value, integral floats as integers."""
    if isinstance(value, YMap):
        copy = YMap(value.pos)
        for key, item in value.items():
            converted = _json(item)
            if converted is _UNKNOWN or not isinstance(key, str):
                return _UNKNOWN
            copy.set(key, converted, value.key_pos[key], value.value_pos[key])
        return copy
    if isinstance(value, YSeq):
        seq = YSeq(value.pos)
        for item, pos in zip(value, value.item_pos, strict=True):
            converted = _json(item)
            if converted is _UNKNOWN:
                return _UNKNOWN
            seq.add(converted, pos)
        return seq
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return _UNKNOWN


def _plain_value(text: str) -> Any:
    """What a string reads as, written as a plain YAML scalar: itself, an integer or a boolean; else unknown."""
    if _plain_string(text):
        return text
    if _INTEGER.fullmatch(text):
        return int(text)
    if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return text.lower() == "true"
    return _UNKNOWN


@lru_cache(maxsize=4096)
def _plain_string(text: str) -> bool:
    """True when ``text``, written as a plain YAML value, reads back as this very string in Go's YAML and PyYAML."""
    if not text or text != text.strip() or "\n" in text or text in _GO_BOOLEANS:
        return False
    try:
        loaded = yaml.load("v: " + text, Loader=_Loader)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and type(loaded.get("v")) is str and loaded["v"] == text


def _identity(body: YMap) -> tuple[str, str, str | None, str] | None:
    """``(apiVersion, kind, namespace, name)`` of a generated object; None when it is not a placeable object."""
    api_version, kind, meta = body.get("apiVersion"), body.get("kind"), body.get("metadata")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not isinstance(meta, YMap):
        return None
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        return None
    if kind in CLUSTER_SCOPED:
        return api_version, kind, None, name
    if not isinstance(namespace, str) or not namespace:
        return None  # flux-operator sets no namespace: the apply of an object without one fails
    return api_version, kind, namespace, name


def _annotation(body: YMap, key: str) -> Any:
    meta = body.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return annotations.get(key) if isinstance(annotations, dict) else None


def _set_common_metadata(body: YMap, common: Any) -> None:
    """``spec.commonMetadata`` labels and annotations, over the object's own."""
    if not isinstance(common, YMap):
        return
    meta = body["metadata"]
    for field in ("labels", "annotations"):
        extra = common.get(field)
        if not isinstance(extra, YMap) or not extra:
            continue
        own = meta.get(field)
        merged = clone(own) if isinstance(own, YMap) else YMap(common.value_pos[field])
        for key, value in extra.items():
            merged.set(key, value, extra.key_pos[key], extra.value_pos[key])
        meta.set(field, merged, meta.key_pos.get(field, common.key_pos[field]),
                 meta.value_pos.get(field, common.value_pos[field]))


# -- what an unexpanded template may create ------------------------------------------------------------

def _patterns(rset: KubeObject, tmpl: _Template, values: YMap | None = None) -> list[MayCreate]:
    """What a template that was not expanded may create: its kind when written, names by their literal parts.

    A ``resourcesTemplate`` text may create any object of the kinds its ``kind:`` lines name.
    """
    if isinstance(tmpl.body, str):
        kinds = set(_KIND_LINE.findall(tmpl.body))
        if not kinds or any("<<" in kind for kind in kinds):
            return [MayCreate(rset.id, tmpl.pos)]
        return [MayCreate(rset.id, tmpl.pos, kind) for kind in sorted(kinds)]
    if not isinstance(tmpl.body, YMap):
        return [MayCreate(rset.id, tmpl.pos)]
    meta = tmpl.body.get("metadata")
    meta = meta if isinstance(meta, YMap) else YMap(tmpl.pos)
    return [MayCreate(rset.id, tmpl.pos, _certain(tmpl.body.get("kind"), values),
                      _pattern(meta.get("name"), values), _pattern(meta.get("namespace"), values))]


def _certain(value: Any, values: YMap | None) -> str | None:
    """A field's string value when it is certain (written, or expanded from a known input)."""
    if not isinstance(value, str):
        return None
    if "<<" not in value:
        return value
    try:
        known = _scalar(value, values)
    except _BuildFails:
        return None
    return known if isinstance(known, str) else None


def _pattern(value: Any, values: YMap | None) -> Matcher | None:
    """The names a field may take: its certain value, else any text around its literal parts."""
    if not isinstance(value, str):
        return None
    known = _certain(value, values)
    if known is not None:
        return compile_linear(re.escape(known))
    parts = _EXPRESSION.split(value)
    if any(_CONTROL.match(expression) for expression in parts[1::2]) or any("<<" in lit for lit in parts[0::2]):
        return None  # conditionals, loops and trimmed whitespace: the written text may not be there
    return compile_linear("(?s)" + ".*".join(re.escape(literal) for literal in parts[0::2]))


__all__ = ["MayCreate", "expand", "filled_by_operator", "is_resourceset", "stand_in", "template_lines"]
