"""gunicorn settings for AssetMatch: ``gunicorn -c webapi/gunicorn_conf.py 'webapi.wsgi:app'``.

From an installed package (any working directory): ``gunicorn -c python:webapi.gunicorn_conf ...``.

- Two sync workers by default (``GUNICORN_WORKERS``); each loads the active model once, when it
  starts, before it accepts requests, then follows activations, rule changes and market upserts
  by polling the store (docs/api.md, "Hot swap and fold-in").
- Prometheus metrics are aggregated over the workers: ``PROMETHEUS_MULTIPROC_DIR`` is set to a
  fresh directory before any worker imports the app, and a dead worker's live gauges are
  dropped.
- Buffered served lists are flushed when a worker exits.
- Children the master inherited already dead are reaped when it starts: a launcher that
  ``exec``s gunicorn (``scripts/demo.sh``) can leave one behind, and gunicorn only reaps on a
  ``SIGCHLD`` it receives, so it would stay a defunct ``[python]`` under the master for good.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
preload_app = False  # each worker builds its own engine, model and threads after the fork
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # e.g. "-" for stdout; off by default

# A sync worker serves one request at a time, and one query's FAISS search is too small to split:
# OpenMP threads spinning for cores the other workers hold made a search ~20x slower (15 ms, not
# 0.6 ms; docs/benchmarks.md, "API load"). Workers inherit this before they import FAISS.
os.environ.setdefault("OMP_NUM_THREADS", "1")

_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="assetmatch-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Reap children that exited before this process became gunicorn (it has forked none yet)."""
    reap_inherited_children()


def reap_inherited_children() -> list[int]:
    """Collect every already-exited child of this process; returns their pids.

    Only safe before the master forks its own workers: it would otherwise take their exit
    status from gunicorn. Children still running are left alone (gunicorn reaps them later).
    """
    reaped = []
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except OSError as error:
            if error.errno == errno.ECHILD:
                return reaped
            raise
        if pid == 0:
            return reaped
        reaped.append(pid)


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Load the model before the worker's first request (a worker with no model still starts)."""
    from webapi.http.context import SERVING_EXTENSION

    state = worker.wsgi.extensions[SERVING_EXTENSION]
    try:
        state.refresh(force=True)
    except Exception:  # noqa: BLE001 - /readyz reports it; requests get 503 until it loads
        worker.log.exception("could not load the model at start")


def worker_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Write the worker's buffered served lists before it goes, and remove its serving-process row."""
    from webapi.http.context import SERVED_LISTS_EXTENSION
    from webapi.http.process_heartbeat import HEARTBEAT_EXTENSION

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        app.extensions[SERVED_LISTS_EXTENSION].flush()
        app.extensions[HEARTBEAT_EXTENSION].stop()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Drop a dead worker's live gauges from the aggregated metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # type: ignore[no-untyped-def]
    """Remove the metrics directory this configuration made (one given in the environment stays)."""
    if _own_metrics_dir is not None:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
