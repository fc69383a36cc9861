"""``assetmatch serve``: the development server. Production runs gunicorn (docs/api.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from webapi.cli.support import echo, migrated_engine
from webapi.http.process_heartbeat import heartbeat_of


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the HTTP API with Werkzeug's threaded development server.

    For production use gunicorn: gunicorn -c webapi/gunicorn_conf.py 'webapi.wsgi:app'.
    """
    migrated_engine()
    echo(f"serving the AssetMatch API on http://{host}:{port} (development server; Ctrl+C stops it)")
    app = current_app._get_current_object()
    heartbeat = heartbeat_of(app)
    heartbeat.start()  # report what this process serves (the console lists every process)
    try:
        # Flask.run() does nothing under a Flask CLI group, so serve through Werkzeug directly.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        heartbeat.stop()
