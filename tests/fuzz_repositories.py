"""Random Flux repositories for the fuzz tests: real shapes with hostile details.

A repository is drawn as a handful of folders (cluster folders, apps,
infrastructure, odd names) and files in them: Flux Kustomizations whose
paths climb, are absolute, point at themselves or at each other; kustomize
files with random resources, patches and components; HelmReleases, sources,
Secrets with SOPS blocks, ResourceSets, FluxInstances, alerts; ``.sourceignore``
files with random globs and ``.sops.yaml`` files with random regular
expressions. Objects are drawn as data and written as YAML, and some files
are then mutated as bytes, so both well-formed and broken files reach the engine.
"""

from __future__ import annotations

from typing import Any

import yaml
from fuzz_support import MAX_FILE_BYTES, mutate, mutations
from hypothesis import strategies as st

# Folder names that collide on purpose, plus names a Git tree may hold and a tool may choke on.
FOLDER_NAMES = ("clusters", "prod", "staging", "apps", "infra", "base", "overlays", "flux-system", "components",
                "kubernetes", "podinfo", "a b", "ünïcödé", "x\udcff", ".archive", "deploy", "${CLUSTER}", "-")
FILE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization", "ks.yaml", "helmrelease.yaml",
              "secret.sops.yaml", "app.yaml", "gotk-sync.yaml", "gotk-components.yaml", "patch.yaml",
              "values.yaml", "repo.yaml", ".sourceignore", ".sops.yaml", "x.yml", "weird \udcfe.yaml")
API_VERSIONS = {
    "Kustomization": ("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2",
                      "kustomize.toolkit.fluxcd.io/v1beta1", "kustomize.config.k8s.io/v1beta1"),
    "HelmRelease": ("helm.toolkit.fluxcd.io/v2", "helm.toolkit.fluxcd.io/v2beta2", "helm.toolkit.fluxcd.io/v2beta1"),
    "GitRepository": ("source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2",
                      "source.toolkit.fluxcd.io/v1beta1"),
    "OCIRepository": ("source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"),
    "HelmRepository": ("source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"),
    "Bucket": ("source.toolkit.fluxcd.io/v1",),
    "Alert": ("notification.toolkit.fluxcd.io/v1beta3", "notification.toolkit.fluxcd.io/v1beta1"),
    "Provider": ("notification.toolkit.fluxcd.io/v1beta3", "notification.toolkit.fluxcd.io/v1beta2"),
    "ResourceSet": ("fluxcd.controlplane.io/v1",),
    "FluxInstance": ("fluxcd.controlplane.io/v1",),
    "Secret": ("v1",),
    "ConfigMap": ("v1",),
    "Namespace": ("v1",),
    "CustomResourceDefinition": ("apiextensions.k8s.io/v1",),
    "Deployment": ("apps/v1",),
}
NAMES = ("flux-system", "apps", "infra", "podinfo", "a", "b", "cluster", "", "${NAME}", "x" * 300, "UPPER")
NAMESPACES = (None, "flux-system", "default", "apps", "${NS}", "")
DURATIONS = ("10m", "1m", "0s", "1h", "5s", "-1m", "1h30m", "abc", "10", 10, None, "1.5h", "999999999h", "1ms", "")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=40), st.sampled_from(("${VAR}", "$VAR", "${VAR:-x}", "${", "${ x}", "<<",
                                                           "<< inputs.name >>", "ENC[AES256_GCM,data:x,type:str]",
                                                           "git@github.com:org/repo.git", "~", "*", "..")))
# Paths as written in spec.path and kustomize resources: climbing, absolute, self, empty, variables, URLs.
PATH_PIECES = ("..", ".", "", "/", "clusters", "prod", "apps", "infra", "base", "flux-system", "components",
               "overlays", "kubernetes", "a b", "${CLUSTER}", "~", "*", "app.yaml", "kustomization.yaml",
               "github.com", "https:", "?ref=v1", "\\")

values = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@st.composite
def written_path(draw: st.DrawFn) -> Any:
    """A path as a user might write it, or something that is not a path at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=2),
                              st.sampled_from(("https://github.com/org/repo//path?ref=main",
                                               "github.com/org/repo/base?ref=v1", "oci://ghcr.io/x", "C:\\x"))))
    if draw(st.booleans()):
        return draw(st.sampled_from(("./", "", "/", "../"))) + draw(folder())  # often a folder that exists
    pieces = draw(st.lists(st.sampled_from(PATH_PIECES), max_size=6))
    prefix = draw(st.sampled_from(("", "./", "/", "../", "./../")))
    return prefix + "/".join(pieces)


def obj(kind: str, api_version: str, name: Any, namespace: Any, spec: Any = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    body: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if spec is not None:
        body["spec"] = spec
    body.update(extra)
    return body


def maybe(draw: st.DrawFn, value: Any, chance: int = 2) -> Any:
    """``value``, or (one time in ``chance``) nothing."""
    return value if draw(st.integers(0, chance - 1)) else None


def pruned(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


@st.composite
def source_ref(draw: st.DrawFn) -> Any:
    return pruned({"kind": maybe(draw, draw(st.sampled_from(("GitRepository", "OCIRepository", "Bucket",
                                                             "HelmRepository", "ExternalArtifact", "Nope", "")))),
                   "name": draw(st.one_of(st.just("flux-system"), st.sampled_from(NAMES))),
                   "namespace": maybe(draw, draw(st.sampled_from(NAMESPACES)))})


@st.composite
def depends_on(draw: st.DrawFn) -> Any:
    return draw(st.lists(st.one_of(
        st.builds(lambda n, ns: pruned({"name": n, "namespace": ns}), st.sampled_from(NAMES),
                  st.sampled_from(NAMESPACES)),
        st.sampled_from(NAMES), st.none()), max_size=3))


@st.composite
def patch_entry(draw: st.DrawFn) -> Any:
    """A kustomize or Flux patch: inline (strategic merge or JSON 6902) or a file, with a random target."""
    target = pruned({
        "kind": maybe(draw, draw(st.sampled_from(("Kustomization", "HelmRelease", "Deployment", ".*", "(", "*")))),
        "name": maybe(draw, draw(st.sampled_from(("podinfo", ".*", "a|b", "(a+)+$", "[", "x{1000}", "(?=x)")))),
        "labelSelector": maybe(draw, draw(st.sampled_from(("app=x", "!!!", "a in (b)", ""))), 3),
        "group": maybe(draw, "kustomize.toolkit.fluxcd.io", 3),
        "namespace": maybe(draw, draw(st.sampled_from(NAMESPACES)), 3),
    })
    body = draw(st.sampled_from((
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: not-used\n"
        "spec:\n  interval: 1m\n  decryption:\n    provider: sops\n",
        "- op: add\n  path: /spec/interval\n  value: 5m\n",
        "- op: replace\n  path: /spec/values/~1x/0\n  value: {a: 1}\n",
        "- op: remove\n  path: /metadata\n", "- op: move\n  from: /spec\n  path: /spec/x\n",
        "- op: copy\n  from: /nope\n  path: /spec\n", "- op: test\n  path: /\n  value: 1\n",
        "- {op: add, path: '/spec/postBuild/substitute/${X}', value: y}\n",
        "$patch: delete\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "kind: [\n", "", "null", "- 1\n- 2\n", "a: &a [*a]\n",
    )))
    body = mutate(body.encode(), draw(mutations)).decode("utf-8", "replace") if draw(st.booleans()) else body
    if draw(st.integers(0, 3)) == 0:
        return pruned({"path": draw(written_path()), "target": target or None})
    return pruned({"patch": body, "target": target or None})


@st.composite
def flux_kustomization(draw: st.DrawFn) -> dict[str, Any]:
    spec = pruned({
        "interval": maybe(draw, draw(st.sampled_from(DURATIONS)), 4),
        "retryInterval": maybe(draw, draw(st.sampled_from(DURATIONS))),
        "timeout": maybe(draw, draw(st.sampled_from(DURATIONS))),
        "path": maybe(draw, draw(written_path()), 6),
        "prune": maybe(draw, draw(st.sampled_from((True, False, "yes", None)))),
        "suspend": maybe(draw, draw(st.booleans()), 3),
        "sourceRef": maybe(draw, draw(source_ref()), 6),
        "dependsOn": maybe(draw, draw(depends_on())),
        "targetNamespace": maybe(draw, draw(st.sampled_from(NAMESPACES)), 3),
        "serviceAccountName": maybe(draw, "deployer", 3),
        "patches": maybe(draw, draw(st.lists(patch_entry(), max_size=3))),
        "components": maybe(draw, draw(st.lists(written_path(), max_size=2)), 3),
        "decryption": maybe(draw, {"provider": "sops", "secretRef": {"name": "sops-age"}}),
        "postBuild": maybe(draw, pruned({
            "substitute": maybe(draw, draw(st.dictionaries(st.sampled_from(("NAME", "NS", "CLUSTER", "bad-name",
                                                                            "", "1X")), SCALARS, max_size=3))),
            "substituteFrom": maybe(draw, [{"kind": draw(st.sampled_from(("ConfigMap", "Secret", "X"))),
                                            "name": draw(st.sampled_from(NAMES)), "optional": draw(st.booleans())}]),
        })),
        "healthChecks": maybe(draw, [{"kind": "Deployment", "name": "x", "namespace": "y"}], 4),
        "healthCheckExprs": maybe(draw, [{"apiVersion": "x/v1", "kind": "X", "current": "status.ok"}], 4),
        "wait": maybe(draw, draw(st.booleans()), 3),
        "images": maybe(draw, [{"name": "a", "newTag": "1"}], 5),
        "kubeConfig": maybe(draw, {"secretRef": {"name": "kubeconfig"}}, 5),
    })
    if draw(st.integers(0, 9)) == 0:
        spec = draw(values)
    return obj("Kustomization", draw(st.sampled_from(API_VERSIONS["Kustomization"][:3])),
               draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMESPACES)), spec)


@st.composite
def kustomize_file(draw: st.DrawFn) -> dict[str, Any]:
    """A kustomization.yaml: resources, patches, components, generators, in every spelling kustomize reads."""
    return pruned({
        "apiVersion": maybe(draw, "kustomize.config.k8s.io/v1beta1"),
        "kind": maybe(draw, draw(st.sampled_from(("Kustomization", "Component")))),
        "namespace": maybe(draw, draw(st.sampled_from(NAMESPACES)), 3),
        "resources": maybe(draw, draw(st.lists(written_path(), max_size=5)), 4),
        "bases": maybe(draw, draw(st.lists(written_path(), max_size=2)), 5),
        "components": maybe(draw, draw(st.lists(written_path(), max_size=2)), 3),
        "patches": maybe(draw, draw(st.lists(patch_entry(), max_size=3)), 3),
        "patchesStrategicMerge": maybe(draw, draw(st.lists(st.one_of(written_path(), st.just("kind: X\n")),
                                                           max_size=2)), 4),
        "patchesJson6902": maybe(draw, [{"target": {"kind": "Deployment", "name": "x"},
                                         "path": draw(written_path())}], 5),
        "configMapGenerator": maybe(draw, [{"name": "cm", "files": [draw(written_path())],
                                            "literals": ["A=1", "=", "B"]}], 4),
        "secretGenerator": maybe(draw, [{"name": "s", "envs": [draw(written_path())]}], 5),
        "generators": maybe(draw, draw(st.lists(written_path(), max_size=2)), 5),
        "helmCharts": maybe(draw, [{"name": "x", "repo": "https://charts.example", "version": "1"}], 6),
        "nameSuffix": maybe(draw, "-x", 5),
        "commonLabels": maybe(draw, {"a": "b"}, 5),
        "replacements": maybe(draw, [{"source": {"kind": "ConfigMap"}, "targets": []}], 6),
    })


@st.composite
def helm_release(draw: st.DrawFn) -> dict[str, Any]:
    chart = draw(st.sampled_from(("spec", "ref", "none", "both")))
    spec = pruned({
        "interval": maybe(draw, draw(st.sampled_from(DURATIONS)), 4),
        "chart": {"spec": pruned({"chart": draw(st.sampled_from(("podinfo", "cert-manager", "kube-prometheus-stack",
                                                                 "", "./charts/x"))),
                                  "version": maybe(draw, draw(st.sampled_from(("6.x", ">=1", "*", "1.0.0")))),
                                  "sourceRef": draw(source_ref())})} if chart in ("spec", "both") else None,
        "chartRef": draw(source_ref()) if chart in ("ref", "both") else None,
        "values": maybe(draw, draw(values)),
        "valuesFrom": maybe(draw, [{"kind": draw(st.sampled_from(("ConfigMap", "Secret"))), "name": "v"}], 3),
        "dependsOn": maybe(draw, draw(depends_on()), 3),
        "install": maybe(draw, {"skipCRDs": draw(st.booleans()), "remediation": {"retries": draw(SCALARS)}}, 3),
        "upgrade": maybe(draw, {"remediation": {"retries": -1}}, 4),
        "releaseName": maybe(draw, draw(st.sampled_from(NAMES)), 4),
        "targetNamespace": maybe(draw, draw(st.sampled_from(NAMESPACES)), 4),
        "storageNamespace": maybe(draw, "other", 5),
        "suspend": maybe(draw, True, 5),
    })
    return obj("HelmRelease", draw(st.sampled_from(API_VERSIONS["HelmRelease"])), draw(st.sampled_from(NAMES)),
               draw(st.sampled_from(NAMESPACES)), spec)


@st.composite
def source(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(("GitRepository", "OCIRepository", "HelmRepository", "Bucket")))
    ref = pruned({key: maybe(draw, draw(st.sampled_from(("main", "v1.0.0", ">=1.0", "sha256:abc", "deadbeef"))), 3)
                  for key in ("branch", "tag", "semver", "commit", "name", "digest")})
    spec = pruned({
        "interval": maybe(draw, draw(st.sampled_from(DURATIONS)), 4),
        "url": draw(st.sampled_from(("https://github.com/org/repo", "git@github.com:org/repo.git",
                                     "ssh://git@github.com/org/repo", "http://user:pass@example.com/x",
                                     "oci://ghcr.io/org/manifests", "oci://ghcr.io/fluxcd/flux-manifests", "",
                                     "https://charts.example", "git@host:~/x", "git@host:22/x", "${URL}"))),
        "ref": ref or None,
        "ignore": maybe(draw, draw(ignore_text())),
        "secretRef": maybe(draw, {"name": draw(st.sampled_from(NAMES))}, 3),
        "insecure": maybe(draw, True, 5),
        "type": maybe(draw, "oci", 5),
        "provider": maybe(draw, "generic", 5),
    })
    return obj(kind, draw(st.sampled_from(API_VERSIONS[kind])), draw(st.sampled_from(NAMES)),
               draw(st.sampled_from(NAMESPACES)), spec)


@st.composite
def sops_secret(draw: st.DrawFn) -> dict[str, Any]:
    """A Secret, plain, substituted or SOPS-encrypted (wholly, partly, with a broken metadata block)."""
    data = draw(st.dictionaries(st.sampled_from(("password", "token", "config.yaml", "${KEY}", "")), st.one_of(
        SCALARS, st.just("ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]"), st.just("cGFzc3dvcmQ="),
        st.just("${PASSWORD}")), max_size=3))
    body = obj("Secret", "v1", draw(st.sampled_from(NAMES)), draw(st.sampled_from(NAMESPACES)))
    body[draw(st.sampled_from(("data", "stringData")))] = data
    if draw(st.booleans()):
        body["sops"] = draw(st.one_of(values, st.builds(lambda regex, suffix, mac: pruned({
            "age": [{"recipient": "age1x", "enc": "-----BEGIN AGE ENCRYPTED FILE-----"}],
            "encrypted_regex": regex, "unencrypted_suffix": suffix, "mac": mac,
            "lastmodified": "2024-01-01T00:00:00Z", "version": "3.8.1"}),
            st.one_of(st.none(), regex_text()), st.one_of(st.none(), st.sampled_from(("_unencrypted", ""))),
            st.one_of(st.none(), st.just("ENC[AES256_GCM,data:m,type:str]")))))
    return body


@st.composite
def resource_set(draw: st.DrawFn) -> dict[str, Any]:
    template = draw(st.one_of(flux_kustomization(), helm_release(), sops_secret()))
    spec = pruned({
        "inputs": maybe(draw, draw(st.lists(st.dictionaries(st.sampled_from(("name", "path", "ns", "x")), SCALARS,
                                                           max_size=3), max_size=3)), 5),
        "inputsFrom": maybe(draw, [{"kind": "ResourceSetInputProvider", "name": "prs"}], 4),
        "resources": [template, {"apiVersion": "v1", "kind": "Namespace",
                                 "metadata": {"name": "<< inputs.name >>"}}],
        "resourcesTemplate": maybe(draw, "<<- range $i := .inputs >>\n---\nkind: X\n<<- end >>", 6),
    })
    return obj("ResourceSet", "fluxcd.controlplane.io/v1", draw(st.sampled_from(NAMES)), "flux-system", spec)


@st.composite
def flux_instance(draw: st.DrawFn) -> dict[str, Any]:
    spec = {"distribution": {"version": draw(st.sampled_from(("2.x", "2.5.1", "", "v9", "latest")))},
            "sync": pruned({"kind": draw(st.sampled_from(("GitRepository", "OCIRepository", "Bucket"))),
                            "url": "https://github.com/org/repo", "ref": "refs/heads/main",
                            "path": draw(written_path())})}
    return obj("FluxInstance", "fluxcd.controlplane.io/v1", "flux", "flux-system", spec)


@st.composite
def notification(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return obj("Provider", draw(st.sampled_from(API_VERSIONS["Provider"])), draw(st.sampled_from(NAMES)),
                   "flux-system", pruned({"type": "slack", "proxy": maybe(draw, "http://proxy", 3)}))
    return obj("Alert", draw(st.sampled_from(API_VERSIONS["Alert"])), draw(st.sampled_from(NAMES)), "flux-system",
               pruned({"providerRef": {"name": draw(st.sampled_from(NAMES))},
                       "eventSeverity": draw(st.sampled_from(("error", "info", "x"))),
                       "summary": maybe(draw, "s", 3),
                       "eventSources": draw(st.lists(st.builds(lambda k, n: {"kind": k, "name": n},
                                                               st.sampled_from(("Kustomization", "*", "HelmRelease")),
                                                               st.sampled_from(NAMES)), max_size=2))}))


@st.composite
def plain_object(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(("ConfigMap", "Namespace", "CustomResourceDefinition", "Deployment")))
    body = obj(kind, draw(st.sampled_from(API_VERSIONS[kind])), draw(st.sampled_from(NAMES)),
               draw(st.sampled_from(NAMESPACES)), draw(values) if kind != "ConfigMap" else None)
    if kind == "ConfigMap":
        body["data"] = draw(st.dictionaries(st.sampled_from(("NAME", "NS", "bad-key", "")), SCALARS, max_size=3))
    if kind == "CustomResourceDefinition":
        body["spec"] = {"group": draw(st.sampled_from(("cert-manager.io", "monitoring.coreos.com", "x"))),
                        "names": {"kind": "Certificate"}}
    return body


@st.composite
def regex_text(draw: st.DrawFn) -> str:
    """Regular expressions as a repository writes them, valid or not, some catastrophic for backtracking."""
    return draw(st.one_of(
        st.sampled_from((r".*\.sops\.ya?ml$", r"^(data|stringData)$", r"(a+)+$", r"(a|aa)*b", r"[", r"(?=x)",
                         r"(x)\1", r"\p{L}+", r"(?P<n>x)", r"(?i)SECRET", r"*", "", r"\\", r"a{1000}{1000}",
                         r"(?<!x)y", r"\Z", r"[[:alpha:]]", r"(?s).", "\udcff")),
        st.text(alphabet="ab.*+?|()[]{}^$\\-0123456789,:=!<", max_size=24)))


@st.composite
def ignore_text(draw: st.DrawFn) -> str:
    """gitignore lines: globs with every special character, negations, comments, trailing spaces."""
    line = st.one_of(
        st.sampled_from(("/*", "!/clusters/", "*.yaml", "**/secret*", "!**/kustomization.yaml", "apps/**",
                         "# comment", "", "\\#x", "\\!x", "a/**/b", "[a-z]*", "[!a]", "[", "**", "/", "!",
                         "*" * 40 + "b", "*a" * 20, "{a,b}", " trailing ", "x\\", "\udcff")),
        st.text(alphabet="ab/*?![]\\#. -", max_size=20))
    return "\n".join(draw(st.lists(line, max_size=8)))


@st.composite
def sops_config(draw: st.DrawFn) -> str:
    rules = draw(st.lists(st.one_of(
        st.builds(lambda r, e: pruned({"path_regex": r, "encrypted_regex": e, "age": "age1x"}),
                  st.one_of(regex_text(), st.none(), st.integers()), st.one_of(st.none(), regex_text())),
        values), max_size=4))
    if draw(st.integers(0, 5)) == 0:
        return yaml.safe_dump(draw(values))
    return yaml.safe_dump({"creation_rules": rules}, allow_unicode=True)


DOCUMENTS = st.one_of(flux_kustomization(), flux_kustomization(), helm_release(), source(), sops_secret(),
                      resource_set(), flux_instance(), notification(), plain_object(), values)


def dumped(documents: list[Any]) -> bytes:
    """Documents as a multi-document YAML file (text the engine may also find encoded oddly)."""
    text = yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False, width=1000)
    return text.encode("utf-8", "surrogateescape")[:MAX_FILE_BYTES]


@st.composite
def file_content(draw: st.DrawFn, name: str) -> bytes:
    if name == ".sourceignore":
        return draw(ignore_text()).encode("utf-8", "surrogateescape")
    if name == ".sops.yaml":
        data = draw(sops_config()).encode("utf-8", "surrogateescape")
    elif name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        data = dumped([draw(kustomize_file())])
    else:
        data = dumped(draw(st.lists(DOCUMENTS, min_size=1, max_size=3)))
    if draw(st.integers(0, 3)) == 0:
        data = suppressed(data, draw(st.sampled_from(SUPPRESSIONS)), draw(st.floats(0, 1)))
    if draw(st.integers(0, 5)) == 0:
        data = mutate(data, draw(mutations))
    return data


# Inline suppressions, well and badly written, for the suppression pass and structure/unused-suppression.
SUPPRESSIONS = (b"# flux-review: ignore[interval/too-short]", b"# flux-review: ignore-file[secrets/plaintext-secret]",
                b"# flux-review: ignore[no/such-rule]", b"# flux-review: ignore", b"# flux-review: ignore[",
                b"# flux-review: ignore[structure/unused-suppression]", b"# flux-review: ignore-file[*]",
                b"  # flux-review: ignore[api-version/removed, interval/missing]")


def suppressed(data: bytes, comment: bytes, where: float) -> bytes:
    """The file with a suppression comment on a line of its own, or at the end of a line."""
    lines = data.split(b"\n")
    at = int(where * len(lines)) % max(len(lines), 1)
    if comment.startswith(b" "):
        lines[at] += comment
    else:
        lines.insert(at, comment)
    return b"\n".join(lines)


@st.composite
def folder(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(("cluster", "cluster-system", "nested", "any")))
    if shape == "cluster":
        return "clusters/" + draw(st.sampled_from(("prod", "staging", "a b", "x\udcff")))
    if shape == "cluster-system":
        return "clusters/" + draw(st.sampled_from(("prod", "staging"))) + "/flux-system"
    if shape == "nested":
        return "/".join(draw(st.lists(st.sampled_from(FOLDER_NAMES), min_size=1, max_size=4)))
    return draw(st.sampled_from(("", "apps", "infra", "apps/base/podinfo", "apps/prod", "infrastructure/controllers",
                                 "kubernetes/apps/default/app", "components/common")))


@st.composite
def repository(draw: st.DrawFn, max_files: int = 12) -> dict[str, bytes]:
    """A random repository: path -> bytes, folders drawn so references between them often resolve."""
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(1, max_files))):
        where = draw(folder())
        name = draw(st.sampled_from(FILE_NAMES))
        path = f"{where}/{name}" if where else name
        files[path] = draw(file_content(name))
    return files



@st.composite
def clusters_sharing_a_folder(draw: st.DrawFn) -> dict[str, bytes]:
    """Two clusters whose Kustomizations build one folder, each with patches and a namespace of its own.

    The folder holds random files (a kustomization file or none, objects, a base and an overlay below it),
    so what the clusters share, and what each one's patches select, varies.
    """
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.sampled_from(("apps", "apps", "apps/base", "apps/overlay")))
        name = draw(st.sampled_from(FILE_NAMES))
        files[f"{where}/{name}"] = draw(file_content(name))
    for cluster in ("prod", "staging"):
        spec = pruned({"interval": "10m", "path": "./apps", "prune": True,
                       "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                       "patches": maybe(draw, draw(st.lists(patch_entry(), max_size=3)), 4),
                       "targetNamespace": maybe(draw, draw(st.sampled_from(NAMESPACES)), 3),
                       "components": maybe(draw, ["base"], 4)})
        files[f"clusters/{cluster}/apps.yaml"] = dumped([obj("Kustomization", API_VERSIONS["Kustomization"][0],
                                                             "apps", "flux-system", spec)])
    return files
