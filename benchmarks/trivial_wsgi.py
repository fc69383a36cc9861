"""The load benchmark's baseline: a Flask route returning a fixed 20-item JSON list.

``benchmarks/bench_load.py`` serves it with gunicorn under the API's worker settings, so the
ratio of the two says what AssetMatch adds to the cost of Flask and gunicorn themselves.

    gunicorn -w 2 -k sync --bind 127.0.0.1:8766 'benchmarks.trivial_wsgi:app'
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)
ITEMS = [{"id": f"PKG{n:07d}", "rank": n, "score": round(1.0 - n / 40, 6)} for n in range(1, 21)]


@app.get("/items")
def items():  # type: ignore[no-untyped-def]
    return jsonify({"items": ITEMS})
