"""The WSGI entry point for production servers: ``gunicorn 'webapi.wsgi:app'``.

Configuration comes from ``ASSETMATCH_*`` environment variables (``ASSETMATCH_DATABASE_URL``,
``ASSETMATCH_INSTANCE_PATH``, ...), as for every command.
"""

from __future__ import annotations

from webapi.http.app import create_app
from webapi.http.process_heartbeat import start_heartbeat

app = create_app()
start_heartbeat(app)  # report what this process serves (the console lists every process)
