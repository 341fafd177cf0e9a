"""secrets/credential-in-values: credential-like literals in HelmRelease values, conservatively."""

from __future__ import annotations

from rule_support import findings as run

from ._support import APPS, ENC, release


def test_literal_password_in_values_is_reported() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": release("""\
        auth:
          adminPassword: S3cr3t!pass
        env:
          - name: API_TOKEN
            value: 0a1b2c3d4e5f6a7b
    """)}
    found = run(files, "secrets/credential-in-values")
    assert sorted(f.key for f in found) == ["spec.values.auth.adminPassword", "spec.values.env[0].value"]
    assert found[0].line == 13
    assert all("S3cr3t" not in f.message and "0a1b2c3d" not in f.message for f in found)


def test_values_look_alikes_pass() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": release("""\
        auth:
          existingSecret: grafana-admin
          secretKey: admin-password
          passwordKey: password
          adminPassword: ${GRAFANA_PASSWORD}
          onePassword: op://vault/grafana/password
          emptyPassword: ""
          kopiaPassword: none
          pin_password: 1234
          token: true
          githubConfigSecret: runner-app-secret
          tokenUrl: https://auth.example.com/token
        serviceAccount:
          automountServiceAccountToken: false
        env:
          DB_PASSWORD:
            valueFrom:
              secretKeyRef:
                name: db
                key: password
        extraEnv:
          - name: SESSION_SECRET
            valueFrom:
              secretKeyRef: {name: app, key: session}
          - name: API_TOKEN
            value: ${API_TOKEN}
    """)}
    assert run(files, "secrets/credential-in-values") == []
    assert not [f for f in run(files, "structure/yaml-invalid")]


def test_encrypted_public_and_address_values_pass_but_a_webhook_url_does_not() -> None:
    files = {"clusters/prod/apps.yaml": APPS, "apps/release.yaml": release(f"""\
        auth:
          adminPassword: {ENC}
          signingKey: |
            -----BEGIN PUBLIC KEY-----
            MFkwEwYH
            -----END PUBLIC KEY-----
          clientSecret: https://auth.example.com/callback
          adminPasswordPath: /etc/secrets/admin
          webhookSecret: https://hooks.slack.com/services/T000/B000/XXXX
    """)}
    found = run(files, "secrets/credential-in-values")
    assert [f.key for f in found] == ["spec.values.auth.webhookSecret"]
    assert "hooks.slack.com" not in found[0].message
