"""secrets/credential-in-url: credentials in source URLs and Provider addresses, never shown."""

from __future__ import annotations

from rule_support import findings as run
from rule_support import flux_object

from checks.rules.secrets._values import url_credential


def _source(kind: str, field: str, url: str, name: str = "src") -> str:
    return flux_object(kind, name, f"interval: 10m\n{field}: {url}\n")


def test_password_in_a_source_url_is_reported_without_showing_it() -> None:
    files = {"clusters/prod/git.yaml": _source("GitRepository", "url",
                                               "https://flux:ghp_S3CRETtoken@github.com/acme/fleet"),
             "clusters/prod/discord.yaml": _source(
                 "Provider", "address", "https://discord.com/api/webhooks/123/AbCdSeCrEt", "discord"),
             "clusters/prod/helm.yaml": _source("HelmRepository", "url",
                                                "https://charts.example.com/index.yaml?token=T0KEN42", "helm")}
    found = run(files, "secrets/credential-in-url")
    assert sorted(f.object for f in found) == ["GitRepository/flux-system/src", "HelmRepository/flux-system/helm",
                                               "Provider/flux-system/discord"]
    for finding in found:
        for leaked in ("ghp_S3CRETtoken", "flux:", "AbCdSeCrEt", "T0KEN42"):
            assert leaked not in finding.message
    assert "host github.com" in next(f.message for f in found if f.object.startswith("Git"))


def test_urls_without_credentials_pass() -> None:
    files = {"clusters/prod/a.yaml": _source("GitRepository", "url", "ssh://git@github.com/acme/fleet", "a"),
             "clusters/prod/b.yaml": _source("GitRepository", "url", "https://github.com/acme/fleet", "b"),
             "clusters/prod/c.yaml": _source("GitRepository", "url", "https://${GIT_USER}:${GIT_TOKEN}@git.example",
                                             "c"),
             "clusters/prod/d.yaml": _source("Provider", "address", "https://github.com/acme/fleet", "d")}
    assert run(files, "secrets/credential-in-url") == []


def test_url_credential_shapes() -> None:
    assert url_credential("https://user:pass@example.com/repo") == "a password"
    assert url_credential("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a/b") == "a token"
    assert url_credential("https://hooks.slack.com/services/T000/B000/XXXX") == "the webhook's secret path"
    assert url_credential("https://example.com/hook?token=abc") == "a `token` query parameter"
    assert url_credential("ssh://git@github.com/acme/fleet") is None
    assert url_credential("https://github.com/acme/fleet") is None
    assert url_credential("https://example.com/hook?token=${TOKEN}") is None


def test_bucket_endpoint_and_provider_proxy_are_read_too() -> None:
    files = {"clusters/prod/bucket.yaml": flux_object(
                 "Bucket", "b", "interval: 10m\nendpoint: https://AKIAEXAMPLE:s3cr3tKey@minio.example.com\n"
                 "bucketName: backups\n"),
             "clusters/prod/slack.yaml": flux_object(
                 "Provider", "slack", "type: slack\nproxy: http://proxyuser:pr0xyPass@proxy.internal:8080\n"),
             "clusters/prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                                      "data:\n  url: https://user:pass@example.com\n"}
    found = run(files, "secrets/credential-in-url")
    assert sorted((f.object, f.key) for f in found) == [("Bucket/flux-system/b", "spec.endpoint"),
                                                        ("Provider/flux-system/slack", "spec.proxy")]
    assert all("s3cr3tKey" not in f.message and "pr0xyPass" not in f.message for f in found)
