"""tenancy: what a tenant's manifests may not do under Flux's multi-tenancy lockdown.

They run only when .github/flux-review.yml declares ``tenants`` (a name, the
paths the tenant owns, and optionally its namespaces and service account).
An object belongs to a tenant when the file it is written in lies in one of
the tenant's paths. The lockdown flags (``--no-cross-namespace-refs``,
``--no-remote-bases``, ``--default-service-account``) live on the
controllers, outside the repository, so these rules speak of what the
manifests would do once they are set.
"""
