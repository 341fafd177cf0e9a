"""The files of many folders' builds, listed without rendering: the same set as the full builds."""

from __future__ import annotations

import textwrap

from checks.kustomize import Kustomizer
from checks.kustomize_files import FileLister
from checks.source import RepoSnapshot
from checks.yaml_docs import load_yaml

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"

FILES = {
    "apps/kustomization.yaml": """
        namespace: apps
        namePrefix: p-
        resources:
          - ./base
          - one.yaml
          - https://github.com/example/remote//deploy
        components:
          - ../components/common
        patches:
          - path: patch.yaml
          - patch: |
              kind: ConfigMap
              metadata:
                name: one
              data: {x: y}
        configMapGenerator:
          - name: settings
            files: [settings.env]
    """,
    "apps/one.yaml": CM.format(name="one"),
    "apps/patch.yaml": CM.format(name="one") + "data:\n  a: b\n",
    "apps/settings.env": "A=1\n",
    "apps/base/kustomization.yaml": "resources:\n  - two.yaml\n  - ../../shared\n",
    "apps/base/two.yaml": CM.format(name="two"),
    "apps/unlisted.yaml": CM.format(name="unlisted"),
    "components/common/kustomization.yaml": "kind: Component\nresources:\n  - extra.yaml\n",
    "components/common/extra.yaml": CM.format(name="extra"),
    "shared/kustomization.yaml": "resources:\n  - three.yaml\n  - ../apps/base\n",  # a cycle through apps/base
    "shared/three.yaml": CM.format(name="three"),
    "plain/a.yaml": CM.format(name="a"),
    "plain/deeper/b.yaml": CM.format(name="b"),
    "plain/kbase/kustomization.yaml": "resources:\n  - c.yaml\n",
    "plain/kbase/c.yaml": CM.format(name="c"),
    "plain/kbase/d.yaml": CM.format(name="not-listed"),
}


def _snapshot() -> RepoSnapshot:
    return RepoSnapshot.from_mapping({path: textwrap.dedent(text) for path, text in FILES.items()})


def _full_builds(snapshot: RepoSnapshot, folders: list[str]) -> set[str]:
    kustomizer = Kustomizer(snapshot, lambda path: load_yaml(path, snapshot.read(path)))
    files: set[str] = set()
    for folder in folders:
        files |= kustomizer.build_folder(folder).files
    return files


def _listed(snapshot: RepoSnapshot, folders: list[str]) -> set[str]:
    return FileLister(snapshot, lambda path: load_yaml(path, snapshot.read(path))).files_of(folders)


def test_the_files_of_every_kind_of_reference_are_listed() -> None:
    snapshot = _snapshot()
    assert _listed(snapshot, ["apps"]) == {
        "apps/kustomization.yaml", "apps/one.yaml", "apps/patch.yaml", "apps/settings.env",
        "apps/base/kustomization.yaml", "apps/base/two.yaml", "components/common/kustomization.yaml",
        "components/common/extra.yaml", "shared/kustomization.yaml", "shared/three.yaml",
    }


def test_a_folder_without_a_kustomization_file_is_walked_as_flux_walks_it() -> None:
    assert _listed(_snapshot(), ["plain"]) == {
        "plain/a.yaml", "plain/deeper/b.yaml", "plain/kbase/kustomization.yaml", "plain/kbase/c.yaml"}


def test_the_union_equals_that_of_the_full_builds_whatever_the_folders_and_their_order() -> None:
    snapshot = _snapshot()
    folders = ["apps", "apps/base", "shared", "plain", "plain/kbase", "components/common", "plain/deeper", ""]
    for count in range(1, len(folders) + 1):
        chosen = folders[:count]
        assert _listed(snapshot, chosen) == _full_builds(snapshot, chosen), chosen
        assert _listed(snapshot, chosen[::-1]) == _full_builds(snapshot, chosen[::-1]), chosen


def test_a_folder_asked_twice_is_listed_once_without_losing_files() -> None:
    snapshot = _snapshot()
    lister = FileLister(snapshot, lambda path: load_yaml(path, snapshot.read(path)))
    first = lister.files_of(["apps"])
    assert first and lister.files_of(["apps"]) == set()  # already counted in the first answer
    assert lister.files_of(["shared"]) == set()  # reached through apps/base
