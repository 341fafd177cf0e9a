"""dependency: what waits for what, and whether it ever can.

Flux's ``dependsOn`` only reaches objects of the dependent's own kind
(Kustomizations wait for Kustomizations, HelmReleases for HelmReleases); a
missing namespace means the dependent's own. Every reference is resolved in
the cluster that renders the dependent, after patches; objects no cluster
renders are not checked here, because what exists beside them is unknown.
"""
