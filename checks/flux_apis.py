"""Which API versions each Flux release serves: when a version arrived and when it went.

Two facts about every object a cluster applies follow from its apiVersion:
the release that removed that version (the cluster runs something older, or
the object is rejected) and the release that introduced it (the cluster runs
that release or newer). The rules judge objects against the Flux a cluster
runs; the layout uses the same facts to infer that version when the
repository names none. Sources: the flux2 release notes (2.0 promoted
GitRepository, Kustomization and Receiver to v1; 2.3 HelmRelease v2 and
HelmRepository/HelmChart v1; 2.6 OCIRepository v1) and flux2 issues #5474,
#5711 and #5942 with the 2.7 release blog for the removals.
"""

from __future__ import annotations

# The version each Flux kind should be written in (Flux 2.9).
CURRENT_API_VERSIONS: dict[str, str] = {
    "GitRepository": "source.toolkit.fluxcd.io/v1",
    "HelmRepository": "source.toolkit.fluxcd.io/v1",
    "HelmChart": "source.toolkit.fluxcd.io/v1",
    "Bucket": "source.toolkit.fluxcd.io/v1",
    "OCIRepository": "source.toolkit.fluxcd.io/v1",
    "Kustomization": "kustomize.toolkit.fluxcd.io/v1",
    "HelmRelease": "helm.toolkit.fluxcd.io/v2",
    "Alert": "notification.toolkit.fluxcd.io/v1beta3",
    "Provider": "notification.toolkit.fluxcd.io/v1beta3",
    "Receiver": "notification.toolkit.fluxcd.io/v1",
    "ImageRepository": "image.toolkit.fluxcd.io/v1",
    "ImagePolicy": "image.toolkit.fluxcd.io/v1",
    "ImageUpdateAutomation": "image.toolkit.fluxcd.io/v1",
}

# Alpha versions went away before Flux 2.0: gone whatever release a cluster runs.
BEFORE_GA = (2, 0)

# The Flux release whose CRDs dropped each version. "2.0" stands for "already gone in every 2.x".
REMOVED_IN: dict[str, tuple[int, int]] = {
    "source.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "source.toolkit.fluxcd.io/v1beta1": (2, 7),
    "source.toolkit.fluxcd.io/v1beta2": (2, 8),
    "kustomize.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "kustomize.toolkit.fluxcd.io/v1beta1": (2, 7),
    "kustomize.toolkit.fluxcd.io/v1beta2": (2, 8),
    "helm.toolkit.fluxcd.io/v2alpha1": BEFORE_GA,
    "helm.toolkit.fluxcd.io/v2beta1": (2, 7),
    "helm.toolkit.fluxcd.io/v2beta2": (2, 8),
    "notification.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "notification.toolkit.fluxcd.io/v1beta1": (2, 7),
    "notification.toolkit.fluxcd.io/v1beta2": (2, 9),
    "image.toolkit.fluxcd.io/v1alpha1": BEFORE_GA,
    "image.toolkit.fluxcd.io/v1alpha2": BEFORE_GA,
    "image.toolkit.fluxcd.io/v1beta1": (2, 7),
    "image.toolkit.fluxcd.io/v1beta2": (2, 9),
}

# The first release that serves a GA version, per kind. Only what the release notes state is
# listed; a kind missing here is never judged "too new".
INTRODUCED_IN: dict[tuple[str, str], tuple[int, int]] = {
    ("source.toolkit.fluxcd.io/v1", "GitRepository"): (2, 0),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): (2, 0),
    ("notification.toolkit.fluxcd.io/v1", "Receiver"): (2, 0),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"): (2, 3),
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"): (2, 3),
    ("source.toolkit.fluxcd.io/v1", "HelmChart"): (2, 3),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"): (2, 6),
}


def removed_in(api_version: str, kind: str, target: tuple[int, int]) -> tuple[int, int] | None:
    """The release that removed ``api_version`` for ``kind``, if it is at or before ``target``."""
    if kind not in CURRENT_API_VERSIONS:
        return None
    removed = REMOVED_IN.get(api_version)
    return removed if removed is not None and (removed <= target or removed == BEFORE_GA) else None


def removal(api_version: str, kind: str) -> tuple[int, int] | None:
    """The release that removes ``api_version`` of a Flux ``kind`` (past or future), if any."""
    return REMOVED_IN.get(api_version) if kind in CURRENT_API_VERSIONS else None


def introduced_in(api_version: str, kind: str) -> tuple[int, int] | None:
    """The first release serving ``api_version`` for ``kind``, where the release notes say so."""
    return INTRODUCED_IN.get((api_version, kind))


def release_text(release: tuple[int, int]) -> str:
    return f"{release[0]}.{release[1]}"
