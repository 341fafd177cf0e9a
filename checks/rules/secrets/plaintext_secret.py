"""secrets/plaintext-secret: a Secret, or a secretGenerator, committed with literal values.

``data`` is base64, an encoding, so its values are decoded before they are
judged: a base64 ``op://`` reference is a reference. A file named for SOPS
without a ``sops:`` block was never encrypted (or was committed decrypted),
whatever its values look like. The message names the keys, never the values.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from checks.findings import Finding, Severity
from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject
from checks.repo import RepoModel
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._shared import is_core_kind, named_keys
from checks.rules.secrets._values import is_public_material, is_reference
from checks.sops import (
    SopsConfig,
    is_covered,
    is_encrypted_value,
    is_sops_text,
    load_sops_configs,
    looks_like_sops_name,
    sops_metadata,
)
from checks.yaml_docs import Pos, YMap, YSeq

RULE = Rule(
    id="secrets/plaintext-secret",
    severity=Severity.ERROR,
    summary="A Secret (or secretGenerator) with literal values and no SOPS encryption",
    fixable=False,
    needs_base=False,
    doc="""
    A Kubernetes Secret committed with literal `data` or `stringData` values is
    readable by everyone who can read the repository, its forks and its history.
    `data` is base64, which is an encoding, not encryption.

    Also reported: a Secret in a file named for SOPS (`*.sops.yaml`) that has no
    `sops:` block (it was never encrypted, or was committed decrypted), a
    Secret that carries a `sops:` block but no value SOPS encrypted (a value is
    encrypted only in SOPS's form `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`),
    and kustomize `secretGenerator` entries whose `literals` or `envs` file
    hold plain values. A Secret no cluster renders under `docs/`, `examples/`,
    `tests/` or `testdata/` (an illustration) is a warning: it is in Git all
    the same.

    Not reported: SOPS-encrypted files (see secrets/sops-partial for plain
    values beside encrypted ones), `${VAR}` placeholders filled by postBuild
    substitution, secret-manager references (`op://`, `vault:`, `ref+...`,
    `akv://`, AWS/GCP secret manager names, `<path:...>`), templates, empty
    values, public material (certificates, public keys, SSH `known_hosts`
    lines, age recipients), and keys that say where a service is rather than
    how to get in (a last word such as `HOST`, `PORT`, `ADDRESS`, `DATABASE`,
    `DBNAME`, `ENDPOINT`, `REGION`), unless the value carries a login
    (`postgres://user:pass@...`). Placeholders such as `changeme`
    are reported: Flux applies them as they are, so the workload runs with
    that value.

    The message names the keys, never the values.

    Failing:
        apiVersion: v1
        kind: Secret
        metadata:
          name: stripe
        stringData:
          apiKey: sk_live_51H...

    Passing (SOPS, or a substituted variable):
        stringData:
          apiKey: ENC[AES256_GCM,data:...,type:str]
        sops:
          mac: ENC[...]
          ...
    """,
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Secrets with plain values (or unencrypted in a file named for SOPS), then plain secretGenerator inputs."""
    rendered = ctx.model.rendered_files
    configs: list[SopsConfig] | None = None
    for obj in ctx.model.objects:
        if not is_core_kind(obj, "Secret"):
            continue
        sops_block = sops_metadata(obj.body) is not None
        if sops_block and _has_encrypted_value(obj):
            continue  # encrypted by SOPS: plain values beside encrypted ones are secrets/sops-partial's
        # An illustration no cluster renders (docs/, examples/, tests/) is still in Git: a warning.
        severity = Severity.WARNING if _example_file(obj.path, rendered) else Severity.ERROR
        plain = _plaintext_keys(obj)
        if sops_block:
            if plain:
                pos = _key_pos(obj, plain[0])
                yield Finding(
                    "secrets/plaintext-secret", severity, pos.path, pos.line,
                    f"{obj.id} carries a `sops:` block but none of its values is encrypted (SOPS writes "
                    f"`ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`): {named_keys(plain)} "
                    f"{'is' if len(plain) == 1 else 'are'} plain text anyone who can read the repository can read. "
                    f"Encrypt the file with `sops --encrypt --in-place {obj.path}`, then rotate "
                    f"{'the value' if len(plain) == 1 else 'the values'}.",
                    object=obj.id, key="plaintext")
            continue
        if looks_like_sops_name(obj.path):
            written = _written_keys(obj)
            if not written:
                continue
            pos = _key_pos(obj, written[0])
            name = posixpath.basename(obj.path)
            yield Finding(
                "secrets/plaintext-secret", severity, pos.path, pos.line,
                f"{obj.id} is in `{name}`, named for SOPS, but the file is not encrypted (no `sops:` block): "
                f"{named_keys(written)} {'is' if len(written) == 1 else 'are'} committed as written. "
                f"Encrypt it: `sops --encrypt --in-place {obj.path}`.",
                object=obj.id, key="unencrypted-sops-file")
            continue
        if not plain:
            continue
        pos = _key_pos(obj, plain[0])
        configs = configs if configs is not None else load_sops_configs(ctx.model.snapshot)
        yield Finding(
            "secrets/plaintext-secret", severity, pos.path, pos.line,
            f"{obj.id} holds {'a plaintext value' if len(plain) == 1 else 'plaintext values'} under "
            f"{named_keys(plain)}. Anyone who can read the repository can read {'it' if len(plain) == 1 else 'them'}: "
            f"{_encrypt_advice(obj.path, configs)}, or replace the Secret with an ExternalSecret; then rotate "
            f"{'the value' if len(plain) == 1 else 'the values'}.",
            object=obj.id, key="plaintext")
    yield from _generator_literals(ctx.model, rendered)


def _has_encrypted_value(obj: KubeObject) -> bool:
    """Whether any value under ``data`` or ``stringData`` is one SOPS encrypted."""
    return any(is_encrypted_value(value) for field_name in ("data", "stringData")
               if isinstance(obj.get(field_name), dict) for value in obj.get(field_name).values())


def _plaintext_keys(obj: KubeObject) -> list[str]:
    keys = []
    for field_name, encoded in (("data", True), ("stringData", False)):
        values = obj.get(field_name)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if _is_plain_secret(value, encoded) and not _configuration(str(key), value):
                keys.append(_field_key(field_name, str(key)))
    return keys


# The last word of a key that names where a service is, not how to get in: a Secret often keeps
# them beside credentials it substitutes (``INIT_POSTGRES_HOST`` next to ``INIT_POSTGRES_PASS: ${...}``).
_CONFIGURATION_WORDS = frozenset((
    "host", "hostname", "address", "addr", "port", "database", "db", "dbname", "region", "endpoint", "bucket",
    "namespace", "schema", "sslmode", "timezone", "tz"))
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_URL_CREDENTIALS = re.compile(r"://[^/\s@]+@")


def _configuration(key: str, value: Any) -> bool:
    """A key whose last word names a location (host, port, database...) and whose value carries no login."""
    words = _WORDS.findall(key)
    return bool(words) and words[-1].lower() in _CONFIGURATION_WORDS and not _URL_CREDENTIALS.search(str(value))


def _field_key(field_name: str, key: str) -> str:
    """``stringData.apiKey``, or ``stringData[.dockerconfigjson]`` when the key has dots of its own."""
    return f"{field_name}[{key}]" if "." in key or not key else f"{field_name}.{key}"


def _key_pos(obj: KubeObject, shown: str) -> Pos:
    """Where the key a ``_field_key`` text names was written."""
    field_name = "stringData" if shown.startswith("stringData") else "data"
    return obj.key_pos(field_name, shown[len(field_name) + 1:].removesuffix("]"))


def _written_keys(obj: KubeObject) -> list[str]:
    """Every key under data/stringData that is not a reference (what encryption was meant to hide)."""
    keys = []
    for field_name in ("data", "stringData"):
        values = obj.get(field_name)
        if isinstance(values, dict):
            keys += [_field_key(field_name, str(k)) for k, v in values.items()
                     if not (isinstance(v, str) and is_reference(v)) and not is_encrypted_value(v)
                     and v is not None and str(v).strip()]  # an empty value hides nothing
    return keys


_EXAMPLE_FOLDERS = frozenset(("docs", "doc", "examples", "example", "samples", "test", "tests", "testdata",
                              "fixtures", "__fixtures__"))


def _example_file(path: str, rendered: set[str]) -> bool:
    """An unrendered file under docs/, examples/, tests/...: illustrations, not deployed secrets."""
    return path not in rendered and any(part.lower() in _EXAMPLE_FOLDERS for part in path.split("/")[:-1])


def _encrypt_advice(path: str, configs: list[SopsConfig]) -> str:
    """How to encrypt this file, using the repository's own creation rules when they apply."""
    if is_covered(path, configs):
        return f"encrypt it with `sops --encrypt --in-place {path}` (a .sops.yaml creation rule covers it)"
    folder, name = posixpath.split(path)
    stem, dot, suffix = name.rpartition(".")
    renamed = posixpath.join(folder, f"{stem}.sops.{suffix}") if dot else ""
    if renamed and is_covered(renamed, configs):
        return (f"rename it `{posixpath.basename(renamed)}` and encrypt it with `sops --encrypt --in-place` "
                "(the repository's .sops.yaml covers that name)")
    return "encrypt the file with SOPS"


def _generator_literals(model: RepoModel, rendered: set[str]) -> Iterator[Finding]:
    """kustomize secretGenerator ``literals`` and ``envs`` written in plain text."""
    for path, loaded in model.files.items():
        if path.rpartition("/")[2] not in KUSTOMIZATION_FILES or not loaded.docs or _example_file(path, rendered):
            continue
        root = loaded.docs[0].root
        generators = root.get("secretGenerator") if isinstance(root, YMap) else None
        if not isinstance(generators, YSeq):
            continue
        folder = posixpath.dirname(path)
        for index, generator in enumerate(generators):
            if not isinstance(generator, YMap) or not generator.get("name"):
                continue
            keys, first = _generator_plain_keys(model, folder, generator)
            if not keys:
                continue
            pos = first or generators.item_pos[index]
            name = str(generator["name"])
            yield Finding(
                "secrets/plaintext-secret", Severity.ERROR, pos.path, pos.line,
                f"the secretGenerator `{name}` in {path} takes plaintext values for {named_keys(keys)}. Encrypt the "
                "env file with SOPS (Flux decrypts secretGenerator files) or use an ExternalSecret.",
                key=f"secretGenerator:{name}")


def _generator_plain_keys(model: RepoModel, folder: str, generator: YMap) -> tuple[list[str], Pos | None]:
    keys: list[str] = []
    first: Pos | None = None
    literals = generator.get("literals")
    if isinstance(literals, YSeq):
        for entry, pos in zip(literals, literals.item_pos, strict=True):
            if isinstance(entry, str) and "=" in entry:
                key, _, value = entry.partition("=")
                if _is_plain_secret(value.strip().strip("\"'")):
                    keys.append(key.strip())
                    first = first or pos
    envs = generator.get("envs")
    if isinstance(envs, YSeq):
        for entry, pos in zip(envs, envs.item_pos, strict=True):
            env_keys = _plain_env_keys(model, posixpath.normpath(posixpath.join(folder, str(entry))))
            if env_keys:
                keys += env_keys
                first = first or pos
    return keys, first


def _plain_env_keys(model: RepoModel, path: str) -> list[str]:
    try:
        text = model.snapshot.read(path).decode("utf-8", "replace")
    except (KeyError, OSError):
        return []
    if is_sops_text(text):
        return []
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if _is_plain_secret(value.strip().strip("\"'")):
            keys.append(key.strip().removeprefix("export ").strip())
    return keys


def _decode_data_value(value: str) -> str | None:
    """A Secret ``data`` value decoded from base64 (None when it is not valid base64 or not text)."""
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_plain_secret(value: Any, encoded: bool = False) -> bool:
    """True when a Secret value is a literal secret (not empty, encrypted, a reference or public)."""
    if value is None or isinstance(value, dict | list):
        return False
    text = str(value)
    if not text.strip() or is_encrypted_value(text) or is_reference(text):
        return False
    if encoded:
        decoded = _decode_data_value(text)
        if decoded is not None:
            if not decoded.strip() or is_encrypted_value(decoded) or is_reference(decoded):
                return False
            text = decoded
    return not is_public_material(text)

