"""api-version: apiVersions and fields that the configured Flux version no longer serves.

Flux removes a beta API version from its CRDs some releases after the GA
version ships; from then on the API server rejects a manifest written in it
("no matches for kind"), so the whole Kustomization that applies it fails.
Fields that the GA versions dropped fail the same way under strict decoding.
These rules read objects as written (``ctx.model.objects``, one per
document, since the text of the file is what a fix edits), but only those a
cluster applies: a file no cluster renders never reaches the API server
(``RepoModel.unrendered_judged``).
"""
