"""The market generator: reproducible, contract-valid, and shaped like the market it models."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.contract import (
    AMC_TYPES,
    ASSET_CLASS_OF_TYPE,
    EVENT_FIELDS,
    INVESTOR_FIELDS,
    INVESTOR_TYPES,
    LIST_SEPARATOR,
    LIVE_STATUSES,
    MARKET_FILES,
    PACKAGE_FIELDS,
    REGION_OF_PROVINCE,
    requires_amc_licence,
)
from data.generator import (
    GeneratedMarket,
    GeneratorConfigError,
    UnknownTruthIdError,
    generate_market,
    load_truth,
    write_market,
)
from data.generator import text as listing_text
from data.generator.__main__ import main as cli_main
from data.generator.personal_data import id_check_char, is_valid_luhn, is_valid_resident_id, luhn_check_digit
from data.generator.population import TYPE_SHARE
from data.generator.sectors import PHRASES, SECTORS

END = datetime(2026, 6, 30)
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dX](?![\dX])")
CARD_PATTERN = re.compile(r"(?<!\d)\d{16,19}(?![\dX])")
MOBILE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def small() -> GeneratedMarket:
    return generate_market(200, 500, seed=3, end=END)


@pytest.fixture(scope="module")
def mid() -> GeneratedMarket:
    """A market big enough for proportions and behaviour statistics to settle."""
    return generate_market(3_000, 6_000, seed=11, end=END)


def _bank_batch(packages: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [
            requires_amc_licence(s, c, int(n))
            for s, c, n in zip(packages.seller_type, packages.asset_class, packages.loan_count, strict=True)
        ],
        index=packages.index,
    )


def _with(events: pd.DataFrame, market: GeneratedMarket) -> pd.DataFrame:
    """Events joined with their package and investor columns."""
    return events.merge(market.packages, on="package_id", suffixes=("", "_pkg")).merge(
        market.investors, on="investor_id", suffixes=("", "_inv")
    )


# --- reproducibility -------------------------------------------------------------------------


def test_same_seed_gives_identical_frames(small: GeneratedMarket) -> None:
    again = generate_market(200, 500, seed=3, end=END)
    for name in ("investors", "packages", "events"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    np.testing.assert_array_equal(small.truth.type_weight, again.truth.type_weight)


def test_same_seed_gives_byte_identical_files(small: GeneratedMarket, tmp_path: Path) -> None:
    write_market(small, tmp_path / "a")
    write_market(generate_market(200, 500, seed=3, end=END), tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert {"investors.csv", "packages.csv", "events.csv", "truth/truth.npz"} <= {str(f) for f in files}
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_different_seed_gives_a_different_market(small: GeneratedMarket) -> None:
    other = generate_market(200, 500, seed=4, end=END)
    assert not small.packages.equals(other.packages)
    assert not small.events.equals(other.events)


def test_personal_data_never_changes_behaviour(
    monkeypatch: pytest.MonkeyPatch, small: GeneratedMarket
) -> None:
    monkeypatch.setattr(listing_text, "PERSONAL_DATA_SHARE", 0.0)
    clean = generate_market(200, 500, seed=3, end=END)
    assert not clean.packages.description.str.contains(ID_PATTERN).any()
    pd.testing.assert_frame_equal(clean.events, small.events)
    pd.testing.assert_frame_equal(clean.investors, small.investors)


def test_sample_market_is_the_seed_7_market(tmp_path: Path) -> None:
    """data/sample must be regenerated (python -m data.generator --out data/sample) after changes."""
    write_market(generate_market(400, 1_500, seed=7, end=END), tmp_path)
    for rel in ("investors.csv", "packages.csv", "events.csv", "truth/meta.json"):
        assert (SAMPLE_DIR / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    # The hidden truth's floats may differ in the last bits between numpy builds (their vectorised
    # exp/log differ by an ulp); the market files above are what users see and stay byte-exact.
    with np.load(SAMPLE_DIR / "truth/truth.npz") as stored, np.load(tmp_path / "truth/truth.npz") as fresh:
        assert sorted(stored.files) == sorted(fresh.files)
        for name in stored.files:
            if stored[name].dtype.kind == "f":
                np.testing.assert_allclose(stored[name], fresh[name], rtol=1e-9, atol=1e-12, err_msg=name)
            else:
                np.testing.assert_array_equal(stored[name], fresh[name], err_msg=name)
    sizes = sum((SAMPLE_DIR / name).stat().st_size for name in MARKET_FILES)
    assert sizes < 8_000_000
    assert len((SAMPLE_DIR / "events.csv").read_text(encoding="utf-8").splitlines()) - 1 <= 60_000


def test_rejects_empty_markets() -> None:
    with pytest.raises(GeneratorConfigError, match="at least one"):
        generate_market(0, 10, seed=1)


# --- contract validity -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "fields"),
    [("investors", INVESTOR_FIELDS), ("packages", PACKAGE_FIELDS), ("events", EVENT_FIELDS)],
)
def test_columns_and_vocabularies_follow_the_contract(
    mid: GeneratedMarket, frame: str, fields: tuple
) -> None:
    table = getattr(mid, frame)
    assert list(table.columns) == [f.name for f in fields]
    for field in fields:
        column = table[field.name]
        if field.required:
            assert column.notna().all(), field.name
        if field.unique:
            assert column.is_unique, field.name
        values = column.dropna()
        if field.kind == "enum":
            assert set(values) <= set(field.choices), field.name
        if field.kind == "list":
            items = {item for cell in values for item in cell.split(LIST_SEPARATOR)}
            assert items <= set(field.choices), field.name
        if field.minimum is not None and field.kind in ("decimal", "int"):
            assert (
                (values > field.minimum).all() if field.minimum_exclusive else (values >= field.minimum).all()
            )
        if field.maximum is not None:
            assert (values <= field.maximum).all(), field.name


def test_package_fields_are_consistent(mid: GeneratedMarket) -> None:
    p = mid.packages
    assert (p.asset_class == p.asset_type.map(ASSET_CLASS_OF_TYPE)).all()
    assert (p.claim_total_cny >= p.principal_cny).all()
    assert (p.closes_at > p.listed_at).all()
    open_days = (p.closes_at - p.listed_at).dt.days
    assert open_days.between(13, 56).all()
    assert p.city.notna().all()
    assert 0.02 < p.cross_border_eligible.mean() < 0.3
    inv = mid.investors.dropna(subset=["min_ticket_cny", "max_ticket_cny"])
    assert (inv.min_ticket_cny <= inv.max_ticket_cny).all()
    assert (mid.investors.licensed_amc == mid.investors.investor_type.isin(AMC_TYPES)).all()


def test_statuses_follow_time_and_a_live_set_exists(mid: GeneratedMarket) -> None:
    p = mid.packages
    past = p.closes_at <= pd.Timestamp(END)
    assert set(p.status[past]) <= {"sold", "unsold", "withdrawn"}
    assert set(p.status[~past]) <= set(LIVE_STATUSES)
    assert (p.status[p.listed_at > pd.Timestamp(END)] == "upcoming").all()
    assert (p.status == "active").sum() > 100 and (p.status == "upcoming").sum() > 20


def test_event_rows_are_well_formed(mid: GeneratedMarket) -> None:
    e = mid.events
    assert e.event_id.is_unique
    assert e.investor_id.isin(mid.investors.investor_id).all()
    assert e.package_id.isin(mid.packages.package_id).all()
    priced = e.event_type.isin(["bid", "win"])
    assert (e.amount_cny[priced] > 0).all() and e.amount_cny[~priced].isna().all()
    views = e.event_type == "view"
    assert (e.dwell_seconds[views] >= 0).all() and e.dwell_seconds[~views].isna().all()
    assert e.occurred_at.is_monotonic_increasing
    assert set(e.event_type) == {"impression", "view", "favorite", "dd_request", "bid", "win", "dismiss"}


def test_events_happen_while_the_package_is_open_and_the_investor_registered(mid: GeneratedMarket) -> None:
    joined = _with(mid.events, mid)
    assert (joined.occurred_at >= joined.listed_at).all()
    assert (joined.occurred_at <= joined.closes_at).all()
    assert (joined.occurred_at <= pd.Timestamp(END)).all()
    assert (joined.occurred_at >= joined.registered_at).all()


def test_each_package_is_won_at_most_once_and_sold_means_won(mid: GeneratedMarket) -> None:
    wins = mid.events[mid.events.event_type == "win"]
    assert wins.package_id.is_unique
    sold = set(mid.packages.package_id[mid.packages.status == "sold"])
    assert set(wins.package_id) == sold
    bids = mid.events[mid.events.event_type == "bid"]
    top_bid = bids.groupby("package_id").amount_cny.max()
    assert (wins.set_index("package_id").amount_cny == top_bid.reindex(wins.package_id).to_numpy()).all()
    reserve = mid.packages.set_index("package_id").reserve_price_cny
    assert (wins.amount_cny.to_numpy() >= reserve.reindex(wins.package_id).to_numpy()).all()


def test_only_licensed_amcs_bid_on_or_win_bank_batches(mid: GeneratedMarket) -> None:
    batches = _bank_batch(mid.packages)
    assert batches.sum() > 0.2 * len(mid.packages)
    joined = _with(mid.events[mid.events.event_type.isin(["bid", "win"])], mid)
    on_batches = joined[_bank_batch(joined).to_numpy()]
    assert len(on_batches) > 100
    assert on_batches.licensed_amc.all()
    viewers = _with(mid.events[mid.events.event_type == "view"], mid)
    assert (~viewers.licensed_amc[_bank_batch(viewers).to_numpy()]).any()


# --- market shape ----------------------------------------------------------------------------


def test_investor_mix_matches_the_target(mid: GeneratedMarket) -> None:
    share = mid.investors.investor_type.value_counts(normalize=True).reindex(INVESTOR_TYPES, fill_value=0.0)
    np.testing.assert_allclose(share.to_numpy(), TYPE_SHARE, atol=0.01)
    capital = mid.investors.groupby("investor_type").capital_cny.median()
    assert capital["national_amc"] > 1e10
    assert (mid.investors.capital_cny[mid.investors.investor_type == "individual"] < 1e7).all()
    registered = mid.investors.registered_at
    assert (pd.Timestamp(END) - registered.min()).days > 2.5 * 365


def test_listing_mix_matches_the_target(mid: GeneratedMarket) -> None:
    p = mid.packages
    share = p.asset_class.value_counts(normalize=True)
    for asset_class, target in {"credit": 0.60, "real_estate": 0.25, "equity": 0.08, "other": 0.07}.items():
        assert share[asset_class] == pytest.approx(target, abs=0.03)
    assert p.asset_type.value_counts().index[0] == "consumer_loan"
    consumer_batches = p[(p.asset_type == "consumer_loan") & (p.seller_type == "bank")].loan_count
    assert consumer_batches.between(1_000, 10_000).mean() > 0.7
    homes = p[p.asset_class == "real_estate"]
    assert (homes.loan_count == 1).all() and homes.appraised_value_cny.notna().mean() > 0.85
    assert (p.principal_cny[(p.asset_type == "residential")] < 5e6).mean() > 0.8
    assert (p.seller_type[p.asset_class == "credit"].isin(["bank", "national_amc", "local_amc"])).mean() > 0.9
    assert (p.seller_type[p.asset_class == "real_estate"] == "court").mean() > 0.4
    east = p.province.map(REGION_OF_PROVINCE) == "east_coast"
    assert east.mean() > 0.4
    listed_span = (p.listed_at.max() - p.listed_at.min()).days
    assert 700 <= listed_span <= 760
    assert ((p.dd_completeness > 0.9).mean() > 0.1) and (p.dd_completeness.between(0.3, 0.7).mean() > 0.35)


def test_east_coast_is_discounted_less_than_the_north_east(mid: GeneratedMarket) -> None:
    p = mid.packages.assign(
        region=mid.packages.province.map(REGION_OF_PROVINCE),
        price_to_claim=mid.packages.reserve_price_cny / mid.packages.claim_total_cny,
    )
    by_type = p.groupby(["asset_type", "region"]).price_to_claim.median().unstack()
    assert (by_type["east_coast"] > by_type["north_east"]).mean() >= 0.9
    overall = p.groupby("region").price_to_claim.median()
    assert overall["east_coast"] > 1.5 * overall["north_east"]


def test_individuals_win_mostly_small_packages_and_amcs_win_bank_batches(mid: GeneratedMarket) -> None:
    wins = _with(mid.events[mid.events.event_type == "win"], mid)
    individual = wins[wins.investor_type == "individual"]
    assert len(individual) > 50
    assert (individual.reserve_price_cny < 5e6).mean() > 0.8
    large = wins[wins.reserve_price_cny > 5e7]
    assert large.investor_type.isin(["national_amc", "local_amc", "private_fund", "bank"]).mean() > 0.7


def test_event_volume_and_funnel(mid: GeneratedMarket) -> None:
    counts = mid.events.event_type.value_counts()
    assert 20 <= len(mid.events) / len(mid.packages) <= 60
    assert counts["impression"] + counts["view"] > 0.75 * len(mid.events)
    assert 0.01 < counts["bid"] / counts["view"] < 0.08
    per_investor = mid.events.groupby("investor_id").size().reindex(mid.investors.investor_id, fill_value=0)
    assert (per_investor <= 5).mean() > 0.3
    assert per_investor.max() > 200
    late = mid.investors.registered_at > pd.Timestamp(END) - pd.Timedelta(days=10)
    assert (per_investor[late.to_numpy()] == 0).sum() > 0


def test_hesitant_investors_ask_for_files_and_bid_on_full_ones(mid: GeneratedMarket) -> None:
    hesitant = mid.events.investor_id.isin(mid.truth.hesitant)
    assert 0.12 < len(mid.truth.hesitant) / len(mid.investors) < 0.22

    def dd_per_bid(events: pd.DataFrame) -> float:
        counts = events.event_type.value_counts()
        return counts["dd_request"] / counts["bid"]

    assert dd_per_bid(mid.events[hesitant]) > 2 * dd_per_bid(mid.events[~hesitant])
    bids = _with(mid.events[mid.events.event_type == "bid"], mid)
    bid_hesitant = bids.investor_id.isin(mid.truth.hesitant)
    assert bids.dd_completeness[bid_hesitant].mean() > bids.dd_completeness[~bid_hesitant].mean() + 0.1


def test_stated_preferences_are_incomplete_and_sometimes_wrong(mid: GeneratedMarket) -> None:
    inv = mid.investors
    for column in ("preferred_asset_types", "preferred_provinces", "risk_appetite", "min_ticket_cny"):
        assert 0.2 < inv[column].isna().mean() < 0.6, column
    truth = mid.truth
    rows = truth.investor_index(inv.investor_id.tolist())
    top = np.argsort(-truth.type_weight[rows], axis=1)[:, :3]
    from data.contract import ASSET_TYPES

    stated = inv.preferred_asset_types.fillna("").str.split(LIST_SEPARATOR)
    wrong = [
        any(t and ASSET_TYPES.index(t) not in set(top[i]) for t in items) for i, items in enumerate(stated)
    ]
    assert 0.03 < np.mean(wrong) < 0.3


def test_text_reveals_the_hidden_sector(mid: GeneratedMarket) -> None:
    sectors = mid.truth.sector_of(mid.packages.package_id.tolist())
    assert set(sectors) == set(SECTORS)
    text = (mid.packages.title + " " + mid.packages.description).to_numpy()
    hits = [
        any(phrase in words for phrases in PHRASES[sector].values() for phrase in phrases)
        for sector, words in zip(sectors, text, strict=True)
    ]
    assert np.mean(hits) > 0.99
    assert "sector" not in mid.packages.columns


# --- personal data ---------------------------------------------------------------------------


def test_check_digit_functions_agree_with_known_numbers() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")
    assert luhn_check_digit("7992739871") == "3" and is_valid_luhn("4111111111111111")
    assert not is_valid_luhn("4111111111111112")


def test_planted_personal_data_is_well_formed(mid: GeneratedMarket) -> None:
    descriptions = mid.packages.description
    with_id = descriptions.str.contains(ID_PATTERN)
    assert 0.1 <= with_id.mean() <= 0.2
    ids = [m for text in descriptions[with_id] for m in ID_PATTERN.findall(text)]
    assert all(is_valid_resident_id(i) for i in ids)
    assert any(i.endswith("X") for i in ids)
    assert all(1950 < int(i[6:10]) < 2010 for i in ids)
    cards = [m for text in descriptions for m in CARD_PATTERN.findall(text) if len(m) != 18]
    assert len(cards) > 50 and all(is_valid_luhn(c) for c in cards)
    assert {len(c) for c in cards} == {16, 19}
    assert descriptions.str.contains(MOBILE_PATTERN).mean() > 0.05


# --- hidden truth ----------------------------------------------------------------------------


def test_truth_round_trips_and_affinity_reads_csv_packages(small: GeneratedMarket, tmp_path: Path) -> None:
    write_market(small, tmp_path)
    loaded = load_truth(tmp_path / "truth")
    assert loaded.hesitant == small.truth.hesitant
    assert loaded.group_of == small.truth.group_of
    assert loaded.end == END.isoformat() and loaded.seed == 3
    ids = small.investors.investor_id.tolist()[:50]
    from_csv = pd.read_csv(tmp_path / "packages.csv")
    np.testing.assert_array_equal(loaded.affinity(ids, from_csv), small.truth.affinity(ids, small.packages))


def test_affinity_is_a_propensity_that_respects_market_rules(mid: GeneratedMarket) -> None:
    ids = mid.investors.investor_id.tolist()[:300]
    affinity = mid.truth.affinity(ids, mid.packages)
    assert affinity.shape == (300, len(mid.packages))
    assert ((affinity >= 0) & (affinity <= 1)).all()
    unlicensed = ~mid.investors.licensed_amc.to_numpy()[:300]
    assert (affinity[np.ix_(unlicensed, _bank_batch(mid.packages).to_numpy())] == 0).all()
    assert 20 <= mid.truth.n_groups <= 60
    assert set(mid.truth.group_of.values()) == set(range(mid.truth.n_groups))


def test_affinity_ranks_each_investors_bids_above_random_packages(mid: GeneratedMarket) -> None:
    bids = mid.events[mid.events.event_type == "bid"]
    bidders = bids.investor_id.value_counts().index[:200].tolist()
    affinity = mid.truth.affinity(bidders, mid.packages)
    column = pd.Series(np.arange(len(mid.packages)), index=mid.packages.package_id)
    rng = np.random.default_rng(0)
    aucs = []
    for row, investor in enumerate(bidders):
        positive = affinity[row, column[bids.package_id[bids.investor_id == investor]].to_numpy()]
        negative = affinity[row, rng.integers(0, len(mid.packages), 300)]
        aucs.append((positive[:, None] > negative[None, :]).mean())
    assert np.mean(aucs) > 0.8


def test_unknown_ids_are_refused(small: GeneratedMarket) -> None:
    with pytest.raises(UnknownTruthIdError, match="INV999999"):
        small.truth.affinity(["INV999999"], small.packages)
    with pytest.raises(UnknownTruthIdError, match="PKG_NOPE"):
        small.truth.affinity(["INV000001"], small.packages.head(1).assign(package_id="PKG_NOPE"))


# --- files -----------------------------------------------------------------------------------


def test_written_files_use_the_contract_formats(small: GeneratedMarket, tmp_path: Path) -> None:
    write_market(small, tmp_path)
    with open(tmp_path / "investors.csv", encoding="utf-8", newline="") as handle:
        investors = list(csv.DictReader(handle))
    assert {row["licensed_amc"] for row in investors} == {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["registered_at"]) for row in investors)
    assert any(LIST_SEPARATOR in row["preferred_provinces"] for row in investors)
    with open(tmp_path / "packages.csv", encoding="utf-8", newline="") as handle:
        packages = list(csv.DictReader(handle))
    assert len(packages) == len(small.packages)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", row["listed_at"]) for row in packages)
    assert all(re.fullmatch(r"\d+\.\d{2}", row["reserve_price_cny"]) for row in packages)
    assert [row["description"] for row in packages] == small.packages.description.tolist()
    with open(tmp_path / "events.csv", encoding="utf-8", newline="") as handle:
        events = list(csv.DictReader(handle))
    assert [row["event_id"] for row in events] == small.events.event_id.tolist()
    assert all(row["amount_cny"] for row in events if row["event_type"] in ("bid", "win"))


def test_command_line_writes_a_market(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--out", str(tmp_path), "--investors", "60", "--packages", "120", "--seed", "5"]) == 0
    assert "120 packages" in capsys.readouterr().out
    assert (tmp_path / "events.csv").is_file() and (tmp_path / "truth" / "meta.json").is_file()
