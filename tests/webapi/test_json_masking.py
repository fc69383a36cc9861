"""The JSON encoder masks every string it writes, short (cached) or long, however deeply nested."""

from __future__ import annotations

import json
from datetime import datetime

from webapi.http.api.json_masking import MaskingJSONProvider
from webapi.http.app import create_app


def test_every_string_is_masked_and_numbers_are_left_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}"})
    assert isinstance(app.json, MaskingJSONProvider)
    long_text = "x" * 300 + " card 6222021234567890128"
    payload = {
        "items": [{"text": "call 13812345678", "amount": 13812345678}, ("id 110105198603150027",)],
        "long": long_text,
        "at": datetime(2026, 6, 20, 8, 30),
    }
    for _ in range(2):  # the second time from the cache
        decoded = json.loads(app.json.dumps(payload))
        assert decoded["items"][0] == {"text": "call 138****5678", "amount": 13812345678}
        assert decoded["items"][1] == ["id 110***********0027"]
        assert decoded["long"].endswith("card 622************0128")
        assert decoded["at"] == "2026-06-20T08:30:00"
    app.extensions["assetmatch.engine"].dispose()
