"""Small Flux repositories for end-to-end tests, built in the simulator."""

from __future__ import annotations

from github_sim import GitHubSim, SimRepo

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/{name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: default
data:
  key: value-{n}
"""

BROKEN_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"


def fleet(count: int = 3) -> dict[str, str]:
    """A cluster folder with ``count`` apps, each a Kustomization and a ConfigMap."""
    files = {"clusters/prod/flux-system/gotk-sync.yaml": KUSTOMIZATION.format(name="flux-system")}
    for n in range(count):
        name = f"app{n}"
        files[f"clusters/prod/{name}.yaml"] = KUSTOMIZATION.format(name=name)
        files[f"apps/{name}/configmap.yaml"] = CONFIGMAP.format(name=name, n=n)
    return files


def pull_with_broken_yaml(sim: GitHubSim, full_name: str, installation_id: int, number: int = 1,
                          apps: int = 3) -> tuple[SimRepo, str, str]:
    """A repository whose pull request ``number`` adds a broken YAML file; returns (repo, base sha, head sha)."""
    repo = sim.add_repo(full_name, installation_id)
    base = repo.commit(fleet(apps), branch="main")
    head = repo.commit({}, parent=base, changes={"apps/app0/broken.yaml": BROKEN_YAML,
                                                  "apps/app1/configmap.yaml": CONFIGMAP.format(name="app1", n=99)})
    repo.open_pull(number, "main", head)
    return repo, base, head


def hostile_archive(repo: SimRepo, sha: str) -> bytes:
    """The commit's real archive plus members that try to escape, link, or pose as devices."""
    import io
    import tarfile

    from github_sim import make_tarball

    top = f"{repo.full_name.replace('/', '-')}-{sha[:7]}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(make_tarball(repo, sha)), mode="r:gz") as honest, \
            tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in honest.getmembers():
            archive.addfile(member, honest.extractfile(member))
        evil = b"apiVersion: v1\nkind: Secret\n"
        for name in (f"{top}/../escape.yaml", "/etc/absolute.yaml"):
            info = tarfile.TarInfo(name)
            info.size = len(evil)
            archive.addfile(info, io.BytesIO(evil))
        link = tarfile.TarInfo(f"{top}/link.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        device = tarfile.TarInfo(f"{top}/device")
        device.type = tarfile.CHRTYPE
        archive.addfile(device)
    return buffer.getvalue()
