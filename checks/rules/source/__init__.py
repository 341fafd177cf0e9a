"""source: references to sources, how sources pick a revision, and how they reach their servers.

References are resolved per cluster in the rendered objects: a source that
only another cluster (or no Kustomization) renders does not exist for the
objects of this cluster. Bootstrap sources (`flux-system` GitRepository or
OCIRepository) always exist, and ArtifactGenerators produce the
ExternalArtifacts named in their ``spec.artifacts``.
"""
