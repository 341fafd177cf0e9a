"""Pull requests and archives an attacker would send, built in the simulator for the fault suite."""

from __future__ import annotations

import io
import tarfile

from github_sim import GitHubSim, SimRepo

from bot_support.repos import CONFIGMAP, KUSTOMIZATION, fleet

# .sops.yaml path_regex (a+)+b and .sourceignore *a*...*b backtrack exponentially on names of a's
# without the final b, in a matcher that backtracks.
SOPS_REDOS = ("creation_rules:\n  - path_regex: (a+)+b\n"
              "    age: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n")
IGNORE_REDOS = "*a*a*a*a*a*a*a*a*a*a*a*a*b\n"
REDOS_NAMES = ("a" * 42, "a" * 60)

# A billion laughs: nine levels of ten aliases each; expanded naively, 10^9 strings.
YAML_BOMB = "\n".join([
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: laughs",
    "  namespace: default",
    "data:",
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    *(f"  {name}: &{name} [{','.join(['*' + prev] * 10)}]"
      for prev, name in zip("abcdefgh", "bcdefghi", strict=True)),
    "",
])


def pull_request(sim: GitHubSim, full_name: str, installation_id: int, changes: dict[str, str | bytes | None],
                 base_files: dict[str, str] | None = None, number: int = 1) -> tuple[SimRepo, str, str]:
    """A repository with a small fleet on main and pull request ``number`` making ``changes``."""
    repo = sim.add_repo(full_name, installation_id)
    base = repo.commit(base_files if base_files is not None else fleet(2), branch="main")
    head = repo.commit({}, parent=base, changes=changes)
    repo.open_pull(number, "main", head)
    return repo, base, head


def redos_changes() -> dict[str, str | bytes | None]:
    """The ReDoS attempt: both hostile patterns and a file name each would choke on."""
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aaa\n  namespace: default\nstringData:\n  k: v\n"
    return {".sops.yaml": SOPS_REDOS, ".sourceignore": IGNORE_REDOS, REDOS_NAMES[0]: secret,
            REDOS_NAMES[1]: CONFIGMAP.format(name="a" * 10, n=1)}


def budget_changes(count: int = 800) -> dict[str, str | bytes | None]:
    """The budget attempt: ``count`` Kustomizations whose path is the folder that holds them all."""
    return {f"clusters/prod/ks-{n:04d}.yaml": KUSTOMIZATION.format(name=f"ks-{n:04d}").replace(
        f"./apps/ks-{n:04d}", "./clusters/prod") for n in range(count)}


def decompression_bomb(repo: SimRepo, sha: str, members: int = 40, member_bytes: int = 15 * 1024 * 1024) -> bytes:
    """The commit's real archive followed by ``members`` files of zeros (600 MiB inflated, about 600 KB sent)."""
    from github_sim import make_tarball

    top = f"{repo.full_name.replace('/', '-')}-{sha[:7]}"
    buffer = io.BytesIO()
    zeros = b"\0" * member_bytes
    with tarfile.open(fileobj=io.BytesIO(make_tarball(repo, sha)), mode="r:gz") as honest, \
            tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in honest.getmembers():
            archive.addfile(member, honest.extractfile(member))
        for index in range(members):
            info = tarfile.TarInfo(f"{top}/apps/zeros-{index}.yaml")
            info.size = len(zeros)
            archive.addfile(info, io.BytesIO(zeros))
    return buffer.getvalue()
