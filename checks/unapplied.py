"""Files kustomize never sends to the API server, in a repository no cluster of its own renders.

A tenant or application repository is applied by another repository's
Kustomization, so no cluster here says which files are live; its objects are
judged as written. Its kustomization.yaml files still say what a build sends:
a strategic-merge patch file is read to change another object, not applied
itself, and a manifest beside a kustomization.yaml that does not list it is
never built (kustomize reads only what the file names). Those files are not
judged as objects a cluster applies; everything else still is.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from checks.kustomize import Kustomizer
from checks.model import KubeObject


def never_applied(objects: Iterable[KubeObject], kustomizer: Kustomizer) -> frozenset[str]:
    """Paths of written objects that no kustomization.yaml of their folder would apply."""
    by_folder: dict[str, list[str]] = {}
    for obj in objects:
        by_folder.setdefault(posixpath.dirname(obj.path), []).append(obj.path)
    skipped: set[str] = set()
    patches: set[str] = set()
    for folder, paths in by_folder.items():
        if kustomizer.kustomization_file(folder) is None:
            continue  # a plain folder: Flux generates a kustomization.yaml that takes every manifest
        build = kustomizer.build_folder(folder)
        built = {rendered.path for rendered in build.objects}
        patches |= build.files - built - build.kustomization_files
        skipped.update(path for path in paths if path not in built)
    return frozenset(skipped | (patches - _applied_anywhere(by_folder, kustomizer)))


def _applied_anywhere(by_folder: dict[str, list[str]], kustomizer: Kustomizer) -> set[str]:
    """Files some plain folder applies as they are (a patch file can be a manifest elsewhere)."""
    return {path for folder, paths in by_folder.items() if kustomizer.kustomization_file(folder) is None
            for path in paths}
