"""secrets/sops-partial: a SOPS file whose identity is encrypted, or with plain values beside encrypted ones.

kustomize-controller cannot build an object whose apiVersion, kind or
metadata it cannot read. A value the file's own rules (recorded in its
``sops:`` block) would encrypt but that is plain was added after encryption:
the MAC no longer matches and decryption fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.findings import Finding, Severity
from checks.model import field_path
from checks.rules.base import Rule, RuleContext
from checks.rules.secrets._shared import named_keys
from checks.sops import Leaf, is_encrypted_value, is_sops_document, leaves, unencrypted_leaves
from checks.yaml_docs import Pos, YMap, YSeq

RULE = Rule(
    id="secrets/sops-partial",
    severity=Severity.ERROR,
    summary="A SOPS file with encrypted apiVersion/kind/metadata, or plain values beside encrypted ones",
    fixable=False,
    needs_base=False,
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
)


@RULE.implementation
def check(ctx: RuleContext) -> Iterator[Finding]:
    """Each SOPS document: an encrypted identity, then plain values its own rules would have encrypted."""
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
                    f"{label} has {named_keys(keys)} encrypted: kustomize-controller cannot read an object whose "
                    "apiVersion, kind or metadata are encrypted. Re-encrypt it with "
                    "`encrypted_regex: ^(data|stringData)$` in .sops.yaml.",
                    key=f"identity:{doc.index}")
            plain = unencrypted_leaves(root) or []
            identity_paths = {leaf.path for leaf in identity}
            plain = [leaf for leaf in plain if leaf.path not in identity_paths]
            if plain and _has_encrypted_values(root):
                yield _partial_finding(label, root, doc.index, doc.pos, plain)


_IDENTITY_KEYS = ("apiVersion", "kind", "metadata")


def _has_encrypted_values(root: YMap) -> bool:
    return any(is_encrypted_value(leaf.value) for leaf in leaves({k: v for k, v in root.items() if k != "sops"}))


def _partial_finding(label: str, root: YMap, index: int, doc_pos: Pos, plain: list[Leaf]) -> Finding:
    pos = _doc_pos(root, plain[0].path) or doc_pos
    keys = [field_path(leaf.path) for leaf in plain]
    return Finding(
        "secrets/sops-partial", Severity.ERROR, pos.path, pos.line,
        f"{label} is SOPS-encrypted but {named_keys(keys)} {'is' if len(keys) == 1 else 'are'} plain text where "
        "its own encryption rules expect ciphertext: the value was added after encryption, so the file's MAC "
        "no longer matches and decryption fails. Edit the file with `sops` (or re-encrypt it) instead.",
        key=f"plaintext:{index}")


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

