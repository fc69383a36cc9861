"""The ``assetmatch`` command line (the ``console_scripts`` entry point is ``webapi.cli:main``).

``main`` is the click group; its commands live one family a module: ``commands`` (db, import,
generate, summary, rank, evaluate), ``keys``, ``models`` (train, list, activate, replay),
``rules`` and ``serve``; ``support`` holds what they share (the migrated engine, masked echo).
Commands do their work through ``webapi.services`` and the lower layers, never through an HTTP view.
"""

from __future__ import annotations

from webapi.cli.commands import main

__all__ = ["main"]
