"""What the tenancy rules share: which tenant a file belongs to, and the Flux objects tenants write.

A tenant owns the files under its ``paths`` (from .github/flux-review.yml);
every tenancy rule starts by asking whose a file or an object is.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.config import Config, Tenant
from checks.model import KubeObject
from checks.repo import RepoModel


def tenant_of(config: Config, path: str) -> Tenant | None:
    """The first tenant whose paths hold ``path``, if any."""
    return next((tenant for tenant in config.tenants if tenant.owns(path)), None)


def tenant_objects(model: RepoModel) -> Iterator[tuple[KubeObject, Tenant]]:
    """Flux objects written in a tenant's paths: as rendered in each cluster (or as written, see
    ``RepoModel.unrendered_judged``)."""
    if not model.config.tenants:
        return
    for obj in model.applied_objects():
        if obj.implicit or not obj.is_flux:
            continue
        tenant = tenant_of(model.config, obj.path)
        if tenant is not None:
            yield obj, tenant
