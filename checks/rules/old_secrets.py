"""Rules of the `secrets` group: credentials in plain text, SOPS files Flux cannot decrypt,
and references to Secrets and ConfigMaps that nothing creates.

Every message names the object and the key, never a value: findings are
printed in CI logs and posted on pull requests.

Look-alikes that are not leaks are left alone: SOPS ``ENC[...]`` values,
``${VAR}`` placeholders (postBuild substitution), secret-manager references
(``op://``, ``vault:``, ``ref+...``, ``akv://``, AWS and GCP secret manager
names, ``<path:...>``), templates (``{{ .x }}``), empty values, and public
material (certificates, public keys, SSH ``known_hosts``, age recipients).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from functools import cached_property, lru_cache
from typing import Any

from checks.edits import indentation, insert_below_fix, line_text
from checks.findings import Finding, Fix, Severity, merge_repeats
from checks.kustomize import KUSTOMIZATION_FILES
from checks.model import KubeObject, field_path
from checks.repo import Cluster, RepoModel
from checks.rules.base import Rule, RuleContext
from checks.sops import (
    Leaf,
    SopsConfig,
    is_covered,
    is_encrypted_value,
    is_sops_document,
    is_sops_text,
    leaves,
    load_sops_configs,
    looks_like_sops_name,
    sops_metadata,
    unencrypted_leaves,
)
from checks.yaml_docs import Pos, YMap, YSeq

DECRYPT_ANNOTATION = "kustomize.toolkit.fluxcd.io/decrypt"
MAX_NAMED_KEYS = 5

# -- what a value is ---------------------------------------------------------------------------------------

_MANAGER_PREFIXES = (
    "op://", "vault:", "vault://", "ref+", "akv://", "azkv://", "keyvault://", "sm://", "berglas://",
    "gcpsm://", "gcp-secret-manager://", "awssm://", "awssecrets://", "awsssm://", "ssm://",
    "secretsmanager://", "arn:aws:secretsmanager:", "arn:aws:ssm:", "doppler://", "infisical://",
    "bws://", "bitwarden://", "keeper://", "onepassword://", "<path:", "<secret:", "secret://",
    "k8s://", "kubernetes://", "file://", "env://", "sops://",
)
_GCP_SECRET = re.compile(r"^projects/[^/\s]+/secrets/[^/\s]+(/versions/[^/\s]+)?$")
_PUBLIC_PEM = re.compile(r"-----BEGIN ((?:TRUSTED |X509 )?CERTIFICATE|(?:RSA |EC )?PUBLIC KEY|PGP PUBLIC KEY BLOCK|"
                         r"X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST)-----")
_ANY_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_SSH_KEY = (r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|"
            r"sk-ecdsa-sha2-nistp256@openssh\.com)\s+AAAA[0-9A-Za-z+/=]+")
_PUBLIC_LINE = re.compile(rf"^(?:(?:@\S+\s+)?\S+\s+)?{_SSH_KEY}(?:\s.*)?$|^age1[02-9ac-hj-np-z]{{58}}$")
_VARIABLE = re.compile(r"^\$\{[_A-Za-z][_A-Za-z0-9]*(?:(?::?=|:-)[^}]*)?\}$")
_BASE64_HINT = re.compile(r"b64|base64", re.I)


def is_reference(value: str) -> bool:
    """A value that names where a secret lives instead of holding it."""
    text = value.strip()
    lowered = text.lower()
    if "${" in text or "{{" in text or "$(" in text:
        return True
    return lowered.startswith(_MANAGER_PREFIXES) or bool(_GCP_SECRET.match(text))


def is_public_material(value: str) -> bool:
    """Certificates, public keys, ``known_hosts`` lines and age recipients: meant to be shared."""
    text = value.strip()
    if not text:
        return False
    kinds = _ANY_PEM.findall(text)
    if kinds:
        return all(_PUBLIC_PEM.match(f"-----BEGIN {kind}-----") for kind in kinds)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(_PUBLIC_LINE.match(line) for line in lines)


def decode_data_value(value: str) -> str | None:
    """A Secret ``data`` value decoded from base64 (None when it is not valid base64 or not text)."""
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def is_plain_secret(value: Any, encoded: bool = False) -> bool:
    """True when a Secret value is a literal secret (not empty, encrypted, a reference or public)."""
    if value is None or isinstance(value, dict | list):
        return False
    text = str(value)
    if not text.strip() or is_encrypted_value(text) or is_reference(text):
        return False
    if encoded:
        decoded = decode_data_value(text)
        if decoded is not None:
            if not decoded.strip() or is_encrypted_value(decoded) or is_reference(decoded):
                return False
            text = decoded
    return not is_public_material(text)


# -- shared helpers ----------------------------------------------------------------------------------------

def _is_core_kind(obj: KubeObject, kind: str) -> bool:
    return obj.kind == kind and obj.api_version == "v1"


def _named(keys: list[str]) -> str:
    """``a``, ``a and b``, ``a, b, c and 2 more``: keys for a message."""
    shown = [f"`{k}`" for k in keys[:MAX_NAMED_KEYS]]
    rest = len(keys) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _split_comment(text: str) -> tuple[str, str]:
    """The YAML content of a line and its trailing comment (with the space before it)."""
    match = re.search(r"\s+#.*$", text)
    if match and text.count('"', 0, match.start()) % 2 == 0 and text.count("'", 0, match.start()) % 2 == 0:
        return text[: match.start()], text[match.start():]
    return text, ""


def _doc_pos(node: Any, path: tuple[str | int, ...]) -> Pos | None:
    """Where the key (or item) at a path of a raw document was written."""
    found: Pos | None = getattr(node, "pos", None)
    for step in path:
        if isinstance(node, YMap) and step in node:
            found = node.key_pos.get(step, found)
            node = node[step]
        elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
            found = node.item_pos[step]
            node = node[step]
        else:
            break
    return found


def _rendered_objects(model: RepoModel) -> Iterator[tuple[Cluster, KubeObject]]:
    for cluster in model.clusters:
        for obj in cluster.objects:
            if not obj.implicit:
                yield cluster, obj


# -- secrets/plaintext-secret -------------------------------------------------------------------------------

def _plaintext_keys(obj: KubeObject) -> list[str]:
    keys = []
    for field_name, encoded in (("data", True), ("stringData", False)):
        values = obj.get(field_name)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            if is_plain_secret(value, encoded):
                keys.append(_field_key(field_name, str(key)))
    return keys


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
                     if not (isinstance(v, str) and is_reference(v)) and not is_encrypted_value(v)]
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


def check_plaintext_secret(ctx: RuleContext) -> Iterator[Finding]:
    rendered = ctx.model.rendered_files
    configs: list[SopsConfig] | None = None
    for obj in ctx.model.objects:
        if not _is_core_kind(obj, "Secret") or sops_metadata(obj.body) is not None:
            continue
        if _example_file(obj.path, rendered):
            continue
        plain = _plaintext_keys(obj)
        if looks_like_sops_name(obj.path):
            written = _written_keys(obj)
            if not written:
                continue
            pos = _key_pos(obj, written[0])
            name = posixpath.basename(obj.path)
            yield Finding(
                "secrets/plaintext-secret", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} is in `{name}`, named for SOPS, but the file is not encrypted (no `sops:` block): "
                f"{_named(written)} {'is' if len(written) == 1 else 'are'} committed as written. "
                f"Encrypt it: `sops --encrypt --in-place {obj.path}`.",
                object=obj.id, key="unencrypted-sops-file")
            continue
        if not plain:
            continue
        pos = _key_pos(obj, plain[0])
        configs = configs if configs is not None else load_sops_configs(ctx.model.snapshot)
        yield Finding(
            "secrets/plaintext-secret", Severity.ERROR, pos.path, pos.line,
            f"{obj.id} holds {'a plaintext value' if len(plain) == 1 else 'plaintext values'} under "
            f"{_named(plain)}. Anyone who can read the repository can read {'it' if len(plain) == 1 else 'them'}: "
            f"{_encrypt_advice(obj.path, configs)}, or replace the Secret with an ExternalSecret; then rotate "
            f"{'the value' if len(plain) == 1 else 'the values'}.",
            object=obj.id, key="plaintext")
    yield from _generator_literals(ctx.model, rendered)


def _generator_literals(model: RepoModel, rendered: set[str]) -> Iterator[Finding]:
    """kustomize secretGenerator ``literals`` and ``envs`` written in plain text."""
    for path, loaded in model.files.items():
        if posixpath.basename(path) not in KUSTOMIZATION_FILES or not loaded.docs or _example_file(path, rendered):
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
                f"the secretGenerator `{name}` in {path} takes plaintext values for {_named(keys)}. Encrypt the "
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
                if is_plain_secret(value.strip().strip("\"'")):
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
        if is_plain_secret(value.strip().strip("\"'")):
            keys.append(key.strip().removeprefix("export ").strip())
    return keys


PLAINTEXT_SECRET = Rule(
    id="secrets/plaintext-secret",
    severity=Severity.ERROR,
    summary="A Secret (or secretGenerator) with literal values and no SOPS encryption",
    doc="""
        A Kubernetes Secret committed with literal `data` or `stringData` values is
        readable by everyone who can read the repository, its forks and its history.
        `data` is base64, which is an encoding, not encryption.

        Also reported: a Secret in a file named for SOPS (`*.sops.yaml`) that has no
        `sops:` block (it was never encrypted, or was committed decrypted), and
        kustomize `secretGenerator` entries whose `literals` or `envs` file hold
        plain values.

        Not reported: SOPS-encrypted files (`ENC[...]` with a `sops:` block, see
        secrets/sops-partial), `${VAR}` placeholders filled by postBuild
        substitution, secret-manager references (`op://`, `vault:`, `ref+...`,
        `akv://`, AWS/GCP secret manager names, `<path:...>`), templates, empty
        values, public material (certificates, public keys, SSH `known_hosts`
        lines, age recipients), and unrendered files under `docs/`, `examples/`,
        `tests/` or `testdata/` (illustrations). Placeholders such as `changeme`
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
    check=check_plaintext_secret,
)


# -- secrets/sops-without-decryption ------------------------------------------------------------------------

def _effective_kustomization(cluster: Cluster, ks_id: str) -> KubeObject | None:
    """The Kustomization as the cluster has it: the written (and patched) one over the implicit one."""
    node = cluster.renders.get(ks_id)
    if node is None:
        return None
    if not node.kustomization.implicit:
        return node.kustomization
    kind, namespace, name = ks_id.split("/", 2)
    written = [o for o in cluster.find(kind, namespace, name) if not o.implicit]
    return written[0] if written else None


def _has_decryption(ks: KubeObject) -> bool:
    decryption = ks.get("spec", "decryption")
    return isinstance(decryption, dict) and str(decryption.get("provider") or "sops") == "sops"


def _decrypt_disabled(obj: KubeObject) -> bool:
    return str(obj.annotations().get(DECRYPT_ANNOTATION, "")).lower() == "disabled"


def _encrypted_files(model: RepoModel, cluster: Cluster, ks_id: str) -> list[tuple[str, dict[str, Any]]]:
    """SOPS files a Kustomization renders (objects, and secretGenerator sources), with a sops block each."""
    found: dict[str, dict[str, Any]] = {}
    for obj in cluster.objects:
        if obj.rendered_by == ks_id and not obj.implicit and not _decrypt_disabled(obj):
            meta = sops_metadata(obj.body)
            if meta is not None:
                found.setdefault(obj.path, meta)
    node = cluster.renders.get(ks_id)
    if node and node.build:
        object_files = {o.path for o in cluster.objects if o.rendered_by == ks_id}
        for path in sorted(node.build.files - node.build.kustomization_files - object_files):
            meta = _sops_file_metadata(model, path)
            if meta is not None:
                found.setdefault(path, meta)
    return sorted(found.items())


def _sops_file_metadata(model: RepoModel, path: str) -> dict[str, Any] | None:
    loaded = model.files.get(path)
    if loaded is not None:
        for doc in loaded.docs:
            meta = sops_metadata(doc.root)
            if meta is not None and not (isinstance(doc.root, dict) and doc.root.get("kind")):
                return meta
        return None
    try:
        text = model.snapshot.read(path).decode("utf-8", "replace")
    except (KeyError, OSError):
        return None
    return {"mac": ""} if is_sops_text(text) else None


def _decryption_secret(cluster: Cluster, metas: list[dict[str, Any]]) -> str | None:
    """The key Secret to suggest: what the cluster's other Kustomizations use, else by key type."""
    names: Counter[str] = Counter()
    for obj in cluster.objects:
        if obj.kind == "Kustomization" and obj.is_flux and _has_decryption(obj):
            ref = obj.get("spec", "decryption", "secretRef", "name")
            if isinstance(ref, str) and ref and "${" not in ref:
                names[ref] += 1
    if names:
        return names.most_common(1)[0][0]
    if any(meta.get("pgp") for meta in metas) and not any(meta.get("age") for meta in metas):
        return "sops-gpg"
    return "sops-age"


def _decryption_fix(model: RepoModel, ks: KubeObject, secret: str | None) -> Fix | None:
    spec = ks.get("spec")
    if not isinstance(spec, YMap) or not spec:
        return None
    key_pos = ks.key_pos("spec")
    text = line_text(model, key_pos.path, key_pos.line)
    child_lines = [p.line for p in spec.key_pos.values() if p.path == key_pos.path and p.line > key_pos.line]
    if text is None or not child_lines:
        return None
    content, _comment = _split_comment(text)
    if content.strip() != "spec:":
        return None
    child = line_text(model, key_pos.path, min(child_lines))
    if child is None:
        return None
    indent = indentation(child)
    block = f"{indent}decryption:\n{indent}  provider: sops\n"
    if secret:
        block += f"{indent}  secretRef:\n{indent}    name: {secret}\n"
    return insert_below_fix(key_pos.path, key_pos.line, text, block)


def check_sops_without_decryption(ctx: RuleContext) -> Iterator[Finding]:
    for cluster in ctx.model.clusters:
        for ks_id, node in cluster.renders.items():
            if node.build is None:
                continue
            ks = _effective_kustomization(cluster, ks_id)
            if ks is None or _has_decryption(ks):
                continue
            files = _encrypted_files(ctx.model, cluster, ks_id)
            if not files:
                continue
            paths = [path for path, _ in files]
            secret = _decryption_secret(cluster, [meta for _, meta in files])
            pos = ks.key_pos("spec") if isinstance(ks.get("spec"), dict) else ks.key_pos()
            shown = f"`{paths[0]}`" + (f" and {len(paths) - 1} more SOPS files" if len(paths) > 1 else "")
            yield Finding(
                "secrets/sops-without-decryption", Severity.ERROR, pos.path, pos.line,
                f"{ks.id} renders the SOPS-encrypted {shown} but has no `spec.decryption`: Flux fails on "
                "encrypted Secrets (\"configuring decryption is required\") and applies other kinds with their "
                f"`ENC[...]` values. Add `decryption: {{provider: sops, secretRef: {{name: {secret}}}}}`.",
                object=ks.id, key="spec.decryption",
                fix=_decryption_fix(ctx.model, ks, secret))


SOPS_WITHOUT_DECRYPTION = Rule(
    id="secrets/sops-without-decryption",
    severity=Severity.ERROR,
    summary="A SOPS-encrypted file is rendered by a Kustomization without spec.decryption",
    doc="""
        kustomize-controller decrypts SOPS files only when the Kustomization that
        renders them has `spec.decryption` (after the patches of its parents).
        Without it an encrypted Secret fails the whole Kustomization ("is SOPS
        encrypted, configuring decryption is required"), and other kinds are
        applied with their `ENC[...]` values. secretGenerator files encrypted with
        SOPS count too. Objects annotated `kustomize.toolkit.fluxcd.io/decrypt:
        disabled` are skipped.

        The fix adds the block, with the key Secret the cluster's other
        Kustomizations use (else `sops-age`, or `sops-gpg` for PGP-only files).

        Failing:
            kind: Kustomization
            spec:
              path: ./apps          # holds secret.sops.yaml
              sourceRef: {kind: GitRepository, name: flux-system}

        Passing:
            spec:
              path: ./apps
              decryption:
                provider: sops
                secretRef:
                  name: sops-age
    """,
    check=check_sops_without_decryption,
    fixable=True,
)


# -- secrets/sops-partial -----------------------------------------------------------------------------------

_IDENTITY_KEYS = ("apiVersion", "kind", "metadata")


def check_sops_partial(ctx: RuleContext) -> Iterator[Finding]:
    for path, loaded in ctx.model.files.items():
        for doc in loaded.docs:
            root = doc.root
            if not isinstance(root, YMap) or not is_sops_document(root):
                continue
            label = f"document {doc.index + 1} of {path}" if len(loaded.docs) > 1 else path
            identity = [leaf for leaf in leaves({k: root[k] for k in _IDENTITY_KEYS if k in root})
                        if is_encrypted_value(leaf.value)]
            if identity and ("apiVersion" in root or "kind" in root):
                pos = _doc_pos(root, identity[0].path) or doc.pos
                keys = [field_path(leaf.path) for leaf in identity]
                yield Finding(
                    "secrets/sops-partial", Severity.ERROR, pos.path, pos.line,
                    f"{label} has {_named(keys)} encrypted: kustomize-controller cannot read an object whose "
                    "apiVersion, kind or metadata are encrypted. Re-encrypt it with "
                    "`encrypted_regex: ^(data|stringData)$` in .sops.yaml.",
                    key=f"identity:{doc.index}")
            plain = unencrypted_leaves(root) or []
            identity_paths = {leaf.path for leaf in identity}
            plain = [leaf for leaf in plain if leaf.path not in identity_paths]
            if plain and _has_encrypted_values(root):
                yield _partial_finding(label, root, doc.index, doc.pos, plain)


def _has_encrypted_values(root: YMap) -> bool:
    return any(is_encrypted_value(leaf.value) for leaf in leaves({k: v for k, v in root.items() if k != "sops"}))


def _partial_finding(label: str, root: YMap, index: int, doc_pos: Pos, plain: list[Leaf]) -> Finding:
    pos = _doc_pos(root, plain[0].path) or doc_pos
    keys = [field_path(leaf.path) for leaf in plain]
    return Finding(
        "secrets/sops-partial", Severity.ERROR, pos.path, pos.line,
        f"{label} is SOPS-encrypted but {_named(keys)} {'is' if len(keys) == 1 else 'are'} plain text where "
        "its own encryption rules expect ciphertext: the value was added after encryption, so the file's MAC "
        "no longer matches and decryption fails. Edit the file with `sops` (or re-encrypt it) instead.",
        key=f"plaintext:{index}")


SOPS_PARTIAL = Rule(
    id="secrets/sops-partial",
    severity=Severity.ERROR,
    summary="A SOPS file with encrypted apiVersion/kind/metadata, or plain values beside encrypted ones",
    doc="""
        Two ways a SOPS file breaks:

        - `apiVersion`, `kind` or `metadata` are encrypted (no `encrypted_regex`
          when it was encrypted): kustomize-controller cannot build an object it
          cannot read. Encrypt only `data`/`stringData`.
        - a value that the file's own rules (`encrypted_regex`, `unencrypted_suffix`
          and the others recorded in its `sops:` block) would encrypt is plain
          text: it was added or edited after encryption, outside `sops`. The MAC
          no longer matches, decryption fails, and the value is exposed.

        Failing:
            stringData:
              username: ENC[AES256_GCM,data:...,type:str]
              password: hunter2        # added by hand later
            sops:
              encrypted_regex: ^(data|stringData)$
              mac: ENC[...]

        Passing: edit with `sops secret.sops.yaml`, which encrypts the new value.
    """,
    check=check_sops_partial,
)


# -- secrets/sops-not-covered -------------------------------------------------------------------------------

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


def check_sops_not_covered(ctx: RuleContext) -> Iterator[Finding]:
    configs = load_sops_configs(ctx.model.snapshot)
    if not configs:
        return
    for path, line in sorted(_sops_candidates(ctx.model).items()):
        if is_covered(path, configs) is not False:
            continue
        names = ", ".join(sorted({c.path for c in configs if not c.folder or path.startswith(c.folder + "/")}))
        yield Finding(
            "secrets/sops-not-covered", Severity.WARNING, path, line,
            f"{path} is a SOPS file but no `creation_rules` entry of {names} matches it (`path_regex`): "
            "`sops --encrypt` and `sops updatekeys` cannot pick its keys, so it escapes key rotation and a "
            "plaintext file saved here is not encrypted. Widen a `path_regex`, or move the file.",
            key="creation_rules")


SOPS_NOT_COVERED = Rule(
    id="secrets/sops-not-covered",
    severity=Severity.WARNING,
    summary="A SOPS (or *.sops.*) file that no .sops.yaml creation rule covers",
    doc="""
        `.sops.yaml` `creation_rules` say which keys encrypt which files (the first
        rule whose `path_regex` matches). A SOPS file outside every rule cannot be
        re-encrypted or rotated with `sops updatekeys`, and a new file saved under
        that name is not encrypted by `sops --encrypt --in-place`.

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
    check=check_sops_not_covered,
)


# -- secrets/substitution-in-data ---------------------------------------------------------------------------

def _substituted_data(obj: KubeObject) -> list[str]:
    values = obj.get("data")
    if not isinstance(values, dict):
        return []
    found = []
    for key, value in values.items():
        if isinstance(value, str) and "${" in value and not _BASE64_HINT.search(value):
            found.append(str(key))
    return found


def _stringdata_fix(ctx: RuleContext, obj: KubeObject) -> Fix | None:
    """``data:`` -> ``stringData:`` when every value is one variable (moving base64 literals would be wrong)."""
    values = obj.get("data")
    if not isinstance(values, dict) or "stringData" in obj.body:
        return None
    if not all(isinstance(v, str) and _VARIABLE.match(v.strip()) for v in values.values()):
        return None
    pos = obj.key_pos("data")
    text = line_text(ctx.model, pos.path, pos.line)
    if text is None:
        return None
    content, comment = _split_comment(text)
    if content.strip() != "data:":
        return None
    return Fix(pos.path, pos.line, pos.line, f"{indentation(content)}stringData:{comment}\n")


def check_substitution_in_data(ctx: RuleContext) -> Iterator[Finding]:
    rendered = ctx.model.rendered_files
    for obj in ctx.model.objects:
        if not _is_core_kind(obj, "Secret") or obj.path not in rendered or is_sops_document(obj.body):
            continue
        keys = _substituted_data(obj)
        if not keys:
            continue
        pos = obj.key_pos("data", keys[0])
        yield Finding(
            "secrets/substitution-in-data", Severity.WARNING, pos.path, pos.line,
            f"{obj.id} puts `${{...}}` variables in base64 `data` ({_named(['data.' + k for k in keys])}): "
            "postBuild substitution inserts the variable's plain value, which is not base64, so the Secret "
            "fails to apply or holds the wrong bytes. Put substituted values under `stringData`.",
            object=obj.id, key="data", fix=_stringdata_fix(ctx, obj))


SUBSTITUTION_IN_DATA = Rule(
    id="secrets/substitution-in-data",
    severity=Severity.WARNING,
    summary="${VAR} inside a Secret's base64 data (substitution needs stringData)",
    doc="""
        postBuild substitution replaces `${VAR}` with the variable's text (values
        read from a Secret in `substituteFrom` are decoded first). Under `data`
        Kubernetes expects base64, so the substituted text is rejected ("illegal
        base64 data") or decoded into garbage. Variables whose name says they
        hold base64 (`B64`, `BASE64`) are left alone.

        The fix renames `data:` to `stringData:`, offered only when every value
        under `data` is one `${VAR}` (base64 literals must not move to
        stringData) and the Secret has no `stringData` yet.

        Failing:
            kind: Secret
            data:
              password: ${DB_PASSWORD}

        Passing:
            kind: Secret
            stringData:
              password: ${DB_PASSWORD}
    """,
    check=check_substitution_in_data,
    fixable=True,
)


# -- secrets/credential-in-url ------------------------------------------------------------------------------

_URL_FIELDS = {
    "GitRepository": ("url",),
    "HelmRepository": ("url",),
    "OCIRepository": ("url",),
    "Bucket": ("endpoint",),
    "ImageRepository": ("image",),
    "Provider": ("address", "proxy"),
}
_USERINFO = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<userinfo>[^@/?#\s]*)@(?P<host>[^/?#\s]*)")
_TOKEN_USER = re.compile(r"^(gh[pousr]_|github_pat_|glpat-|[A-Za-z0-9_\-]{32,}$)")
_SECRET_QUERY = re.compile(r"[?&](?P<name>(?:access_|api_|auth_|private_)?(?:token|key|apikey|password|secret|"
                           r"sig|signature|auth))=(?P<value>[^&#]+)", re.I)
_WEBHOOK_PATHS = re.compile(
    r"^https?://(?:hooks\.slack\.com/services/|(?:[\w-]+\.)?discord(?:app)?\.com/api/webhooks/|"
    r"[\w.-]*webhook\.office\.com/|outlook\.office\.com/webhook/|api\.telegram\.org/bot)", re.I)


def url_credential(url: str) -> str | None:
    """What kind of credential a URL carries (a phrase for the message), or None."""
    text = url.strip()
    if not text or "${" in text:
        return None
    match = _USERINFO.match(text)
    if match:
        user, sep, password = match.group("userinfo").partition(":")
        if sep and password:
            return "a password"
        if match.group("scheme").lower() in ("http", "https") and _TOKEN_USER.match(user):
            return "a token"
    query = _SECRET_QUERY.search(text)
    if query and query.group("value").strip() and "${" not in query.group("value"):
        return f"a `{query.group('name')}` query parameter"
    if _WEBHOOK_PATHS.match(text):
        return "the webhook's secret path"
    return None


def _url_host(url: str) -> str:
    match = re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:[^@/?#\s]*@)?(?P<host>[^/?#\s:]*)", url.strip())
    return match.group("host") if match else ""


def check_credential_in_url(ctx: RuleContext) -> Iterator[Finding]:
    for obj in ctx.model.objects:
        if not obj.is_flux or obj.kind not in _URL_FIELDS:
            continue
        for field_name in _URL_FIELDS[obj.kind]:
            value = obj.get("spec", field_name)
            if not isinstance(value, str):
                continue
            what = url_credential(value)
            if what is None:
                continue
            pos = obj.pos("spec", field_name)
            where = "the `secretRef` Secret (key `address`)" if obj.kind == "Provider" else \
                "the Secret named by `spec.secretRef` (`username`/`password` keys)"
            yield Finding(
                "secrets/credential-in-url", Severity.ERROR, pos.path, pos.line,
                f"{obj.id} has {what} in `spec.{field_name}` (host {_url_host(value) or 'unknown'}): "
                f"it is readable in the repository and in events. Move it to {where} and rotate it.",
                object=obj.id, key=f"spec.{field_name}")


CREDENTIAL_IN_URL = Rule(
    id="secrets/credential-in-url",
    severity=Severity.ERROR,
    summary="A token or password inside a source url or a Provider address",
    doc="""
        `https://user:token@host/...` in a GitRepository, HelmRepository or
        OCIRepository `url` (or a Bucket `endpoint`) puts the credential in the
        repository, in the object's status and in events. The same holds for a
        Provider `address` (or `proxy`) that embeds a token: `user:password@`, a `token=` or
        `key=` query parameter, or a webhook URL whose path is the secret (Slack,
        Discord, Teams, Telegram). The message shows the host, never the
        credential. `${VAR}` placeholders are not reported.

        Failing:
            kind: GitRepository
            spec:
              url: https://flux:ghp_xxxxxxxx@github.com/acme/fleet

        Passing:
            spec:
              url: https://github.com/acme/fleet
              secretRef:
                name: github-auth     # username/password keys
    """,
    check=check_credential_in_url,
)


# -- secrets/credential-in-values ---------------------------------------------------------------------------

_CREDENTIAL_NOUNS = ("password", "passwd", "passphrase", "token", "secret", "apikey", "secretaccesskey",
                     "privatekey", "encryptionkey", "signingkey", "clientsecret")
_ALLOWED_KEYS = re.compile(r"^(existingsecret.*|.*secretname|.*secretref|.*secretkeyref|secretkey|.*ref|"
                           r".*existing.*|usesecret|createsecret|.*fromsecret|.*secretfile|.*tokenfile)$")
_SKIP_PARENTS = re.compile(r"^(existingsecret.*|.*secretkeyref|valuefrom|envfrom|secretref|.*ref|annotations|"
                           r"labels|podannotations|podlabels|.*selector|.*existing.*)$")
_PLACEHOLDERS = frozenset((
    "none", "null", "nil", "-", "n/a", "na", "unused", "disabled", "empty", "default", "auto", "generate",
    "generated", "random", "changeme", "change-me", "change_me", "changeit", "password", "secret", "token",
    "xxx", "xxxx", "todo", "tbd", "redacted", "replace-me", "replaceme", "placeholder", "example", "test",
    "true", "false", "yes", "no", "on", "off", "enabled",
))
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@lru_cache(maxsize=4096)
def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def is_credential_key(key: str) -> bool:
    """A values key whose name says it holds a credential (not the name of a Secret holding one)."""
    normal = _normal(key)
    if not normal or _ALLOWED_KEYS.match(normal):
        return False
    return normal.endswith(_CREDENTIAL_NOUNS)


def is_credential_value(key: str, value: Any) -> bool:
    """A literal that looks like a credential: not a placeholder, a reference, a path or a Secret's name."""
    if not isinstance(value, str):
        return False  # numbers, booleans, null, maps and lists
    text = value.strip()
    if len(text) < 4 or text.lower() in _PLACEHOLDERS or is_reference(text) or is_encrypted_value(text):
        return False
    if text.startswith(("/", "./", "~/", "$")) or set(text) <= {"*", "x", "X", "-", "."}:
        return False
    if re.fullmatch(r"[0-9.]+", text) or is_public_material(text):
        return False
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) and url_credential(text) is None:
        return False  # an address, not a credential
    normal = _normal(key)
    return not (normal.endswith("secret") and _looks_like_name(text))


def _looks_like_name(text: str) -> bool:
    """``my-app-secret``: the name of a Secret rather than a secret (dashes or dots between words)."""
    if not _DNS_NAME.match(text) or len(text) > 253:
        return False
    parts = re.split(r"[-.]", text)
    return (len(parts) > 1 and all(re.search(r"[a-z]", p) for p in parts)) or text.isalpha()


def _credential_values(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, display key) of credential-like literals under a values tree."""
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and "value" in node and is_credential_key(name) and is_credential_value(
                name, node.get("value")):
            yield (*path, "value"), f"{field_path(path)} ({name})" if path else name
        for key, value in node.items():
            if isinstance(value, dict | list):
                if not _SKIP_PARENTS.match(_normal(str(key))):
                    yield from _credential_values(value, (*path, key))
            elif isinstance(value, str) and is_credential_key(str(key)) and is_credential_value(str(key), value):
                yield (*path, key), field_path((*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _credential_values(item, (*path, index))


def check_credential_in_values(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_credentials_in_values(ctx))


def _credentials_in_values(ctx: RuleContext) -> Iterator[Finding]:
    for obj in ctx.model.all_objects():
        if obj.kind != "HelmRelease" or not obj.is_flux or obj.implicit:
            continue
        values = obj.get("spec", "values")
        if not isinstance(values, dict):
            continue
        for path, shown in _credential_values(values, ()):
            pos = obj.key_pos("spec", "values", *path)
            yield Finding(
                "secrets/credential-in-values", Severity.WARNING, pos.path, pos.line,
                f"{obj.id} sets `spec.values.{shown}` to a literal that looks like a credential: it is stored "
                "in the repository and in the Helm release Secret history. Move it to a Secret read with "
                "`valuesFrom` (or the chart's `existingSecret`).",
                object=obj.id, key=f"spec.values.{field_path(path)}")


CREDENTIAL_IN_VALUES = Rule(
    id="secrets/credential-in-values",
    severity=Severity.WARNING,
    summary="A credential-like literal in HelmRelease spec.values",
    doc="""
        Helm values are plain text in the repository. A key whose name ends in
        password, passphrase, token, secret, apiKey, privateKey or
        secretAccessKey (or an `env` item `{name: X_PASSWORD, value: ...}`) with a
        literal value is reported.

        Deliberately conservative: not reported are keys that name a Secret or a
        key in one (`existingSecret`, `secretKey`, `*SecretName`, `*Ref`,
        `secretKeyRef`, `valueFrom`), `${VAR}` placeholders, templates, `op://`
        and other secret-manager references, empty values, booleans, numbers,
        paths, plain URLs, placeholders (`none`, `changeme`), and values of
        `*Secret` keys that read like a Secret's name (`my-app-secret`).

        Failing:
            values:
              auth:
                adminPassword: S3cr3t!

        Passing:
            values:
              auth:
                existingSecret: grafana-admin
            valuesFrom:
              - kind: Secret
                name: grafana-admin
                valuesKey: password
                targetPath: auth.adminPassword
    """,
    check=check_credential_in_values,
)


# -- secrets/missing-reference ------------------------------------------------------------------------------

_OUT_OF_BAND = frozenset(("sops-age", "sops-gpg", "sops-keys", "sops-kms", "flux-system"))
_BUILTIN_GROUPS = frozenset(("", "apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io",
                             "autoscaling", "storage.k8s.io", "apiextensions.k8s.io", "kustomize.config.k8s.io"))


class _Producers:
    """What creates Secrets and ConfigMaps in one cluster, by (kind, namespace) and by name alone."""

    def __init__(self, model: RepoModel, cluster: Cluster) -> None:
        self.exact: set[tuple[str, str | None, str]] = set()
        self.names: set[tuple[str, str]] = set()
        self.prefixes: list[tuple[str | None, str]] = []
        for obj in cluster.objects:
            self._add(obj, obj.namespace)
        for obj in model.unrendered_objects():
            self._add(obj, obj.namespace)
            for kind, name in self._produced(obj):
                self.names.add((kind, name))
        self.model = model

    @cached_property
    def mentions(self) -> frozenset[str]:
        return _mentions(self.model)

    def _add(self, obj: KubeObject, namespace: str | None) -> None:
        for kind, name in self._produced(obj):
            self.exact.add((kind, namespace, name))
        if obj.kind == "HelmRelease" or (obj.group not in _BUILTIN_GROUPS and not obj.is_flux and obj.name):
            if obj.kind == "HelmRelease":
                target = obj.get("spec", "targetNamespace")
                release = obj.get("spec", "releaseName") or obj.name
                self.prefixes.append((str(target) if target else namespace, str(release)))
            self.prefixes.append((namespace, obj.name))

    @staticmethod
    def _produced(obj: KubeObject) -> Iterator[tuple[str, str]]:
        kind, name = obj.kind, obj.name
        if kind in ("Secret", "ConfigMap") and obj.api_version == "v1":
            yield kind, name
            return
        if kind in ("ExternalSecret", "ClusterExternalSecret"):
            spec = obj.get("spec", "externalSecretSpec") if kind == "ClusterExternalSecret" else obj.spec
            target = spec.get("target") if isinstance(spec, dict) else None
            target_name = target.get("name") if isinstance(target, dict) else None
            yield "Secret", str(target_name or obj.get("spec", "externalSecretName") or name)
            return
        if kind == "SealedSecret":
            yield "Secret", str(obj.get("spec", "template", "metadata", "name") or name)
            return
        if kind == "Certificate" and obj.get("spec", "secretName"):
            yield "Secret", str(obj.get("spec", "secretName"))
        for key in ("secretName", "configMapName"):
            value = obj.get("spec", "target", key) or obj.get("spec", "destination", key)
            if isinstance(value, str):
                yield ("Secret" if key == "secretName" else "ConfigMap"), value
        if obj.kind == "HelmRelease" or (obj.group not in _BUILTIN_GROUPS and not obj.is_flux):
            # Operators (ObjectBucketClaim, OnePasswordItem, VaultStaticSecret...) often create a
            # Secret or ConfigMap named after their object.
            yield "Secret", name
            yield "ConfigMap", name

    def produces(self, kind: str, namespace: str | None, name: str) -> bool:
        if (kind, namespace, name) in self.exact or (kind, name) in self.names:
            return True
        if any(ns == namespace and (name == prefix or name.startswith(prefix + "-"))
               for ns, prefix in self.prefixes):
            return True
        return name in self.mentions


def _mentions(model: RepoModel) -> frozenset[str]:
    """Words of the repository's scripts and docs: Secrets created out of band are named there."""
    words: set[str] = set()
    object_files = {o.path for o in model.objects}
    for path in model.snapshot.paths():
        if path in object_files or model.snapshot.size(path) > 512 * 1024:
            continue
        name = posixpath.basename(path)
        if not (name.endswith((".sh", ".md", ".txt", ".yaml", ".yml", ".j2", ".tmpl", ".tpl", ".env", ".just",
                               ".hcl", ".toml", ".json", ".nix"))
                or name in ("Taskfile", "Makefile", "Justfile", "justfile", ".envrc")):
            continue
        try:
            text = model.snapshot.read(path).decode("utf-8", "replace")
        except (KeyError, OSError):
            continue
        for word in re.findall(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", text):
            words.add(word)
            words.update(word.split("."))  # `cluster-secrets.yaml` names `cluster-secrets` too
    return frozenset(words)


def _references(obj: KubeObject) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    if obj.kind == "HelmRelease":
        entries, base = obj.get("spec", "valuesFrom"), ("spec", "valuesFrom")
    elif obj.kind == "Kustomization":
        entries, base = obj.get("spec", "postBuild", "substituteFrom"), ("spec", "postBuild", "substituteFrom")
    else:
        return
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield (*base, index), entry


def _optional_fix(ctx: RuleContext, obj: KubeObject, path: tuple[str | int, ...]) -> Fix | None:
    pos = obj.key_pos(*path, "name")
    text = line_text(ctx.model, pos.path, pos.line)
    if text is None:
        return None
    content, _comment = _split_comment(text)
    stripped = content.strip()
    if not stripped.startswith(("name:", "- name:")) or "{" in stripped:
        return None
    indent = indentation(content) + ("  " if stripped.startswith("- ") else "")
    return insert_below_fix(pos.path, pos.line, text, f"{indent}optional: true\n")


def check_missing_reference(ctx: RuleContext) -> Iterator[Finding]:
    return merge_repeats(_missing_references(ctx))


def _missing_references(ctx: RuleContext) -> Iterator[Finding]:
    for cluster in ctx.model.clusters:
        producers: _Producers | None = None
        for obj in cluster.objects:
            if obj.implicit or not obj.is_flux or obj.kind not in ("HelmRelease", "Kustomization"):
                continue
            for path, entry in _references(obj):
                kind, name = str(entry.get("kind") or ""), str(entry.get("name") or "")
                if kind not in ("Secret", "ConfigMap") or not name or "${" in name or name in _OUT_OF_BAND:
                    continue
                if entry.get("optional") is True or str(entry.get("optional")).lower() == "true":
                    continue
                producers = producers or _Producers(ctx.model, cluster)
                if producers.produces(kind, obj.namespace, name):
                    continue
                pos = obj.key_pos(*path, "name")
                field_name = "valuesFrom" if obj.kind == "HelmRelease" else "postBuild.substituteFrom"
                effect = "the HelmRelease fails to reconcile" if obj.kind == "HelmRelease" else \
                    "the Kustomization fails to build"
                yield Finding(
                    "secrets/missing-reference", Severity.WARNING, pos.path, pos.line,
                    f"{obj.id} reads {kind} `{name}` in `spec.{field_name}`, but nothing in this repository "
                    f"creates it in namespace `{obj.namespace}` (no {kind}, SOPS file, ExternalSecret, "
                    f"SealedSecret or generator): {effect} until it exists. Add it, fix the name, or mark the "
                    "entry `optional: true`.",
                    object=obj.id, key=f"{field_name}:{kind}/{name}",
                    fix=_optional_fix(ctx, obj, path))


MISSING_REFERENCE = Rule(
    id="secrets/missing-reference",
    severity=Severity.WARNING,
    summary="valuesFrom or substituteFrom names a Secret/ConfigMap nothing in the repository creates",
    doc="""
        A HelmRelease `valuesFrom` or a Kustomization `postBuild.substituteFrom`
        entry that is not `optional: true` stops the reconciliation while the
        Secret or ConfigMap is absent. Producers looked for, in the same cluster
        and namespace: Secrets and ConfigMaps (SOPS ones included), kustomize
        generators, ExternalSecret (`spec.target.name`, else its name),
        ClusterExternalSecret, SealedSecret, cert-manager Certificate
        (`spec.secretName`), and operator objects named like the reference
        (ObjectBucketClaim, OnePasswordItem...), or a HelmRelease whose release
        name prefixes it (charts create `<release>-...`).

        Secrets created out of band by design are not reported: SOPS keys
        (`sops-age`, `sops-gpg`), the bootstrap `flux-system` Secret, objects
        written in unrendered folders (bootstrap manifests), and names that
        appear in the repository's scripts or docs.

        Failing:
            kind: HelmRelease
            spec:
              valuesFrom:
                - kind: Secret
                  name: grafana-oauth       # nothing creates it

        Passing:
            valuesFrom:
              - kind: Secret
                name: grafana-oauth
                optional: true
    """,
    check=check_missing_reference,
    fixable=True,
)


RULES: list[Rule] = [
    PLAINTEXT_SECRET,
    SOPS_WITHOUT_DECRYPTION,
    SOPS_PARTIAL,
    SOPS_NOT_COVERED,
    SUBSTITUTION_IN_DATA,
    CREDENTIAL_IN_URL,
    CREDENTIAL_IN_VALUES,
    MISSING_REFERENCE,
]
