"""What the secrets rule tests share: a SOPS-encrypted Secret, the Kustomization of ./apps, a HelmRelease's values.

Several rules read the same files from different sides (a SOPS Secret is
what sops-partial checks, what sops-without-decryption needs decrypted and
what missing-reference counts as a producer), so they are written once.
"""

from __future__ import annotations

import textwrap

from rule_support import flux_object, kustomization

ENC = "ENC[AES256_GCM,data:Zm9vYmFy,iv:aXZpdml2,tag:dGFndGFn,type:str]"
SOPS_BLOCK = f"""\
sops:
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdl
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2025-01-01T00:00:00Z"
  mac: {ENC}
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
"""

APPS = kustomization()

APPS_DECRYPTED = APPS + """\
  decryption:
    provider: sops
    secretRef:
      name: sops-age
"""


def secret(body: str, name: str = "app") -> str:
    """A core Secret ``name`` in namespace default; ``body`` is what follows its metadata."""
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: default\n" + body


SOPS_SECRET = secret(f"stringData:\n  password: {ENC}\n" + SOPS_BLOCK)


def release(values: str) -> str:
    """A HelmRelease app/default whose ``spec.values`` hold the given YAML (they start on line 12)."""
    spec = "interval: 15m\nchartRef:\n  kind: OCIRepository\n  name: app\nvalues:\n"
    return flux_object("HelmRelease", "app", spec + textwrap.indent(textwrap.dedent(values), "  "), "default")
