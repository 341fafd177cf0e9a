"""secrets: credentials in plain text, SOPS files Flux cannot decrypt,
and references to Secrets and ConfigMaps that nothing creates.

Every message names the object and the key, never a value: findings are
printed in CI logs and posted on pull requests.

Look-alikes that are not leaks are left alone: SOPS ``ENC[...]`` values,
``${VAR}`` placeholders (postBuild substitution), secret-manager references
(``op://``, ``vault:``, ``ref+...``, ``akv://``, AWS and GCP secret manager
names, ``<path:...>``), templates (``{{ .x }}``), empty values, and public
material (certificates, public keys, SSH ``known_hosts``, age recipients).
"""
