"""``flux-review serve``: gunicorn in one worker process, which starts the review worker process.

Why gunicorn: it is a production server (the Procfile's ``web`` runs this
command too), and its master supervises the worker process (restarted if it
crashes or stops answering its heartbeat) and stops it gracefully on
SIGTERM. The worker is uvicorn's (``WebWorker``): an event loop and a C
HTTP parser, where gunicorn's ``gthread`` worker parsed each request in
Python and passed it between threads; the application is ``bot.web.WebApp``.
One worker process, because in embedded mode it holds the data folder's
lock and starts the one review worker process (``bot.consumer``) once it
has loaded the app, and stops it when it exits. Jobs cut short by a
shutdown or a crash resume when the next review worker process starts
(``bot.jobs.Workers``). In scale-out mode (``REDIS_URL``) the same server
runs the web side only; ``flux-review worker`` processes run the jobs.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from bot import credentials, metrics
from bot.app import Components, components_of, create_app, when_registered
from bot.consumer import ConsumerProcess
from bot.jobs import ensure_data_dir_free, lock_data_dir
from bot.settings import Settings
from bot.state.integrity import check_ledger, set_aside_if_damaged
from bot.web import WebApp, WebProtocol

log = logging.getLogger(__name__)

WEB_THREADS = 8  # threads serving the Flask routes (setup pages, health, readiness, metrics)


class WebWorker(UvicornWorker):
    """gunicorn's worker process running uvicorn: httptools' parser with bounds on a request's head
    (``bot.web.WebProtocol``), the asyncio event loop, no lifespan events, no websockets.

    The asyncio loop rather than uvloop: under a burst uvloop served some
    connections far behind others (p99 184 against 27 ms for an application
    answering in 0.3 ms, in the same minutes).

    Keeps what gunicorn's worker gave: its heartbeat to the master, which
    restarts a worker that stops answering within ``timeout``, and a graceful
    stop on SIGTERM that waits for the requests in flight, here for at most
    half of gunicorn's ``graceful_timeout`` (the other half is the review
    worker process's, stopped after them in ``Server._worker_exit``).
    """

    CONFIG_KWARGS: dict[str, Any] = {"loop": "asyncio", "http": WebProtocol, "lifespan": "off", "ws": "none",
                                     "access_log": False, "server_header": False}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(1, int(self.cfg.graceful_timeout) // 2 - 1)


class Server(BaseApplication):
    """A gunicorn application built from settings rather than a command line."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumer: ConsumerProcess | None = None
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": 1,
            "worker_class": "bot.server.WebWorker",
            "timeout": 60,
            # Room for both halves of a stop: the requests in flight (at most half of it, WebWorker), then the
            # review worker process finishing its reviews (_stop_timeout), before the master kills the worker.
            "graceful_timeout": 2 * int(_stop_timeout(self.settings)) + 2,
            "keepalive": 5,
            # No control socket in $HOME: several servers may share a machine, and nothing uses it.
            "control_socket_disable": True,
            "loglevel": logging.getLevelName(self.settings.log_level).lower(),
            "worker_exit": self._worker_exit,
            "logger_class": "bot.logs.GunicornLogger",  # JSON lines for gunicorn's own messages too
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> WebApp:
        """Runs in gunicorn's worker process: build the app, then (embedded mode) start the consumer.

        In setup mode the consumer starts when the App is registered, in this same process.
        """
        settings = self.settings
        if not settings.registered:
            # A worker process gunicorn restarted after setup finds what the previous one stored.
            found = credentials.load(settings.data_dir)
            settings = settings.with_credentials(found) if found is not None else settings
        app = create_app(settings)
        if settings.registered:
            self._start_workers(components_of(app))
        else:
            when_registered(app, self._start_workers)
            log.info("setup mode: no GitHub App yet; webhooks are refused (503) until one is registered")
        web = WebApp(app, threads=WEB_THREADS)
        settle_heap()
        return web

    def _start_workers(self, components: Components) -> None:
        settings = components.settings
        if settings.scale_out:
            log.info("scale-out mode: this process serves webhooks; run `flux-review worker` for the jobs")
            return
        # A worker process gunicorn started again may find the previous one's review process still finishing.
        lock = lock_data_dir(settings.data_dir, wait=_stop_timeout(settings) + 5.0)
        self.consumer = ConsumerProcess(settings, lock).start()
        metrics.include_process(self.consumer.metrics_url)

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self.consumer is not None:
            self.consumer.stop(_stop_timeout(self.settings))
            self.consumer.lock_file.close()


def _stop_timeout(settings: Settings) -> float:
    """How long the review worker process may take to finish its reviews once asked to stop."""
    return max(5.0, settings.tuning.job_lease / 2) + 2.0


def settle_heap() -> None:
    """Move everything loaded so far out of the garbage collector's view: it lives as long as the process.

    The modules, the app and its clients are tens of thousands of objects
    that are never garbage. Left in the collector's oldest generation, every
    full collection walks them all while holding the interpreter lock, a
    pause of 50 to 75 ms of every request thread at once, measured under a
    burst of webhooks. Frozen, a full collection walks only what was made
    since (``gc.freeze``); garbage among the frozen objects is never freed,
    and there is none worth the pause.
    """
    gc.collect()
    gc.freeze()


def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT.

    ``RuntimeError`` when another server already uses ``DATA_DIR`` or its
    ledger is damaged (checked here, before gunicorn, so the operator reads a
    reason rather than a worker's traceback).
    """
    if not settings.scale_out:
        ensure_data_dir_free(settings.data_dir)
        check_ledger(settings.data_dir / "state.db")
        set_aside_if_damaged(settings.data_dir / "queue.db")
    Server(settings).run()
