"""A child Kustomization's ${VAR} path, resolved with its parent's postBuild variables where the repository
shows them."""

from __future__ import annotations

import base64

from rule_support import resource_set, snapshot

from checks.config import Config
from checks.repo import RepoModel, build_model

PARENT = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./kubernetes/main/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{post_build}"""

CHILD = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cilium
  namespace: flux-system
spec:
  interval: 10m
  path: ./kubernetes/${CLUSTER}/cilium
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER: main
"""


def _model(post_build: str, **extra: str) -> RepoModel:
    files = {
        "kubernetes/main/flux/cluster-apps.yaml": PARENT.format(post_build=post_build),
        "kubernetes/main/apps/cilium.yaml": CHILD,
        "kubernetes/main/cilium/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cilium-settings\n",
    }
    files.update({f"kubernetes/main/apps/{name}.yaml": text for name, text in extra.items()})
    return build_model(snapshot(files), Config())


def _cilium(model: RepoModel) -> tuple[str | None, bool]:
    node = model.clusters[0].renders["Kustomization/flux-system/cilium"]
    return node.folder, node.external


def _missing(model: RepoModel) -> list[str]:
    return [p.path for p in model.problems if p.rule == "structure/path-missing"]


def test_an_inline_variable_names_the_folder() -> None:
    model = _model("  postBuild:\n    substitute:\n      CLUSTER: main\n")
    assert _cilium(model) == ("kubernetes/main/cilium", False) and _missing(model) == []


def test_a_plain_configmap_names_the_folder_and_inline_values_win() -> None:
    from_settings = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
    assert _cilium(_model(from_settings, settings=SETTINGS)) == ("kubernetes/main/cilium", False)
    both = from_settings + "    substitute:\n      CLUSTER: other\n"
    model = _model(both, settings=SETTINGS)
    assert _missing(model) == ["kubernetes/main/apps/cilium.yaml"]  # kubernetes/other/cilium does not exist
    [problem] = [p for p in model.problems if p.rule == "structure/path-missing"]
    assert "`spec.path: ./kubernetes/${CLUSTER}/cilium` (`./kubernetes/other/cilium` once its parent's" in \
        problem.message


def test_a_secret_is_read_from_its_base64_data() -> None:
    secret = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\n"
              f"data:\n  CLUSTER: {base64.b64encode(b'main').decode()}\n")
    from_secret = "  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n"
    assert _cilium(_model(from_secret, secrets=secret)) == ("kubernetes/main/cilium", False)


def test_a_variable_from_a_source_the_repository_does_not_show_is_unknown_not_missing() -> None:
    generated = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: generated-settings\n"
    model = _model(generated)
    assert _cilium(model) == (None, True) and _missing(model) == []
    encrypted = SETTINGS.replace("data:\n  CLUSTER: main\n",
                                 "data:\n  CLUSTER: ENC[AES256_GCM,data:x]\nsops:\n  mac: x\n")
    model = _model(generated.replace("generated-settings", "cluster-settings"), settings=encrypted)
    assert _cilium(model) == (None, True) and _missing(model) == []


def test_without_postbuild_the_path_stays_literal_and_is_missing() -> None:
    model = _model("")
    assert _missing(model) == ["kubernetes/main/apps/cilium.yaml"]


def test_an_optional_source_that_does_not_exist_leaves_the_other_variables_certain() -> None:
    optional = ("  postBuild:\n    substitute:\n      OTHER: x\n    substituteFrom:\n"
                "      - kind: ConfigMap\n        name: absent\n        optional: true\n"
                "      - kind: ConfigMap\n        name: cluster-settings\n")
    assert _cilium(_model(optional, settings=SETTINGS)) == ("kubernetes/main/cilium", False)


def test_a_configmap_a_resourceset_makes_is_read_unless_flux_operator_copies_its_data_in() -> None:
    from_settings = "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n"
    template = """
        resources:
          - apiVersion: v1
            kind: ConfigMap
            metadata:
              name: cluster-settings
              namespace: flux-system
              annotations: {annotations}
            data:
              CLUSTER: main
    """
    made = resource_set(template.format(annotations="{}"))
    assert _cilium(_model(from_settings, settings=made)) == ("kubernetes/main/cilium", False)
    copied = resource_set(template.format(annotations="{fluxcd.controlplane.io/copyFrom: flux-system/runtime-info}"))
    model = _model(from_settings, settings=copied)
    assert _cilium(model) == (None, True) and _missing(model) == []
