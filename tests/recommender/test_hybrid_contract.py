"""The contract every recommender here passes: planted structure, batch == single, save/load, refit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from recommender.als_part import ALSParams
from recommender.errors import ArtifactError, NotFittedError, UnknownIdError
from recommender.hybrid import HybridConfig, HybridRecommender
from recommender.lightfm_part import LightFMParams
from tests.recommender.planted import investor_row, package_row, planted_training_set

SMALL = HybridConfig(
    lightfm=LightFMParams(components=8, epochs=30), als=ALSParams(factors=4, iterations=10), random_state=3
)
NEW_PACKAGES = {"new-north": package_row("north", 1), "new-south": package_row("south", 2)}


def fitted_model() -> HybridRecommender:
    model = HybridRecommender(SMALL).fit(planted_training_set())
    model.index_packages(list(NEW_PACKAGES), list(NEW_PACKAGES.values()))
    return model


@pytest.fixture(scope="module")
def model() -> HybridRecommender:
    return fitted_model()


def test_a_new_listing_comes_first_for_its_camp_without_retraining(model: HybridRecommender) -> None:
    for camp in ("north", "south"):
        investors = [f"{camp}-inv-{n}" for n in range(20)]
        top = [ranked[0][0] for ranked in model.recommend(investors, k=2)]
        assert top == [f"new-{camp}"] * 20


def test_buyers_of_a_new_listing_are_its_camp(model: HybridRecommender) -> None:
    buyers = model.buyers(["new-south"], k=20)[0]
    assert {investor.split("-")[0] for investor, _ in buyers} == {"south"}


def test_a_new_investor_is_placed_by_its_profile(model: HybridRecommender) -> None:
    model.upsert_investors(["fresh-north"], [investor_row("north")])
    assert model.recommend(["fresh-north"], k=1)[0][0][0] == "new-north"


def test_batch_equals_single(model: HybridRecommender) -> None:
    investors = ["north-inv-0", "south-inv-5", "north-inv-7"]
    batch = model.recommend(investors, k=2)
    assert batch == [model.recommend([i], k=2)[0] for i in investors]
    assert model.buyers(["new-north", "new-south"], k=5) == [
        model.buyers(["new-north"], k=5)[0], model.buyers(["new-south"], k=5)[0]
    ]


def test_retrieval_agrees_with_the_score_matrix(model: HybridRecommender) -> None:
    scores = model.score(["north-inv-3"], ["new-north", "new-south"])[0]
    ranked = dict(model.recommend(["north-inv-3"], k=2)[0])
    assert ranked["new-north"] == pytest.approx(scores[0], rel=1e-5)
    assert ranked["new-south"] == pytest.approx(scores[1], rel=1e-5)


def test_filtering_is_part_of_retrieval_and_never_leaves_a_list_short(model: HybridRecommender) -> None:
    ranked = model.recommend(["north-inv-1"], k=1, allowed_packages={"new-south"})[0]
    assert [package for package, _ in ranked] == ["new-south"]
    excluded = model.recommend(["north-inv-1"], k=1, exclude={"north-inv-1": {"new-north"}})[0]
    assert [package for package, _ in excluded] == ["new-south"]


def test_save_and_load_give_identical_answers(model: HybridRecommender, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = HybridRecommender.load(path)
    investors = ["north-inv-0", "south-inv-1"]
    assert loaded.recommend(investors, k=2) == model.recommend(investors, k=2)
    assert loaded.buyers(["new-north"], k=10) == model.buyers(["new-north"], k=10)
    assert loaded.similar(["new-north"], k=1) == model.similar(["new-north"], k=1)
    assert loaded.config == model.config


def test_refit_with_the_same_seed_on_one_thread_is_identical() -> None:
    first, second = fitted_model(), fitted_model()
    np.testing.assert_array_equal(first.investor_vectors, second.investor_vectors)
    np.testing.assert_array_equal(first.package_vectors, second.package_vectors)


def test_unknown_ids_and_unfitted_models_raise_named_errors(model: HybridRecommender, tmp_path: Path) -> None:
    with pytest.raises(UnknownIdError, match="unknown investor 'nobody'"):
        model.recommend(["nobody"], k=3)
    with pytest.raises(UnknownIdError, match="unknown package 'nothing'"):
        model.buyers(["nothing"], k=3)
    with pytest.raises(NotFittedError):
        HybridRecommender().recommend(["north-inv-0"], k=1)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a model")
    with pytest.raises(ArtifactError, match="unreadable"):
        HybridRecommender.load(corrupt)
    with pytest.raises(ArtifactError, match="does not exist"):
        HybridRecommender.load(tmp_path / "missing.npz")


def test_reweighting_equals_refitting_with_those_weights() -> None:
    training = planted_training_set()
    fitted = HybridRecommender(replace(SMALL, activity_weight=1.0)).fit(training)
    refit = HybridRecommender(replace(SMALL, lightfm_weight=0.5, als_weight=2.0, activity_weight=0.3)).fit(training)
    reweighted = fitted.reweighted(0.5, 2.0, 0.3)
    np.testing.assert_allclose(reweighted.investor_vectors, refit.investor_vectors, rtol=1e-5, atol=1e-6)
    assert reweighted.config == refit.config


def test_a_reweighted_copy_shares_no_live_state_with_its_original() -> None:
    """Tuning reweights one fit many times; a listing indexed on one copy must not leak into another."""
    original = fitted_model()
    before = original.recommend(["north-inv-0"], k=5)
    copy = original.reweighted(1.0, 0.2, 0.3)
    copy.index_packages(["copy-only"], [package_row("north", 0)])
    copy.unindex_packages(["new-north"])
    copy.upsert_investors(["copy-investor"], [investor_row("south")])
    assert "copy-only" not in original.package_ids
    assert "copy-investor" not in original.investor_ids
    assert len(original.package_index) == len(NEW_PACKAGES)
    assert original.recommend(["north-inv-0"], k=5) == before
    original.unindex_packages(["new-south"])
    assert "new-south" in [package for package, _ in copy.recommend(["south-inv-0"], k=5)[0]]


def test_listings_added_one_at_a_time_equal_listings_added_together() -> None:
    rows = {f"extra-{camp}-{n}": package_row(camp, n) for camp in ("north", "south") for n in range(5)}
    together, one_by_one = fitted_model(), fitted_model()
    together.index_packages(list(rows), list(rows.values()))
    for package_id, row in rows.items():
        one_by_one.index_packages([package_id], [row])
    one_by_one.index_packages(["extra-north-0"], [package_row("south", 0)])  # an edited listing
    together.index_packages(["extra-north-0"], [package_row("south", 0)])
    investors = ["north-inv-2", "south-inv-3"]
    assert one_by_one.recommend(investors, k=8) == together.recommend(investors, k=8)
    np.testing.assert_array_equal(one_by_one.package_features.toarray(), together.package_features.toarray())
    assert one_by_one.package_features.shape[0] == len(one_by_one.package_ids)


def test_with_item_identities_and_no_content_weight_the_als_half_is_plain_item_als() -> None:
    config = replace(SMALL, package_identity_weight=1.0, als_content_weight=0.0)
    model = HybridRecommender(config).fit(planted_training_set())
    model.index_packages(["unseen"], [package_row("north", 1)])
    components = config.lightfm.components
    als_block = model.package_vectors[:, 2 + components : 2 + components + config.als.factors]
    assert not als_block[model.package_ids.row("unseen")].any()  # no identity, no content: nothing
    assert als_block[model.package_ids.row("north-pkg-0")].any()  # trained items keep their factors


def test_retrieval_by_external_ids_in_both_directions_keeps_to_the_allowed_set(model: HybridRecommender) -> None:
    from recommender.errors import UnknownInvestorError, UnknownPackageError

    (found,) = model.retrieve("investor", ["north-inv-0"], 2)
    assert model.package_ids.ids(found.rows)[0] == "new-north"
    allowed = np.zeros(len(model.package_ids), dtype=bool)
    allowed[model.package_ids.row("new-south")] = True
    (only,) = model.retrieve("investor", ["north-inv-0"], 2, allowed)
    assert model.package_ids.ids(only.rows) == ["new-south"]
    (buyers,) = model.retrieve("package", ["new-north"], 3)
    assert all(i.startswith("north-") for i in model.investor_ids.ids(buyers.rows))
    with pytest.raises(UnknownInvestorError, match="unknown investor 'nobody'"):
        model.retrieve("investor", ["nobody"], 2)
    with pytest.raises(UnknownPackageError):
        model.retrieve("package", ["nothing"], 2)
