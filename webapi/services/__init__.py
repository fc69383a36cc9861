"""The Flask-free room: what the API, the console and the CLI share, one implementation each.

``serving`` (each process's serving state and hot swap), ``training`` and ``training_progress``
(a training run and the promotion gate's inputs), ``activation`` (activating a model version),
``model_store`` (artifacts on disk and the active model), ``replay`` (versions compared on served
traffic), ``served_log`` (the buffered served-list writer), ``schedule`` (``--every`` intervals),
``rule_sets`` (the rule set in force, its history, apply and preview), ``ranked_lists`` (a
list ranked with read-your-writes), ``exposure_report`` (listings' reach against the floor),
``market_records`` (listing and investor upserts, stored ids) and ``metrics`` (serving and
ingestion metrics).
Nothing here imports Flask, ``webapi.http`` or ``webapi.cli`` (import-linter checks it); the
package imports no submodule itself, so using one service does not load the others.
"""
