"""Which files the builds of many folders read, without rendering a single object.

structure/unrendered-file asks it of every live Kustomization's folder: only the
set of files matters there, never the objects, their patches or namespaces. The
files a build reads depend on the folders and the kustomization files alone
(resources, bases, components, generators' sources, patch files), so each
kustomization file and each generated folder is followed once for the whole
set of folders, where building every folder in full renders shared bases again
and applies every patch for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from checks.kustomize import Build, InlinePatches, Kustomizer, Patch
from checks.source import RepoSnapshot
from checks.yaml_docs import Pos, YamlFile, YMap


class FileLister(Kustomizer):
    """A ``Kustomizer`` that records the files of its builds and renders nothing.

    The same walk as ``Kustomizer.build_folder`` (it is that walk, with the object work left
    out), so the union of its files is the union of the files of the full builds.
    """

    def __init__(self, snapshot: RepoSnapshot, load: Callable[[str], YamlFile],
                 ignored: Callable[[str], bool] = lambda path: False) -> None:
        super().__init__(snapshot, load, ignored)
        self._followed: set[str] = set()  # kustomization files already walked
        self._walked: set[str] = set()  # folders without one, already walked

    def files_of(self, folders: Iterable[str]) -> set[str]:
        """Every file the build of any of ``folders`` reads."""
        files: set[str] = set()
        for folder in folders:
            files |= self.build_folder(folder).files
        return files

    def build_folder(self, folder: str, patches: list[Patch | InlinePatches] | None = None,  # type: ignore[override]
                     components: list[tuple[str, Pos]] | None = None, target_namespace: str | None = None,
                     target_pos: Pos | None = None, ignored: Callable[[str], bool] | None = None) -> Build:
        if folder in self._walked:
            return Build()
        self._walked.add(folder)
        return super().build_folder(folder, patches, components, None, None, ignored)

    def _build_kfile(self, kfile: str, stack: tuple[str, ...], accumulated: Build | None,
                     extra_patches: list[Patch | InlinePatches], extra_components: list[tuple[str, Pos]],
                     target_namespace: str | None, target_pos: Pos | None) -> Build:
        if kfile in self._followed:  # its files are in the build that followed it first
            return accumulated if accumulated is not None else Build()
        self._followed.add(kfile)
        return super()._build_kfile(kfile, stack, accumulated, [], extra_components, None, None)

    def _add_file(self, build: Build, path: str, generated: bool) -> None:
        build.files.add(path)

    def _add_generated(self, build: Build, doc: YMap, folder: str, kfile: str) -> None:
        super()._add_generated(build, doc, folder, kfile)
        build.objects.clear()  # only the files the generators read count

    def _patch_file(self, folder: str, entry: str, pos: Pos, selector: object, build: Build) -> list[Patch]:
        super()._patch_file(folder, entry, pos, None, build)  # records the file; its patches are not applied
        return []

    def _apply_patches(self, build: Build, patches: list[Patch | InlinePatches]) -> None:
        return None
