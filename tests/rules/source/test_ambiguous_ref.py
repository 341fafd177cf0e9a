"""source/ambiguous-ref: one ref selector at a time, unless the combination means something."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object as obj
from rule_support import round_trip


def test_several_ref_fields_are_reported_and_the_ignored_ones_removed() -> None:
    files = {"clusters/prod/git.yaml": obj("GitRepository", "git", """\
        interval: 10m
        url: https://github.com/acme/a
        ref:
          branch: main  # the branch we release from
          tag: v1.2.0
    """)}
    found = run(files, "source/ambiguous-ref")
    assert len(found) == 1 and "Flux uses `tag`" in found[0].message and "`branch`" in found[0].message
    fixed = round_trip(files, "source/ambiguous-ref")
    assert "  ref:\n    tag: v1.2.0\n" in fixed["clusters/prod/git.yaml"]


def test_commit_with_a_tag_and_oci_semver_with_a_tag_are_reported() -> None:
    files = {
        "clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\nurl: https://github.com/acme/a\n"
                                      "ref:\n  tag: v1.0.0\n  commit: 0123456789abcdef\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci", "interval: 10m\nurl: oci://ghcr.io/acme/a\n"
                                      "ref:\n  tag: 1.0.0\n  semver: '>=1.0.0'\n"),
    }
    found = run(files, "source/ambiguous-ref")
    messages = {f.object: f.message for f in found}
    assert sorted(messages) == ["GitRepository/flux-system/git", "OCIRepository/flux-system/oci"]
    assert "sets `spec.ref.commit` and `tag`" in messages["GitRepository/flux-system/git"]
    assert "sets `spec.ref.semver` and `tag`" in messages["OCIRepository/flux-system/oci"]
    fixed = round_trip({"clusters/prod/oci.yaml": files["clusters/prod/oci.yaml"]}, "source/ambiguous-ref")
    assert "  ref:\n    semver: '>=1.0.0'\n" in fixed["clusters/prod/oci.yaml"]


def test_meaningful_combinations_pass() -> None:
    files = {
        "clusters/prod/git.yaml": obj("GitRepository", "git", "interval: 10m\nurl: https://github.com/acme/a\n"
                                      "ref:\n  branch: main\n  commit: 0123456789abcdef\n"),
        "clusters/prod/oci.yaml": obj("OCIRepository", "oci", "interval: 10m\nurl: oci://ghcr.io/acme/a\n"
                                      "ref:\n  tag: 1.0.0\n  digest: sha256:abc\n"),
    }
    assert run(files, "source/ambiguous-ref") == []
