"""deploy/: what an operator applies passes the project's own check and keeps its safety properties.

The effective manifests are the ones a cluster receives: deploy/flux/ rendered as a cluster folder, its
Kustomizations followed into deploy/kubernetes/ with their overlays, patches and components (the engine's
own static kustomize; `kubectl kustomize` cross-checks when it is installed). Both shapes an operator can
pick are checked: scale-out with the Redis component (as shipped) and embedded.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import settings as bot_settings
from checks.engine import load_config
from checks.repo import build_model
from checks.sops import is_encrypted_value, sops_metadata
from checks.source import RepoSnapshot

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
FLUX_REVIEW = str(Path(sys.executable).with_name("flux-review"))
WORKLOADS = ("Deployment", "StatefulSet")


def check(folder: Path) -> tuple[int, dict[str, Any]]:
    """``flux-review check FOLDER --format json``, as a user runs it."""
    result = subprocess.run([FLUX_REVIEW, "check", str(folder), "--format", "json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def embedded_copy(tmp_path: Path) -> Path:
    """deploy/ with the App's Kustomization switched to embedded mode the way the guide says."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    app = copy / "flux" / "app.yaml"
    text = app.read_text()
    assert "path: ./deploy/kubernetes/scale-out\n" in text and "  components:\n    - ../components/redis\n" in text
    text = text.replace("scale-out\n", "embedded\n").replace("  components:\n    - ../components/redis\n", "")
    app.write_text(text)
    return copy


def rendered(folder: Path) -> list[dict[str, Any]]:
    """Every object the cluster folder deploy/flux/ applies, after overlays, patches and components."""
    snapshot = RepoSnapshot.from_folder(str(folder))
    model = build_model(snapshot, load_config(snapshot, None))
    assert len(model.clusters) == 1
    return [plain(obj.body) for obj in model.clusters[0].objects if not obj.implicit]


def plain(value: Any) -> Any:
    """The engine's positioned YAML nodes as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
    return found[0]


# -- the project's own check ------------------------------------------------------------------------------
def test_check_of_deploy_reports_nothing_and_renders_the_app() -> None:
    code, report = check(DEPLOY)
    assert report["findings"] == [] and code == 0
    layout = json.loads(subprocess.run([FLUX_REVIEW, "layout", str(DEPLOY), "--format", "json"],
                                       capture_output=True, text=True, check=True, timeout=120).stdout)
    (cluster,) = layout["clusters"]
    # Not a vacuous pass: both Flux Kustomizations and the app behind them were read.
    assert cluster["kustomizations"] == 2 and cluster["external_kustomizations"] == 0
    kinds = {(o["kind"], o["metadata"]["name"]) for o in rendered(DEPLOY)}
    assert {("Deployment", "flux-review-web"), ("Deployment", "flux-review-worker"),
            ("StatefulSet", "flux-review-redis"), ("Secret", "flux-review"), ("Service", "flux-review"),
            ("GitRepository", "flux-review")} <= kinds


def test_check_of_the_embedded_choice_reports_nothing(tmp_path: Path) -> None:
    copy = embedded_copy(tmp_path)
    code, report = check(copy)
    assert report["findings"] == [] and code == 0
    objects = rendered(copy)
    assert ("PersistentVolumeClaim", "flux-review-data") in {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert not [o for o in objects if o["kind"] == "StatefulSet" or o["metadata"]["name"] == "flux-review-worker"]


def test_check_of_deploy_fails_on_a_plaintext_secret(tmp_path: Path) -> None:
    """The check above can fail: the same folder with the Secret written in clear is an error."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    (copy / "flux" / "secrets" / "flux-review.sops.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: flux-review, namespace: flux-review}\n"
        "stringData: {WEBHOOK_SECRET: not-encrypted}\n")
    code, report = check(copy)
    assert code == 1 and [f["rule"] for f in report["findings"]] == ["secrets/plaintext-secret"]


# -- the Flux objects -------------------------------------------------------------------------------------
def test_flux_objects_use_current_apis_and_wait_for_what_they_apply() -> None:
    objects = rendered(DEPLOY)
    source = named(objects, "GitRepository", "flux-review")
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1" and source["spec"]["ref"].get("tag")
    secrets = named(objects, "Kustomization", "flux-review-secrets")
    app = named(objects, "Kustomization", "flux-review")
    for ks in (secrets, app):
        assert ks["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
        assert ks["spec"]["prune"] is True and ks["spec"]["wait"] is True
        assert ks["spec"]["interval"] and ks["spec"]["timeout"] and ks["spec"]["retryInterval"]
    assert secrets["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    assert app["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "flux-review"}
    assert app["spec"]["dependsOn"] == [{"name": "flux-review-secrets"}]


# -- the workloads ----------------------------------------------------------------------------------------
def workloads(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(where, pod spec, container)`` of every container; the pod's volumes include its claim templates."""
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            pod = dict(obj["spec"]["template"]["spec"])
            claims = [{"name": t["metadata"]["name"]} for t in obj["spec"].get("volumeClaimTemplates", [])]
            pod["volumes"] = [*pod.get("volumes", []), *claims]
            for container in pod["containers"]:
                yield f"{obj['kind']}/{obj['metadata']['name']}/{container['name']}", pod, container


def assert_safe(objects: list[dict[str, Any]]) -> None:
    found = list(workloads(objects))
    assert found
    for where, pod, container in found:
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        assert context.get("runAsNonRoot") is True and context.get("runAsUser", 0) > 0, where
        assert context.get("allowPrivilegeEscalation") is False, where
        assert context.get("readOnlyRootFilesystem") is True, where
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], where
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"]), where
        assert container.get("livenessProbe") and container.get("readinessProbe"), where
        assert not container.get("image", "").endswith(":latest"), where
        volumes = {v["name"] for v in pod["volumes"]}
        assert {m["name"] for m in container.get("volumeMounts", [])} <= volumes, where
    for where, _pod, container in found:
        if "flux-review" not in container.get("image", ""):
            continue
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        data_dir = env["DATA_DIR"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert data_dir in mounts and "/tmp" in mounts, where  # the only writable places
        assert {"name": "flux-review"} in [e["secretRef"] for e in container["envFrom"]], where
        probes = {container["livenessProbe"]["httpGet"]["path"], container["readinessProbe"]["httpGet"]["path"]}
        assert probes == {"/healthz", "/readyz"}, where


def test_scale_out_pods_are_safe_and_share_the_redis_queue() -> None:
    objects = rendered(DEPLOY)
    assert_safe(objects)
    web = named(objects, "Deployment", "flux-review-web")
    worker = named(objects, "Deployment", "flux-review-worker")
    assert web["spec"]["replicas"] == 2 and worker["spec"]["replicas"] == 2
    for deployment in (web, worker):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["REDIS_URL"] == "redis://flux-review-redis:6379/0"
    redis = named(objects, "StatefulSet", "flux-review-redis")
    assert "--appendonly" in redis["spec"]["template"]["spec"]["containers"][0]["args"]
    assert named(objects, "Service", "flux-review-redis")["metadata"].get("namespace") == "flux-review"


def test_embedded_pod_is_safe_and_keeps_its_queue_on_a_claim(tmp_path: Path) -> None:
    objects = rendered(embedded_copy(tmp_path))
    assert_safe(objects)
    web = named(objects, "Deployment", "flux-review-web")
    assert web["spec"]["replicas"] == 1 and web["spec"]["strategy"] == {"type": "Recreate"}
    volumes = {v["name"]: v for v in web["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"] == {"name": "data", "persistentVolumeClaim": {"claimName": "flux-review-data"}}
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert "REDIS_URL" not in {e["name"] for e in container["env"]}


def test_web_listens_on_the_default_port_of_the_settings() -> None:
    web = named(rendered(DEPLOY), "Deployment", "flux-review-web")
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": bot_settings.DEFAULT_PORT}]
    assert container["args"][-1] == str(bot_settings.DEFAULT_PORT)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", ["embedded", "scale-out+redis"])
def test_kubectl_kustomize_builds_the_same_safe_pods(tmp_path: Path, overlay: str) -> None:
    """kustomize itself agrees with the engine's rendering of the overlays."""
    shutil.copytree(DEPLOY / "kubernetes", tmp_path / "kubernetes")
    target = tmp_path / "kubernetes" / overlay.split("+")[0]
    if overlay.endswith("+redis"):
        (tmp_path / "with-redis").mkdir()
        (tmp_path / "with-redis" / "kustomization.yaml").write_text(
            "resources: [../kubernetes/scale-out]\ncomponents: [../kubernetes/components/redis]\n")
        target = tmp_path / "with-redis"
    built = subprocess.run(["kubectl", "kustomize", str(target)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    objects = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert_safe(objects)
    assert {o["metadata"].get("namespace") for o in objects} == {"flux-review"}


# -- secrets ----------------------------------------------------------------------------------------------
PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def test_no_plaintext_secret_value_anywhere_under_deploy() -> None:
    secrets = 0
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        text = path.read_text(errors="replace")
        assert not PEM.search(text), path
        if path.suffix not in (".yaml", ".yml"):
            continue
        for doc in yaml.safe_load_all(text):
            if not isinstance(doc, dict) or doc.get("kind") != "Secret":
                continue
            secrets += 1
            assert sops_metadata(doc) is not None, f"{path}: a Secret that is not SOPS-encrypted"
            values = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
            assert set(values) == {"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"}, path
            assert all(is_encrypted_value(v) for v in values.values()), path
            assert all(r["recipient"].startswith("REPLACE-") for r in doc["sops"]["age"]), path
    assert secrets == 1
    external = yaml.safe_load((DEPLOY / "flux" / "secrets" / "external-secret.yaml").read_text())
    assert external["apiVersion"] == "external-secrets.io/v1"
    assert {d["secretKey"] for d in external["spec"]["data"]} == {"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"}
    assert external["spec"]["target"]["name"] == "flux-review"


# -- the image --------------------------------------------------------------------------------------------
def test_dockerfile_runs_non_root_on_the_default_port_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    final = text.split("\nFROM ")[-1]
    assert re.search(r"^USER 10001(:10001)?$", final, re.M)
    assert f"EXPOSE {bot_settings.DEFAULT_PORT}\n" in final and f"PORT={bot_settings.DEFAULT_PORT}" in final
    assert re.search(r"^HEALTHCHECK .*\n?.*healthcheck\.py", final, re.M)
    # The build context keeps what COPY needs (the Dockerfile's own ignore file).
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for item in source.split():
            assert f"!{item.rstrip('/')}" in [i.rstrip("/") for i in ignore], item


def load_healthcheck() -> Any:
    spec = importlib.util.spec_from_file_location("deploy_healthcheck", DEPLOY / "healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[ThreadingHTTPServer, type[_Health]]]:
    handler = type("Handler", (_Health,), {"status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_healthcheck_asks_serve_on_its_port(health_server: tuple[ThreadingHTTPServer, type[_Health]]) -> None:
    server, handler = health_server
    port = server.server_address[1]
    check_module = load_healthcheck()
    argv = ["/usr/local/bin/python", "/usr/local/bin/flux-review", "serve"]
    assert check_module.probe(argv, {"PORT": str(port)}) == 0
    assert check_module.probe([*argv, "--port", str(port)], {"PORT": "1"}) == 0
    handler.status = 503
    assert check_module.probe(argv, {"PORT": str(port)}) == 1


def test_healthcheck_fails_when_nothing_listens_and_passes_a_worker() -> None:
    check_module = load_healthcheck()
    with ThreadingHTTPServer(("127.0.0.1", 0), _Health) as closed:
        port = closed.server_address[1]
    assert check_module.probe(["flux-review", "serve"], {"PORT": str(port)}, timeout=2) == 1
    assert check_module.probe(["flux-review", "worker", "--metrics-port", "9100"], {}) == 0
    assert check_module.serve_port(["flux-review", "serve"], {}) == bot_settings.DEFAULT_PORT


# -- the operator documentation ---------------------------------------------------------------------------
def settings_variables() -> set[str]:
    """Every environment variable bot/settings.py reads: the upper-case names it looks up."""
    import ast

    tree = ast.parse(Path(bot_settings.__file__).read_text())
    names = {node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+|PORT|HOST", node.value)}
    return names


def test_deploy_readme_lists_every_setting_the_code_reads() -> None:
    readme = (DEPLOY / "README.md").read_text()
    variables = settings_variables()
    assert {"APP_ID", "WEBHOOK_SECRET", "FLUX_REVIEW_ARCHIVE_TIMEOUT"} <= variables
    missing = sorted(name for name in variables if f"`{name}`" not in readme
                     and not _named_by_ellipsis(name, readme))
    assert missing == [], f"deploy/README.md does not list {missing}"


def _named_by_ellipsis(name: str, readme: str) -> bool:
    """The README shortens siblings: `FLUX_REVIEW_ARCHIVE_MAX_MEMBERS`, `…_MAX_FILE_BYTES`."""
    parts = name.split("_")
    return any(f"`…_{'_'.join(parts[cut:])}`" in readme for cut in range(1, len(parts)))
