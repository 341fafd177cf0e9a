"""structure: whether the repository is something Flux can render at all.

Broken YAML, paths and resources that lead nowhere, `${VAR}`s no postBuild
supplies, duplicate objects and namespaces, files no cluster renders, and
changes that make Flux uninstall a Helm release.
"""
