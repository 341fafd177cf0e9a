"""notification/provider-missing: an Alert's providerRef names no Provider in its namespace."""

from __future__ import annotations

from rule_support import findings

from ._repos import ALERT, APPS, PROVIDER, repo

RULE = "notification/provider-missing"


def test_alert_without_its_provider_is_reported_on_the_provider_name() -> None:
    files = repo(alerts=ALERT.replace("name: slack", "name: slak"), provider=PROVIDER)
    [finding] = findings(files, "notification/provider-missing")
    assert (finding.path, finding.line, finding.object) == ("apps/alerts.yaml", 8, "Alert/flux-system/on-call")
    assert "Provider `slak`" in finding.message and "namespace `flux-system`" in finding.message


def test_provider_in_another_namespace_is_named_in_the_message() -> None:
    files = repo(alerts=ALERT, provider=PROVIDER.replace("namespace: flux-system", "namespace: monitoring"))
    [finding] = findings(files, "notification/provider-missing")
    assert "exists in `monitoring`" in finding.message


def test_provider_namespace_comes_from_the_kustomization_file() -> None:
    # Both written without a namespace; the kustomization.yaml of their folder gives them one.
    files = {
        "clusters/prod/apps.yaml": APPS,
        "apps/kustomization.yaml": "namespace: monitoring\nresources:\n  - alerts.yaml\n",
        "apps/alerts.yaml": (PROVIDER + "---\n" + ALERT).replace("  namespace: flux-system\n", ""),
    }
    assert findings(files, "notification/provider-missing") == []


def test_provider_from_an_external_source_in_that_namespace_is_not_reported() -> None:
    external = APPS.replace("name: apps", "name: shared-alerting").replace(
        "    name: flux-system\n", "    name: platform-repo\n")
    files = repo(alerts=ALERT, shared=external)
    assert findings(files, "notification/provider-missing") == []


def test_provider_name_with_a_substitution_is_not_checked() -> None:
    # postBuild may fill it in, or another rule reports the variable: no Provider `${provider}` is expected.
    files = repo(alerts=ALERT.replace("name: slack", "name: ${provider}"), provider=PROVIDER)
    assert findings(files, RULE) == []


def test_unrendered_alert_finds_a_provider_the_repository_writes() -> None:
    # A repository with no cluster of its own (another one applies it): an Alert is matched against
    # every file, and the Provider may have no namespace yet.
    files = {"attic/provider.yaml": PROVIDER.replace("  namespace: flux-system\n", ""), "attic/alerts.yaml": ALERT}
    assert findings(files, RULE) == []
    files["attic/alerts.yaml"] = ALERT.replace("name: slack", "name: pagerduty")
    [finding] = findings(files, RULE)
    assert (finding.path, finding.object) == ("attic/alerts.yaml", "Alert/flux-system/on-call")
    # Where clusters exist, a file none of them applies is dead: nothing to say about it here.
    assert findings({**repo(), **files}, RULE) == []
