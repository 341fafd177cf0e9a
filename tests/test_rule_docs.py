"""Rule documentation from one source: explain, SARIF help, the docs pages and the README table."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks import rule_docs
from checks.findings import Severity
from checks.rules import RULES, RULES_BY_ID
from checks.rules.base import Rule

ROOT = Path(__file__).resolve().parents[1]


def _rule(**changes: object) -> Rule:
    values: dict = {"id": "interval/too-short", "severity": Severity.WARNING,
                    "summary": "An interval below the minimum", "doc": """
        Why it matters.

        Failing:
            spec:
              interval: 1s

        Passing:
            spec:
              interval: 10m
    """}
    values.update(changes)
    return Rule(**values)


def test_the_generated_docs_and_readme_table_are_current() -> None:
    stale = [path.relative_to(ROOT).as_posix() for path in rule_docs.stale_files(ROOT)]
    assert stale == [], "run `python -m checks.rule_docs` and commit what it writes"


def test_every_rule_documents_a_failing_and_a_passing_example() -> None:
    for rule in RULES:
        text = rule.documentation
        assert "Failing" in text and "Passing" in text, rule.id
        assert text.index("Failing") < text.index("Passing"), rule.id


def test_a_page_per_rule_with_its_examples_as_yaml_and_how_to_silence_it() -> None:
    text = rule_docs.page(RULES_BY_ID["interval/too-short"])
    assert text.startswith("# interval/too-short\n\nAn interval below the configured minimum for its kind.\n")
    assert "| warning | yes:" in text
    assert "```yaml\nkind: OCIRepository\nspec:\n  interval: 30s\n```" in text
    assert "# flux-review: ignore[interval/too-short]" in text and "interval/too-short: off" in text
    assert "checks/rules/interval/too_short.py" in text
    assert "Reported only when a change is reviewed" in rule_docs.page(RULES_BY_ID["dependency/deleted-target"])


def test_help_markdown_turns_examples_into_yaml_blocks() -> None:
    markdown = rule_docs.help_markdown("Why it matters.\n\nFailing:\n    spec:\n      interval: 1d\n\nPassing:\n"
                                       "    spec:\n      interval: 24h")
    assert "Failing:\n\n```yaml\nspec:\n  interval: 1d\n```\n" in markdown
    assert markdown.endswith("```yaml\nspec:\n  interval: 24h\n```\n")


def test_listing_aligns_one_line_per_rule() -> None:
    lines = rule_docs.listing().splitlines()
    assert len(lines) == len(RULES)
    assert lines[0].split() [:3] == [RULES[0].id, str(RULES[0].severity), "fix" if RULES[0].fixable else
                                     RULES[0].summary.split()[0]]
    columns = {line.index(" error ") if " error " in line else None for line in lines} - {None}
    assert len(columns) == 1


def test_explanation_is_id_severity_summary_then_documentation() -> None:
    text = rule_docs.explanation(_rule(fixable=True))
    assert text.startswith("interval/too-short (warning, fixable)\n\nAn interval below the minimum.\n\nWhy it")
    assert text.endswith("interval: 10m\n")


def test_the_table_links_each_rule_to_its_page_and_escapes_pipes() -> None:
    table = rule_docs.index([_rule(summary="a | b")])
    assert "| [interval/too-short](docs/rules/interval/too-short.md) | warning |  | a &#124; b |" in table


def test_write_creates_pages_fills_the_readme_and_removes_pages_of_gone_rules(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(f"# x\n\n{rule_docs.README_START}\nold\n{rule_docs.README_END}\nafter\n")
    orphan = tmp_path / "docs/rules/interval/gone.md"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("old page\n")
    rules = [_rule()]
    assert rule_docs.stale_files(tmp_path, rules)
    written = rule_docs.write(tmp_path, rules)
    assert orphan in written and not orphan.exists()
    assert (tmp_path / "docs/rules/interval/too-short.md").read_text() == rule_docs.page(rules[0])
    readme = (tmp_path / "README.md").read_text()
    assert "old" not in readme and readme.endswith(f"{rule_docs.README_END}\nafter\n")
    assert "[interval/too-short](docs/rules/interval/too-short.md)" in readme
    assert "[interval/too-short](interval/too-short.md)" in (tmp_path / "docs/rules/README.md").read_text()
    assert rule_docs.stale_files(tmp_path, rules) == []
    assert rule_docs.write(tmp_path, rules) == []


def test_a_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        rule_docs.with_rule_table("# no table here\n")


def test_the_command_checks_and_rewrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rule_docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "stale: docs/rules/dependency/missing-target.md" in capsys.readouterr().out
    assert rule_docs.main(["--root", str(tmp_path)]) == 0
    assert rule_docs.main(["--check", "--root", str(tmp_path)]) == 0
