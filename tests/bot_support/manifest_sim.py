"""GitHub's side of the App manifest flow, on 127.0.0.1: the new-App pages and the code conversion.

Like GitHub, ``POST /settings/apps/new?state=S`` (or the organisation's
``/organizations/ORG/settings/apps/new``) takes a form field ``manifest``
and shows a page naming the App with a "Create GitHub App" button; the
button redirects the browser to the manifest's ``redirect_url`` with a
``code`` and the ``state``. ``POST /api/v3/app-manifests/{code}/conversions``
(the API of a GitHub Enterprise Server at this address) answers once per
code with a new App: a freshly generated RSA key, an id and a webhook secret.
``/api/v3/app/installations/{id}/access_tokens`` accepts a JWT of that App
only, which shows the bot's workers act as the registered App.
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import make_server

logging.getLogger("werkzeug").setLevel(logging.ERROR)

# The keys GitHub documents for a manifest (GITHUB.md, "App manifest", and GitHub's manifest parameters).
MANIFEST_KEYS = {"name", "url", "hook_attributes", "redirect_url", "callback_urls", "setup_url", "description",
                 "public", "default_events", "default_permissions", "request_oauth_on_install", "setup_on_update"}


@dataclass
class CreatedApp:
    """An App the simulator registered, with what the conversion answered (secrets included, for the test)."""

    app_id: int
    slug: str
    owner: str
    manifest: dict[str, Any]
    pem: str
    webhook_secret: str
    public_key: bytes
    answer: dict[str, Any] = field(default_factory=dict)


class ManifestSim:
    """The simulator; ``url`` is both the GitHub address and (with /api/v3) its API."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []  # every manifest received: owner, state, manifest, problems
        self.apps: list[CreatedApp] = []
        self.token_requests: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._drafts: dict[str, dict[str, Any]] = {}
        self._codes: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(900001)
        self._lock = threading.Lock()
        self.app = self._build()
        self.server: Any = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    def start(self) -> ManifestSim:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- the pages ------------------------------------------------------------------------------------------

    def _build(self) -> Flask:
        app = Flask("manifest-sim")

        @app.post("/settings/apps/new")
        def new_personal_app() -> Response | tuple[str, int]:
            return self._new_app("octo-operator")

        @app.post("/organizations/<org>/settings/apps/new")
        def new_organization_app(org: str) -> Response | tuple[str, int]:
            return self._new_app(org)

        @app.post("/settings/apps/new/create")
        def create() -> Response | tuple[str, int]:
            draft = self._drafts.pop(request.form.get("draft", ""), None)
            if draft is None:
                return "This page has expired.", 404
            code = secrets.token_hex(10)
            with self._lock:
                self._codes[code] = draft
            query = {"code": code}
            if draft["state"]:
                query["state"] = draft["state"]
            return redirect(f"{draft['manifest']['redirect_url']}?{urlencode(query)}", code=302)

        @app.post("/api/v3/app-manifests/<code>/conversions")
        def conversion(code: str) -> tuple[Response, int]:
            with self._lock:
                draft = self._codes.pop(code, None)
            if draft is None:
                return jsonify(message="Not Found"), 404
            return jsonify(self._register(draft)), 201

        @app.get("/apps/<slug>/installations/new")
        def install(slug: str) -> str:
            return (f"<!doctype html><title>Install {html.escape(slug)}</title>"
                    f"<h1 id='install-title'>Install {html.escape(slug)}</h1>")

        @app.post("/api/v3/app/installations/<int:installation>/access_tokens")
        def access_token(installation: int) -> tuple[Response, int]:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            issuer = None
            for created in self.apps:
                try:
                    claims = jwt.decode(token, created.public_key, algorithms=["RS256"])
                except jwt.PyJWTError:
                    continue
                if str(claims.get("iss")) == str(created.app_id):
                    issuer = created.app_id
            self.token_requests.append({"installation": installation, "app_id": issuer})
            if issuer is None:
                return jsonify(message="A JSON web token could not be decoded"), 401
            return jsonify(token="ghs_" + secrets.token_hex(16), expires_at="2099-01-01T00:00:00Z",
                           permissions={}, repository_selection="all"), 201

        @app.route("/<path:rest>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        def elsewhere(rest: str) -> tuple[Response, int]:
            return jsonify(message="Not Found"), 404

        return app

    def _new_app(self, owner: str) -> Response | tuple[str, int]:
        state = request.args.get("state", "")
        try:
            manifest = json.loads(request.form.get("manifest", ""))
        except ValueError:
            self.errors.append("the manifest is not JSON")
            return "Invalid manifest", 422
        problems = self._problems(manifest)
        self.posted.append({"owner": owner, "state": state, "manifest": manifest, "problems": problems})
        if problems:
            self.errors.extend(problems)
            return "Invalid manifest: " + "; ".join(problems), 422
        draft = secrets.token_hex(8)
        self._drafts[draft] = {"owner": owner, "state": state, "manifest": manifest}
        name = html.escape(str(manifest["name"]))
        page = f"""<!doctype html><html><head><title>Create GitHub App</title></head><body>
<h1>Create GitHub App for <span id="owner">{html.escape(owner)}</span></h1>
<p>GitHub App name: <strong id="app-name">{name}</strong></p>
<form method="post" action="/settings/apps/new/create">
<input type="hidden" name="draft" value="{draft}">
<button type="submit" id="create">Create GitHub App</button></form></body></html>"""
        return Response(page, mimetype="text/html")

    @staticmethod
    def _problems(manifest: Any) -> list[str]:
        if not isinstance(manifest, dict):
            return ["the manifest is not an object"]
        problems = [f"unknown manifest key {key!r}" for key in manifest if key not in MANIFEST_KEYS]
        for key in ("name", "url"):
            if not manifest.get(key):
                problems.append(f"the manifest has no {key}")
        if not str((manifest.get("hook_attributes") or {}).get("url", "")).startswith(("http://", "https://")):
            problems.append("hook_attributes.url is not an http(s) URL")
        if not str(manifest.get("redirect_url", "")).startswith(("http://", "https://")):
            problems.append("redirect_url is not an http(s) URL")
        return problems

    def _register(self, draft: dict[str, Any]) -> dict[str, Any]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        manifest = draft["manifest"]
        app_id = next(self._ids)
        slug = str(manifest["name"]).lower().replace(" ", "-")
        answer = {
            "id": app_id, "slug": slug, "node_id": f"A_{app_id}", "name": manifest["name"],
            "owner": {"login": draft["owner"], "id": 5, "type": "User"},
            "html_url": f"{self.url}/apps/{slug}", "client_id": f"Iv1.{secrets.token_hex(8)}",
            "client_secret": secrets.token_hex(20), "webhook_secret": secrets.token_hex(20), "pem": pem,
            "permissions": manifest.get("default_permissions", {}), "events": manifest.get("default_events", []),
        }
        self.apps.append(CreatedApp(app_id, slug, draft["owner"], manifest, pem, answer["webhook_secret"], public,
                                    answer))
        return answer
