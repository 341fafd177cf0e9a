"""Setup mode: the pages that register the App on GitHub when ``serve`` starts without credentials.

``GET /`` (and ``/setup``) asks for the organisation (empty for a personal
account), the public webhook URL and GitHub's address. ``POST /setup``
answers a page whose form carries the manifest to GitHub's new-App page; it
submits itself with one line of script, and its button does the same without
script. GitHub sends the browser back to ``/setup/callback``, which checks the
state, exchanges the code, stores the credentials (``bot.credentials``) and
hands them to ``on_registered``, which switches the running server to
webhooks. Secrets are never logged nor shown. Once registered every setup
route answers 404: the App cannot be replaced from the browser.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from flask import Flask, Request, Response, render_template_string, request
from markupsafe import Markup

from bot import credentials
from bot.credentials import Credentials
from bot.registration import (
    PendingSetups,
    RegistrationError,
    api_for,
    app_manifest,
    convert,
    github_url_from_form,
    install_url,
    new_app_url,
    new_browser_token,
    organization_from_form,
    webhook_url_from_form,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

BROWSER_COOKIE = "flux_review_setup"
_PLAIN = "text/plain; charset=utf-8"

_STYLE = Markup("""
  :root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #1f6feb;
          --go: #1a7f37; --bad: #cf222e; --paper: #f6f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
         background: var(--paper); }
  header { background: #24292f; color: #fff; padding: 0.9rem 1.5rem; font-weight: 600; letter-spacing: 0.02em; }
  header span { color: #9ea7b3; font-weight: 400; margin-left: 0.5rem; }
  main { max-width: 42rem; margin: 2rem auto; background: #fff; border: 1px solid var(--line);
         border-radius: 8px; padding: 1.75rem 2rem; }
  h1 { font-size: 1.5rem; margin: 0 0 0.5rem; }
  p.lead { color: var(--muted); margin-top: 0; }
  label { display: block; font-weight: 600; margin-top: 1.25rem; }
  .hint { display: block; font-weight: 400; color: var(--muted); font-size: 0.875rem; }
  input[type=text], input[type=url] { width: 100%; margin-top: 0.35rem; padding: 0.5rem 0.65rem; font: inherit;
         border: 1px solid var(--line); border-radius: 6px; }
  input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
  button, a.button { display: inline-block; margin-top: 1.75rem; padding: 0.6rem 1.1rem; font: inherit;
         font-weight: 600; color: #fff; background: var(--go); border: 0; border-radius: 6px; cursor: pointer;
         text-decoration: none; }
  .error { border-left: 4px solid var(--bad); background: #ffebe9; padding: 0.6rem 0.9rem; margin: 1rem 0; }
  ol.steps { color: var(--muted); padding-left: 1.2rem; }
  code { background: var(--paper); padding: 0.1rem 0.3rem; border-radius: 4px; font-size: 0.875em; }
  footer { max-width: 42rem; margin: 0 auto 2rem; color: var(--muted); font-size: 0.8rem; text-align: center; }
""")

_LAYOUT_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - flux-review</title><style>{{ style }}</style></head>
<body><header>flux-review<span>GitHub App setup</span></header><main>"""
_LAYOUT_FOOT = """</main><footer>Nothing on these pages is sent anywhere but to the GitHub you name.</footer>
</body></html>"""

_FORM = _LAYOUT_HEAD + """
<h1>Register flux-review on GitHub</h1>
<p class="lead">flux-review has no GitHub App yet. This creates one from its manifest, with the permissions and
events it needs, and keeps the App's key and webhook secret in <code>{{ data_dir }}</code>.</p>
<ol class="steps"><li>Check the fields and continue to GitHub.</li><li>On GitHub, confirm the App's name and
create it.</li><li>Back here, install the App on your repositories.</li></ol>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
  <label for="organization">Organisation
    <span class="hint">The organisation that will own the App. Leave empty to register it on your personal
    account.</span></label>
  <input type="text" id="organization" name="organization" value="{{ organization }}" placeholder="my-org"
         autocomplete="off" spellcheck="false">
  <label for="webhook_url">Webhook URL
    <span class="hint">The public address GitHub sends events to: this server's <code>/webhook</code>, as GitHub
    reaches it.</span></label>
  <input type="url" id="webhook_url" name="webhook_url" value="{{ webhook_url }}" required>
  <label for="github_url">GitHub
    <span class="hint">https://github.com, or your GitHub Enterprise Server's address.</span></label>
  <input type="url" id="github_url" name="github_url" value="{{ github_url }}" required>
  <button type="submit" id="continue">Continue to GitHub</button>
</form>""" + _LAYOUT_FOOT

_TO_GITHUB = _LAYOUT_HEAD + """
<h1>Creating the App on GitHub</h1>
<p class="lead">Sending the manifest of <strong>{{ name }}</strong> to {{ target_label }}.</p>
<form method="post" action="{{ target }}" id="to-github">
  <input type="hidden" name="manifest" value="{{ manifest }}">
  <button type="submit">Continue to GitHub</button>
</form>
<script>document.getElementById("to-github").submit();</script>""" + _LAYOUT_FOOT

_REGISTERED = _LAYOUT_HEAD + """
<h1>flux-review is registered</h1>
<p class="lead">The App <strong>{{ slug }}</strong> (id {{ app_id }}){% if owner %} of {{ owner }}{% endif %}
exists on GitHub, and this server now accepts its webhooks at <code>{{ webhook_url }}</code>.
Its key and webhook secret are stored in <code>{{ data_dir }}</code>, readable by this server's user only.</p>
<p>Last step: install it on the repositories it should review.</p>
<a class="button" id="install" href="{{ install }}">Install {{ slug }}</a>""" + _LAYOUT_FOOT


def install_setup(app: Flask, settings: Settings, on_registered: Callable[[Credentials], None],
                  env: Mapping[str, str] | None = None) -> None:
    """Add the setup routes to ``app``; ``on_registered`` receives the stored credentials once.

    ``WEBHOOK_PROXY_URL`` or ``PUBLIC_URL`` (read from ``env`` now) prefill the webhook URL.
    """
    env = os.environ if env is None else env
    public_webhook = _public_webhook_url(env)
    pending = PendingSetups()
    done = threading.Event()
    finishing = threading.Lock()
    app.extensions["flux_review_setup"] = pending

    def closed() -> tuple[Response, int] | None:
        if done.is_set():
            return Response("flux-review is registered: setup is closed.\n", mimetype=_PLAIN), 404
        return None

    @app.get("/")
    @app.get("/setup")
    def setup_form() -> Response | tuple[Response, int]:
        return closed() or _form(settings, request, public_webhook)

    @app.post("/setup")
    def setup_start() -> Response | tuple[Response, int]:
        if (answer := closed()) is not None:
            return answer
        fields = {name: request.form.get(name, "") for name in ("organization", "webhook_url", "github_url")}
        try:
            organization = organization_from_form(fields["organization"])
            webhook_url = webhook_url_from_form(fields["webhook_url"])
            github_url = github_url_from_form(fields["github_url"])
        except ValueError as error:
            return _form(settings, request, public_webhook, fields, str(error)), 400
        browser = request.cookies.get(BROWSER_COOKIE) or new_browser_token()
        started = pending.begin(browser, github_url, api_for(settings, github_url), webhook_url)
        manifest = app_manifest(webhook_url, _own_url(request) + "/setup/callback")
        target = new_app_url(github_url, organization, started.state)
        page = render_template_string(
            _TO_GITHUB, title="Creating the App", style=_STYLE, name=manifest.get("name", "flux-review"),
            target=target, manifest=json.dumps(manifest),
            target_label=f"{urlsplit(github_url).hostname}" + (f" for {organization}" if organization else ""),
        )
        answer = Response(page, mimetype="text/html")
        answer.set_cookie(BROWSER_COOKIE, browser, max_age=3600, path="/setup", httponly=True, samesite="Lax",
                          secure=request.is_secure)
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @app.get("/setup/callback")
    def setup_callback() -> Response | tuple[Response, int]:
        if (answer := closed()) is not None:
            return answer
        started = pending.finish(request.args.get("state", ""), request.cookies.get(BROWSER_COOKIE, ""))
        if started is None:
            log.warning("setup: a callback with an unknown, used, expired or foreign state was refused")
            return Response(
                "This setup link is not valid: its state is unknown, already used, expired, or was started in "
                "another browser. Start again at /setup.\n", mimetype=_PLAIN), 400
        with finishing:
            if (answer := closed()) is not None:
                return answer
            try:
                registered = convert(started, request.args.get("code", ""), settings.tuning.github_timeout)
            except RegistrationError as error:
                log.warning("setup: the code exchange failed: %s", error)
                return Response(f"{error}\n", mimetype=_PLAIN), 502
            credentials.save(settings.data_dir, registered)
            done.set()
            log.info("setup: App %s (id %s) registered, credentials stored in %s", registered.slug,
                     registered.app_id, settings.data_dir)
            try:
                on_registered(registered)
            except Exception:
                log.exception("setup: the App is registered but webhooks could not be switched on")
                return Response("The App is registered and its credentials are stored, but this server could not "
                                "start serving it: restart flux-review serve.\n", mimetype=_PLAIN), 500
        page = render_template_string(
            _REGISTERED, title="Registered", style=_STYLE, slug=registered.slug, app_id=registered.app_id,
            owner=registered.owner, data_dir=str(settings.data_dir), webhook_url=started.webhook_url,
            install=install_url(registered.github_url, registered.slug),
        )
        return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _form(settings: Settings, req: Request, public_webhook: str, fields: dict[str, str] | None = None,
          error: str = "") -> Response:
    fields = fields or {}
    page = render_template_string(
        _FORM, title="Register the App", style=_STYLE, error=error, action="/setup",
        data_dir=str(settings.data_dir), organization=fields.get("organization", ""),
        webhook_url=fields.get("webhook_url") or public_webhook or f"{_own_url(req)}/webhook",
        github_url=fields.get("github_url") or settings.github_url,
    )
    return Response(page, mimetype="text/html")


def _public_webhook_url(env: Mapping[str, str]) -> str:
    """``WEBHOOK_PROXY_URL``, else ``PUBLIC_URL`` + /webhook, else "" (the page then uses its own address)."""
    proxy = env.get("WEBHOOK_PROXY_URL", "").strip()
    if proxy:
        return proxy
    public = env.get("PUBLIC_URL", "").strip().rstrip("/")
    return f"{public}/webhook" if public else ""


def _own_url(req: Request) -> str:
    """This server as the browser reached it: GitHub sends the browser back here, to the cookie it holds."""
    return req.host_url.rstrip("/")
