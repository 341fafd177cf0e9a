"""structure: whether the repository is something Flux can render at all.

Broken YAML, paths and resources that lead nowhere, `${VAR}`s no postBuild
supplies, duplicate objects and namespaces, files no cluster renders,
settings that quietly stop convergence (a forgotten suspend, prune
disabled), changes that make Flux uninstall a Helm release, and inline
suppressions that silence nothing.

Each check reads the repository model (``checks.repo``): rendered objects per
cluster where resolution matters (namespaces, substitution variables,
duplicates), every object as written for what needs no cluster. Problems the
model notices itself while loading and rendering (invalid YAML, duplicate
keys, missing resources, files too large) are reported as it found them.
"""
