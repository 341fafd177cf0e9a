"""What source-controller leaves out of an artifact: defaults, `.sourceignore`, `spec.ignore`."""

from __future__ import annotations

import random

import pytest

from checks.ignore import IgnoreRules, SourceIgnores, _compile, _expression, _pattern_matches, _Plain, parse_patterns
from checks.source import RepoSnapshot


def rules(patterns: str, base: str = "") -> IgnoreRules:
    return IgnoreRules(parse_patterns(patterns, base))


def test_comments_and_blank_lines_are_not_patterns() -> None:
    assert parse_patterns("# comment\n\n   \n*.txt\n") == parse_patterns("*.txt")
    assert len(parse_patterns("# only a comment\n")) == 0


@pytest.mark.parametrize(("pattern", "path", "ignored"), [
    ("*.txt", "notes.txt", True),
    ("*.txt", "deep/down/notes.txt", True),  # no slash: matches at any depth
    ("*.txt", "notes.yaml", False),
    ("/top.yaml", "top.yaml", True),
    ("/top.yaml", "sub/top.yaml", False),  # leading slash anchors
    ("docs/*.md", "docs/a.md", True),
    ("docs/*.md", "docs/sub/a.md", False),  # `*` stays in one folder
    ("docs/*.md", "other/docs/a.md", False),  # a slash inside anchors too
    ("**/values.yaml", "charts/app/values.yaml", True),
    ("**/values.yaml", "values.yaml", True),
    ("apps/**", "apps/a/b/c.yaml", True),
    ("a/**/z.yaml", "a/b/c/z.yaml", True),
    ("fil?.yaml", "file.yaml", True),
    ("fil?.yaml", "fil/.yaml", False),
    ("drafts/", "drafts/a.yaml", True),  # a file inside an ignored folder
    ("drafts/", "drafts", False),  # folder-only pattern, tested as a file
    ("drafts/", "drafts/", True),
    ("drafts", "apps/drafts/x.yaml", True),
])
def test_gitignore_patterns(pattern: str, path: str, ignored: bool) -> None:
    assert rules(pattern).ignored(path) is ignored


def test_negation_brings_a_file_back_and_the_last_match_wins() -> None:
    ignore = rules("*.yaml\n!keep.yaml\n")
    assert ignore.ignored("drop.yaml")
    assert not ignore.ignored("keep.yaml")
    assert rules("!keep.yaml\n*.yaml\n").ignored("keep.yaml")


def test_patterns_of_a_sourceignore_apply_below_its_folder() -> None:
    ignore = IgnoreRules.for_repository({"apps/.sourceignore": "*.md\n/local.yaml\n"}, None)
    assert ignore.ignored("apps/README.md")
    assert ignore.ignored("apps/sub/README.md")
    assert not ignore.ignored("README.md")
    assert ignore.ignored("apps/local.yaml")
    assert not ignore.ignored("apps/sub/local.yaml")  # anchored at apps/


def test_default_patterns_without_spec_ignore() -> None:
    ignore = IgnoreRules.for_repository({}, None)
    for path in (".git/config", ".github/workflows/ci.yaml", "docs/diagram.png", "apps/.sops.yaml",
                 ".sops.yaml", "clusters/prod/.flux.yaml", "release.tar.gz", ".gitlab-ci.yml"):
        assert ignore.ignored(path), path
    for path in ("clusters/prod/ks.yaml", "apps/podinfo/sops.yaml", "apps/secret.sops.yaml"):
        assert not ignore.ignored(path), path


def test_spec_ignore_replaces_the_defaults_but_keeps_the_vcs_ones() -> None:
    ignore = IgnoreRules.for_repository({}, "/*\n!/clusters/\n")
    assert ignore.ignored(".git/config")
    assert ignore.ignored("README.md")
    assert ignore.ignored("apps/a.yaml")
    assert not ignore.ignored("clusters/prod/ks.yaml")
    assert not ignore.ignored("clusters/prod/.sops.yaml")  # the defaults no longer apply


def test_deeper_sourceignore_files_come_last() -> None:
    ignore = IgnoreRules.for_repository({
        "apps/team/.sourceignore": "!keep.yaml\n",
        ".sourceignore": "keep.yaml\n",
    }, None)
    assert ignore.ignored("keep.yaml")
    assert not ignore.ignored("apps/team/keep.yaml")
    assert ignore.ignored("apps/keep.yaml")


def test_a_negation_after_a_wildcard_brings_a_folder_back_path_by_path() -> None:
    # source-controller's matcher (go-git): the last pattern matching the path or a folder above it wins.
    rules = IgnoreRules.for_repository({}, "/*\n!/kubernetes/test\n")
    assert not rules.ignored("kubernetes/test/app.yaml")
    assert not rules.ignored("kubernetes/test/")
    assert rules.ignored("kubernetes/other/app.yaml")
    assert rules.ignored("README.md")
    again = IgnoreRules.for_repository({}, "/*\n!/kubernetes/test\n/kubernetes/test/secret/\n")
    assert again.ignored("kubernetes/test/secret/key.yaml") and not again.ignored("kubernetes/test/app.yaml")


def test_each_source_has_its_own_rules_and_a_subfolder_snapshot_carries_its_prefix() -> None:
    snap = RepoSnapshot.from_mapping({"apps/a.yaml": "", ".sourceignore": "scratch/\n", "scratch/x.yaml": ""})
    sources = SourceIgnores(snap)
    assert sources.repository(None).ignored("scratch/x.yaml") and not sources.repository(None).ignored("apps/a.yaml")
    own = sources.of_source("/*\n!/apps\n")
    assert not own.ignored("apps/a.yaml") and own.ignored("scratch/x.yaml")
    assert sources.of_source("/*\n!/apps\n") is own  # built once
    nested = sources.of_source("/*\n!/tests/data/apps\n", prefix="tests/data")
    assert not nested.ignored("apps/a.yaml") and nested.ignored("scratch/x.yaml")


def test_a_glob_that_backtracks_in_pythons_re_is_matched_in_linear_time() -> None:
    hostile = IgnoreRules.for_repository({}, "*a*a*a*a*a*a*a*a*a*a*a*a*b\n")
    assert not hostile.ignored("x/" + "a" * 60)
    assert hostile.ignored("x/" + "a" * 60 + "b")


@pytest.mark.parametrize(("pattern", "path", "folder"), [
    ("**/.sops.yaml", ".sops.yaml", False),  # `**/` may match nothing: its slash is no literal piece
    ("**/.sops.yaml", "a/b/.sops.yaml", False),
    ("apps/**", "apps/x/y.yaml", False),  # a trailing `/**` keeps its slash
    ("a?c*.yaml", "abc-1.yaml", False),
    ("/kubernetes/", "kubernetes", True),
    ("*.tar.gz", "backup.tar.gz", False),
])
def test_the_literal_pieces_of_a_glob_never_refuse_a_path_it_matches(pattern: str, path: str, folder: bool) -> None:
    (parsed,) = parse_patterns(pattern)
    assert parsed.needles  # the test is about the pieces: each of these globs has some
    assert _pattern_matches(parsed, path, folder)
    assert bool(parsed.regex.match(path))


def test_the_last_matching_pattern_is_the_one_each_pattern_alone_decides() -> None:
    """``IgnoreRules`` reads its patterns without a call each: it picks what ``_pattern_matches`` picks."""
    text = "/*\n!/apps/\n*.png\n!keep.png\napps/**/tmp/\n**/.sops.yaml\nscratch\n!/apps/scratch\n"
    found = IgnoreRules(parse_patterns(text) + parse_patterns("*.yaml\n!base/", "apps"))
    paths = ["apps", "apps/a.png", "apps/keep.png", "apps/x/tmp", "apps/x/tmp/y.yaml", "apps/base",
             "apps/base/k.yaml", "scratch", "apps/scratch", "x/.sops.yaml", ".sops.yaml", "README.md", "apps/x/y.yml"]
    for path in paths:
        for folder in (False, True):
            expected = max((i for i, p in enumerate(found.patterns) if _pattern_matches(p, path, folder)), default=-1)
            assert found._last_matching(path, folder) == expected, (path, folder)


def test_a_folder_pattern_with_a_leading_slash_is_anchored_at_the_root() -> None:
    """go-git reads ``/kubernetes/`` as a folder at the root (the slash that starts it stays), and
    ``kubernetes/`` as a folder of that name anywhere."""
    rooted, anywhere = rules("/kubernetes/"), rules("kubernetes/")
    assert rooted.ignored("kubernetes/") and rooted.ignored("kubernetes/apps/a.yaml")
    assert not rooted.ignored("clusters/kubernetes/") and not rooted.ignored("clusters/kubernetes/a.yaml")
    assert anywhere.ignored("kubernetes/") and anywhere.ignored("clusters/kubernetes/a.yaml")
    assert not anywhere.ignored("kubernetes")  # a file of that name is not a folder


def test_plain_globs_match_as_re2_matches_their_expression() -> None:
    draw = random.Random(5)
    globs = ["*", "clusters", "a.yaml", "a/b", "", ".git", "x-y"]
    for glob in globs:
        for anchored in (True, False) if "/" not in glob else (True,):
            fast = _compile(glob, anchored)
            assert isinstance(fast, _Plain) == (anchored or glob != "*"), glob
            slow = _expression(glob, anchored)
            for _ in range(400):
                path = "".join(draw.choice(["a", "/", "\n", ".", "\udcff", "x", glob, "/" + glob])
                               for _ in range(draw.randint(0, 5)))
                assert bool(fast.match(path)) == bool(slow.match(path)), (glob, anchored, path)


def test_a_glob_with_a_replacement_character_is_left_to_re2() -> None:
    (parsed,) = parse_patterns("caf\ufffd.yaml")
    assert parsed.needles == ()  # RE2 matches U+FFFD against a name that is not UTF-8


def test_parsed_patterns_are_a_new_list_each_time() -> None:
    first = parse_patterns("*.png\n!keep.png\n")
    first.clear()  # a caller extends and changes its own list; the parse is shared underneath
    again = parse_patterns("*.png\n!keep.png\n")
    assert [(p.negate, p.needles) for p in again] == [(False, (".png",)), (True, ("keep.png",))]
