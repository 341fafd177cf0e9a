"""The `flux-review` command: the same verdict in a terminal, a hook or any CI.

Exit codes: 0 when nothing is at or above the failing threshold, 1 when
something is, 2 for usage or internal errors (with a message, never a
traceback). Other packages add subcommands through the
``flux_review.commands`` entry point group (the GitHub App adds ``serve``
and ``worker``), so the engine never imports them.
"""

from __future__ import annotations

import gc
import os
import sys

_SHORT_LIVED = ("check", "review", "graph", "layout", "rules", "explain")
if os.path.basename(sys.argv[0]) == "flux-review" and sys.argv[1:2] and sys.argv[1] in _SHORT_LIVED:
    # Loaded by the executable for a short-lived command (see ``console``): the collector is off before
    # the engine is imported, whose import allocates enough to set it off forty times.
    gc.disable()

import argparse  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402

from checks.config import Config, ConfigError  # noqa: E402
from checks.engine import Analysis, analyze, load_config  # noqa: E402
from checks.findings import Finding  # noqa: E402
from checks.git_origin import with_origin  # noqa: E402
from checks.report import json_report, sarif, text  # noqa: E402
from checks.rules import RULES, RULES_BY_ID  # noqa: E402
from checks.source import RepoSnapshot, SnapshotError  # noqa: E402

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called; printed without a traceback."""


_ENGINE_COMMANDS = frozenset((*_SHORT_LIVED, "layout"))


def console() -> None:
    """The `flux-review` executable.

    The engine's commands are short-lived processes that allocate a large,
    acyclic graph of small objects: the cyclic garbage collector would only
    walk it again and again, so it is switched off for them (never for the
    long-running ``serve`` and ``worker``). Freeing that graph object by
    object at exit costs a tenth of a large check: they leave without it,
    once their output is flushed.
    """
    short_lived = len(sys.argv) > 1 and sys.argv[1] in _SHORT_LIVED
    if short_lived:
        gc.disable()
    code = main()
    if short_lived:
        _leave(code)
    sys.exit(code)


def _leave(code: int) -> None:
    """Exit at once with ``code`` after flushing the output (the operating system frees the memory)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # the reader has gone (`| head`): nothing more to say
    except OSError:
        code = EXIT_ERROR  # the output could not be written (a full disk)
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The engine's own commands need no plugin: loading the App's would import its dependencies.
    parser = build_parser(plugins=not argv or argv[0] not in _ENGINE_COMMANDS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (exit 2) or the help (exit 0)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args.func(args))
    except (UsageError, ConfigError, SnapshotError) as exc:
        print(f"flux-review: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: a message, never a traceback
        if os.environ.get("FLUX_REVIEW_DEBUG"):
            raise
        print(f"flux-review: internal error: {type(exc).__name__}: {exc} "
              "(set FLUX_REVIEW_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR


def build_parser(plugins: bool = True) -> argparse.ArgumentParser:
    """Every command; with ``plugins`` also those other packages add (``serve``, ``worker``)."""
    parser = argparse.ArgumentParser(prog="flux-review", description="Review Flux CD GitOps repositories.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="check a folder (the whole repository)")
    check.add_argument("path", nargs="?", default=".")
    check.add_argument("--files", nargs="+", metavar="FILE",
                       help="report only findings in these files (the whole repository is still read), "
                            "as a pre-commit hook passes the files a commit touches")
    _output_options(check, ("text", "json", "sarif"))
    edits = check.add_mutually_exclusive_group()
    edits.add_argument("--fix", action="store_true",
                       help="apply the fixes to the files in place, then report what remains")
    edits.add_argument("--diff", action="store_true",
                       help="print the fixes as a unified diff without writing anything")
    check.set_defaults(func=run_check)

    review = commands.add_parser("review", help="review a change of a git repository against its base")
    review.add_argument("repo", nargs="?", default=".")
    review.add_argument("--base", required=True, help="base revision (its merge base with head is used)")
    review.add_argument("--head", default="HEAD", help="head revision (default HEAD)")
    _output_options(review, ("text", "json", "sarif", "markdown"))
    review.set_defaults(func=run_review)

    graph = commands.add_parser("graph", help="print the deployment order of each cluster")
    graph.add_argument("path", nargs="?", default=".")
    graph.add_argument("--cluster", help="only this cluster")
    graph.add_argument("--format", choices=("text", "mermaid", "dot"), default="text")
    graph.add_argument("--config", help="configuration file (default .github/flux-review.yml)")
    graph.set_defaults(func=run_graph)

    layout = commands.add_parser("layout", help="print what was inferred: clusters, roots, sources, Flux versions")
    layout.add_argument("path", nargs="?", default=".")
    layout.add_argument("--format", choices=("text", "json"), default="text")
    layout.add_argument("--config", help="configuration file (default .github/flux-review.yml)")
    layout.set_defaults(func=run_layout)

    rules = commands.add_parser("rules", help="list every rule")
    rules.set_defaults(func=run_rules)

    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule")
    explain.set_defaults(func=run_explain)

    for entry in _plugins() if plugins else []:
        entry(commands)
    return parser


def _output_options(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    parser.add_argument("--format", choices=formats, default="text")
    parser.add_argument("--config", help="configuration file (default .github/flux-review.yml)")


def _plugins() -> list:
    from importlib import metadata

    try:
        entries = metadata.entry_points(group="flux_review.commands")
    except Exception:
        return []
    loaded = []
    for entry in entries:
        try:
            loaded.append(entry.load())
        except Exception as exc:  # a broken plugin must not break `check`
            if os.environ.get("FLUX_REVIEW_DEBUG"):
                print(f"flux-review: subcommands from {entry.value} unavailable: {exc}", file=sys.stderr)
    return loaded


def _snapshot(path: str) -> RepoSnapshot:
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such folder")
    if not os.path.isdir(path):
        raise UsageError(f"{path}: not a folder (flux-review checks a repository folder)")
    return RepoSnapshot.from_folder(path)


def _exit_code(findings: Sequence[Finding], config: Config) -> int:
    if config.fail_on is None:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity >= config.fail_on for f in findings) else EXIT_OK


def _emit(findings: Sequence[Finding], stats: dict, fmt: str, new: set[str] | None = None) -> None:
    if fmt == "json":
        sys.stdout.write(json_report.render(findings, stats, new))
    elif fmt == "sarif":
        sys.stdout.write(sarif.render(findings, _version()))
    else:
        sys.stdout.write(text.render(findings, stats, colour=sys.stdout.isatty() and not os.environ.get(
            "NO_COLOR"), new=new))


def run_check(args: argparse.Namespace) -> int:
    snapshot = _snapshot(args.path)
    config = with_origin(load_config(snapshot, args.config), args.path)
    analysis = _only(analyze(snapshot, config), args.path, args.files)
    if args.fix or args.diff:
        from checks import fixes

        planned = fixes.plan_fixes(analysis.findings, lambda path: _read_bytes(snapshot, path))
    if args.diff:
        sys.stdout.write(fixes.unified_diff(planned))
        sys.stderr.write(fixes.describe(planned, analysis.findings))
        return _exit_code(analysis.findings, config)
    if args.fix:
        written, _ = fixes.write_fixes(args.path, planned)
        # Keep machine-readable output parseable: the account of the edits goes to stderr then.
        account = sys.stdout if args.format == "text" else sys.stderr
        account.write(fixes.describe(planned, analysis.findings, {f.path for f in written}))
        if written:
            if args.format == "text":
                account.write("\n")
            snapshot = _snapshot(args.path)
            config = with_origin(load_config(snapshot, args.config), args.path)
            analysis = _only(analyze(snapshot, config), args.path, args.files)
    _emit(analysis.findings, analysis.stats, args.format)
    return _exit_code(analysis.findings, config)


def _only(analysis: Analysis, root: str, files: Sequence[str] | None) -> Analysis:
    """The analysis with only the findings in ``files`` (paths as given, from the working folder), when given."""
    if not files:
        return analysis
    base = os.path.abspath(root)
    wanted = {os.path.relpath(os.path.abspath(name), base).replace(os.sep, "/") for name in files}
    return replace(analysis, findings=[f for f in analysis.findings if f.path in wanted])


def _read_bytes(snapshot: RepoSnapshot, path: str) -> bytes | None:
    try:
        return snapshot.read(path)
    except (KeyError, OSError):
        return None


def run_review(args: argparse.Namespace) -> int:
    from checks.diff import parse_git_diff
    from checks.review import review_snapshots
    from checks.source import _git, merge_base

    if not os.path.isdir(args.repo):
        raise UsageError(f"{args.repo}: no such folder")
    try:
        _git(args.repo, "rev-parse", "--git-dir")
    except SnapshotError:
        raise UsageError(f"{args.repo}: not a git repository (review compares two revisions of a clone; "
                         "`flux-review check` checks a folder)") from None
    base_rev = merge_base(args.repo, args.base, args.head)
    head_snapshot = RepoSnapshot.from_git(args.repo, args.head)
    base_snapshot = RepoSnapshot.from_git(args.repo, base_rev)
    config = with_origin(load_config(head_snapshot, args.config), args.repo)
    # Files whose blobs the clone lacks cannot be diffed: leave them out of the diff (they were noted).
    unread = sorted({m.name for snap in (base_snapshot, head_snapshot) for m in snap.skipped})
    diff = _git(args.repo, "diff", "-M", "--no-color", "--no-ext-diff", "--unified=3", base_rev,
                args.head, "--", *([":/", *(f":(exclude,literal,top){p}" for p in unread)] if unread else []),
                ).decode("utf-8", "replace")
    review = review_snapshots(base_snapshot, head_snapshot, parse_git_diff(diff), config)
    for side, snap in (("base", base_snapshot), ("head", head_snapshot)):
        for member in snap.skipped:
            print(f"note: {side}: {member.name} was not read: {member.reason}", file=sys.stderr)
    if args.format == "markdown":
        from checks.report import markdown

        sys.stdout.write(markdown.render_review(review))
    else:
        stats = dict(review.head.stats) if review.head else {}
        _emit(review.findings, stats, args.format, new=set(review.new_fingerprints))
    return _exit_code(review.findings, config)


def run_graph(args: argparse.Namespace) -> int:
    snapshot = _snapshot(args.path)
    config = with_origin(load_config(snapshot, args.config), args.path)
    from checks.repo import build_model

    model = build_model(snapshot, config)
    clusters = [c for c in model.clusters if not args.cluster or c.name == args.cluster]
    if args.cluster and not clusters:
        names = ", ".join(c.name for c in model.clusters) or "none found"
        raise UsageError(f"no cluster named {args.cluster!r} (clusters: {names})")
    if not clusters:
        print("No clusters found: no clusters/<name>/ folder and no Flux Kustomization with a local path.")
        return EXIT_OK
    from checks import graph as graphs

    renderers = {"text": graphs.render_text, "mermaid": graphs.render_mermaid, "dot": graphs.render_dot}
    blocks = []
    for cluster in clusters:
        rendered = renderers[args.format](graphs.cluster_graph(cluster))
        if args.format == "mermaid" and len(clusters) > 1:
            rendered = f"%% cluster {cluster.name}\n{rendered}"
        blocks.append(rendered)
    print("\n\n".join(blocks))
    return EXIT_OK


def run_layout(args: argparse.Namespace) -> int:
    from checks.repo import build_model
    from checks.report import layout

    snapshot = _snapshot(args.path)
    model = build_model(snapshot, with_origin(load_config(snapshot, args.config), args.path))
    sys.stdout.write(layout.render_json(model) if args.format == "json" else layout.render_text(model))
    return EXIT_OK


def run_rules(args: argparse.Namespace) -> int:
    from checks import rule_docs

    sys.stdout.write(rule_docs.listing())
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    rule = RULES_BY_ID.get(args.rule)
    if rule is None:
        close = [r.id for r in RULES if args.rule in r.id]
        hint = f" Did you mean: {', '.join(close)}?" if close else " `flux-review rules` lists them."
        raise UsageError(f"unknown rule {args.rule!r}.{hint}")
    from checks import rule_docs

    sys.stdout.write(rule_docs.explanation(rule))
    return EXIT_OK


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("flux-review")
    except metadata.PackageNotFoundError:
        return "0.0.0"


if __name__ == "__main__":
    console()
