"""Generator scenarios: the default is today's market, and every knob changes the simulation.

Each knob test generates the same seed twice, once with the knob moved, and measures the effect
a reader of the market files could see (not only the hidden arrays the knob sets).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.contract import ASSET_TYPES, REGION_OF_PROVINCE
from data.generator import (
    DEFAULT,
    SCENARIOS,
    GeneratedMarket,
    GeneratorConfigError,
    Scenario,
    generate_market,
    load_truth,
    write_market,
)
from data.generator.propensity import PackageFeatures

END = datetime(2026, 6, 30)
N_INVESTORS, N_PACKAGES, SEED = 1_500, 4_000, 5
ENGAGED = ("favorite", "dd_request", "bid")


def market(**knobs: float) -> GeneratedMarket:
    return generate_market(N_INVESTORS, N_PACKAGES, SEED, END, replace(DEFAULT, name="test", **knobs))


@pytest.fixture(scope="module")
def base() -> GeneratedMarket:
    return generate_market(N_INVESTORS, N_PACKAGES, SEED, END)


def gini(values: np.ndarray) -> float:
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


# --- presets -------------------------------------------------------------------------------------


def test_default_scenario_is_todays_market(tmp_path: Path) -> None:
    plain = generate_market(200, 500, seed=3, end=END)
    named = generate_market(200, 500, seed=3, end=END, scenario="default")
    write_market(plain, tmp_path / "a")
    write_market(named, tmp_path / "b")
    for rel in ("investors.csv", "packages.csv", "events.csv", "truth/truth.npz", "truth/meta.json"):
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert "scenario" not in (tmp_path / "a" / "truth" / "meta.json").read_text(encoding="utf-8")


def test_at_least_four_presets_besides_the_default_each_moving_a_knob() -> None:
    others = [s for name, s in SCENARIOS.items() if name != "default"]
    assert len(others) >= 4
    for scenario in others:
        assert scenario.knobs() != DEFAULT.knobs(), scenario.name
        assert scenario.description


def test_unknown_scenario_is_refused_naming_the_presets() -> None:
    with pytest.raises(GeneratorConfigError, match="circles"):
        generate_market(10, 10, seed=1, scenario="mars")


@pytest.mark.parametrize(
    "knobs", [{"hesitant_share": 1.5}, {"activity_skew": -1.0}, {"circle_size": 1}, {"circle_share": 2.0}]
)
def test_impossible_knobs_are_refused(knobs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Scenario(**knobs)


def test_a_scenario_market_round_trips_with_its_truth(tmp_path: Path) -> None:
    circles = generate_market(300, 600, seed=2, end=END, scenario="circles")
    write_market(circles, tmp_path)
    truth = load_truth(tmp_path / "truth")
    assert truth.scenario == "circles"
    assert truth.scenario_knobs == SCENARIOS["circles"].knobs()
    np.testing.assert_array_equal(truth.circle_of, circles.truth.circle_of)
    ids = circles.investors.investor_id.tolist()[:50]
    np.testing.assert_array_equal(truth.affinity(ids, circles.packages), circles.truth.affinity(ids, circles.packages))


# --- each knob's measurable effect -------------------------------------------------------------


def _reserve_share_gap(packages: pd.DataFrame) -> float:
    """Mean reserve/claim of east-coast packages minus that of north-eastern ones."""
    ratio = packages.reserve_price_cny / packages.claim_total_cny.fillna(packages.principal_cny)
    region = packages.province.map(REGION_OF_PROVINCE)
    return float(ratio[region == "east_coast"].mean() - ratio[region == "north_east"].mean())


def test_regional_recovery_scales_the_regional_price_gap(base: GeneratedMarket) -> None:
    today = _reserve_share_gap(base.packages)
    assert today > 0.02
    assert _reserve_share_gap(market(regional_recovery=2.0).packages) > 1.5 * today
    assert abs(_reserve_share_gap(market(regional_recovery=0.0).packages)) < 0.35 * today


def _stated_accuracy(m: GeneratedMarket) -> float:
    """Share of stated asset-type lists whose every entry is among the investor's true top three."""
    top3 = np.argsort(-m.truth.type_weight, axis=1)[:, :3]
    hits = [
        all(ASSET_TYPES.index(t) in top3[row] for t in stated.split(";"))
        for row, stated in enumerate(m.investors.preferred_asset_types)
        if isinstance(stated, str)
    ]
    return float(np.mean(hits))


def test_stated_share_and_error_change_how_much_and_how_truly_investors_state(base: GeneratedMarket) -> None:
    quiet = market(stated_share=0.35)
    for column in ("preferred_asset_types", "preferred_provinces", "min_ticket_cny", "risk_appetite"):
        assert quiet.investors[column].notna().mean() < 0.6 * base.investors[column].notna().mean(), column
    assert _stated_accuracy(market(stated_error=3.0)) < _stated_accuracy(base) - 0.2


def test_hesitant_share_shows_in_due_diligence_requests(base: GeneratedMarket) -> None:
    hesitant = market(hesitant_share=0.4)
    assert abs(hesitant.truth.hesitant_mask.mean() - 0.4) < 0.04

    def dd_per_view(m: GeneratedMarket) -> float:
        counts = m.events.event_type.value_counts()
        return counts["dd_request"] / counts["view"]

    assert dd_per_view(hesitant) > 1.15 * dd_per_view(base)


def test_activity_skew_raises_the_gini_of_events_per_investor(base: GeneratedMarket) -> None:
    def events_gini(m: GeneratedMarket) -> float:
        per_investor = m.events.groupby("investor_id").size().reindex(m.investors.investor_id).fillna(0)
        return gini(per_investor.to_numpy())

    assert events_gini(market(activity_skew=1.8)) > events_gini(base) + 0.05


def test_co_bidding_circles_raise_bidder_overlap_beyond_content(base: GeneratedMarket) -> None:
    """Same investors, same listings, same tastes: only the circles differ, and circle-mates co-act."""
    circles = market(circle_share=0.4, circle_strength=2.0)
    members = circles.truth.circle_of

    def mate_overlap(m: GeneratedMarket) -> float:
        engaged = m.events[m.events.event_type.isin(ENGAGED)]
        acted = engaged.groupby("investor_id").package_id.apply(set)
        ids = m.investors.investor_id.to_numpy()
        overlaps = []
        for circle in np.unique(members[members >= 0]):
            mates = ids[members == circle]
            for i, a in enumerate(mates):
                for b in mates[i + 1 :]:
                    left, right = acted.get(a, set()), acted.get(b, set())
                    if left and right:
                        overlaps.append(len(left & right) / len(left | right))
        return float(np.mean(overlaps))

    assert (base.truth.circle_of is None) and (base.truth.package_latent is None)
    pd.testing.assert_frame_equal(circles.packages.drop(columns="status"), base.packages.drop(columns="status"))
    assert mate_overlap(circles) > 10 * mate_overlap(base)


def test_price_sensitivity_draws_bids_to_deep_discounts(base: GeneratedMarket) -> None:
    def discount_lift(m: GeneratedMarket) -> float:
        gap = pd.Series(PackageFeatures.from_frame(m.packages, m.truth.package_sector).discount_gap,
                        index=m.packages.package_id)
        events = m.events
        return float(gap[events.package_id[events.event_type == "bid"]].mean()
                     - gap[events.package_id[events.event_type == "impression"]].mean())

    assert discount_lift(market(price_sensitivity=2.5)) > 1.8 * discount_lift(base)


def test_ticket_dispersion_widens_the_sizes_each_investor_acts_on(base: GeneratedMarket) -> None:
    def spread(m: GeneratedMarket) -> float:
        engaged = m.events[m.events.event_type.isin(ENGAGED)].merge(m.packages[["package_id", "reserve_price_cny"]])
        size = np.log10(engaged.reserve_price_cny.astype(float)).groupby(engaged.investor_id)
        return float(size.std()[size.size() >= 5].mean())

    assert spread(market(ticket_dispersion=0.6)) < spread(base) < spread(market(ticket_dispersion=1.8))


def test_module_command_line_takes_a_scenario(tmp_path: Path) -> None:
    from data.generator.__main__ import main as cli_main

    assert cli_main(["--out", str(tmp_path), "--investors", "60", "--packages", "120", "--scenario", "whales"]) == 0
    assert load_truth(tmp_path / "truth").scenario == "whales"
    with pytest.raises(SystemExit):
        cli_main(["--out", str(tmp_path), "--scenario", "mars"])
