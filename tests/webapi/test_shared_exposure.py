"""The daily exposure cap counts impressions across every serving process, not per process (both backends).

Impressions are stored events and every process folds in the whole event log, so an impression
reported through one process counts toward the cap in all of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from tests.webapi.conftest import (
    AS_OF,
    INVESTOR_ID,
    OTHER_INVESTOR_ID,
    Keys,
    ServedMarket,
    call,
    recommended_ids,
)


@pytest.fixture(scope="module")
def two_hosts(served_market: ServedMarket) -> Iterator[tuple[FlaskClient, FlaskClient]]:
    """Two app instances (two instance folders) over one store, as two API hosts are."""
    apps = [
        served_market.app(INSTANCE_PATH=str(served_market.folder / name)) for name in ("host-1", "host-2")
    ]
    yield apps[0].test_client(), apps[1].test_client()
    for app in apps:
        app.extensions["assetmatch.engine"].dispose()


def test_an_impression_reported_to_one_host_fills_the_cap_on_the_other(
    two_hosts: tuple[FlaskClient, FlaskClient], keys: Keys
) -> None:
    first, second = two_hosts
    rules = {"document": {"exposure": {"daily_cap_per_package": 1}}, "why": "one investor per listing a day"}
    assert call(first, "put", "/v1/rules", keys.operator, json=rules).status_code == 200
    listing = recommended_ids(second, keys.platform, INVESTOR_ID)[0]
    assert listing in recommended_ids(first, keys.platform, INVESTOR_ID)
    impression = {
        "event_id": "shared-cap-1",
        "investor_id": OTHER_INVESTOR_ID,
        "package_id": listing,
        "event_type": "impression",
        "occurred_at": f"{AS_OF.isoformat()}+00:00",  # today on the pinned (UTC) clock
    }
    assert call(first, "post", "/v1/events", keys.platform, json=impression).status_code == 201
    # The cap is full: neither host shows the listing to another investor today.
    assert listing not in recommended_ids(second, keys.platform, INVESTOR_ID, k=100)
    assert listing not in recommended_ids(first, keys.platform, INVESTOR_ID, k=100)
