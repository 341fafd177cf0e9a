"""structure/forgotten-suspend: `suspend: true` without a recorded reason."""

from __future__ import annotations

from rule_support import config_map, helm_release, kustomization
from rule_support import findings as run

from ._support import line_of


def test_suspend_without_reason() -> None:
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="suspend: true\n"),
        "apps/cm.yaml": config_map("a", "A: b\n"),
    }
    [finding] = run(files, "structure/forgotten-suspend")
    assert finding.line == line_of(files, "clusters/prod/apps.yaml", "suspend")
    assert finding.object == "Kustomization/flux-system/apps"


def test_suspend_with_a_reason_and_non_flux_suspend_are_quiet() -> None:
    cron = """\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: backup
          namespace: default
        spec:
          suspend: true
        """
    annotated = helm_release("annotated").replace(
        "  namespace: default\n", "  namespace: default\n  annotations:\n    example.com/suspend-reason: migration\n")
    files = {
        "clusters/prod/apps.yaml": kustomization(extra="suspend: true  # chart 4.2 breaks ingress, see #12\n"),
        "clusters/prod/other.yaml": kustomization("other", "./other", extra="# waiting for the new storage\n"
                                                  "suspend: true\n"),
        "apps/cron.yaml": cron,
        "apps/annotated.yaml": annotated + "  suspend: true\n",
        "other/cm.yaml": config_map("a", "A: b\n"),
    }
    assert run(files, "structure/forgotten-suspend") == []


def test_a_header_comment_explaining_the_suspension_records_the_reason() -> None:
    suspended = kustomization(extra="suspend: true\n")
    files = {"clusters/prod/apps.yaml": "# Opt-in: suspended by default, `flux resume` to enable it.\n" + suspended,
             "apps/cm.yaml": config_map("a", "A: b\n")}
    assert run(files, "structure/forgotten-suspend") == []
    files["clusters/prod/apps.yaml"] = "# The apps of the production cluster.\n" + suspended
    assert len(run(files, "structure/forgotten-suspend")) == 1  # a header that does not speak of it
