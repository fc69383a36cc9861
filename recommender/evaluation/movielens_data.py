"""MovieLens 100k as the recommender sees it: positive ratings plus user and item feature rows.

The marketplace data is synthetic, so the model is also judged on real people choosing real
items. MovieLens 100k is the smallest public set with both user attributes (age, gender,
occupation) and item content (genres, release decade), which is exactly the shape of the
investor × package problem: profiles on one side, listing features on the other.

The files are read from a folder given by the caller and never copied into the repository.
``MovieLensLoader`` is this data set's ``datasets.DatasetLoader``: the harness reads it like any
other implicit-feedback data set (positive ratings become timestamped interactions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.evaluation.datasets import FeatureRow, ImplicitDataset

NAME = "MovieLens 100k"
POSITIVE_RATING = 4
REQUIRED_FILES = ("u.data", "u.user", "u.item")
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)
# The MovieLens 1M age groups: coarse enough that every group holds many users.
AGE_GROUPS = ((18, "under-18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (50, "45-49"), (56, "50-55"))
OLDEST_AGE_GROUP = "56+"


class DatasetMissingError(FileNotFoundError):
    """The MovieLens folder, or one of the files it must hold, is not there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"MovieLens 100k not found at {path}: expected a folder holding {', '.join(REQUIRED_FILES)} "
            "(the ml-100k archive from GroupLens, unpacked)"
        )


# MovieLens is an ``ImplicitDataset`` like any other; the name stays for its readers.
MovieLens = ImplicitDataset


@dataclass(frozen=True)
class MovieLensLoader:
    """The ``DatasetLoader`` of MovieLens 100k, reading the unpacked ml-100k folder."""

    dataset_dir: Path
    name: str = NAME

    def load(self) -> ImplicitDataset:
        return load_movielens(self.dataset_dir)


def load_movielens(dataset_dir: Path) -> ImplicitDataset:
    """Read ``u.data``, ``u.user`` and ``u.item`` from ``dataset_dir``.

    Raises ``DatasetMissingError`` naming the path when the folder or a file is absent, so a
    benchmark run on a machine without the data says what to fetch instead of a bare traceback.
    """
    dataset_dir = Path(dataset_dir)
    for name in REQUIRED_FILES:
        if not (dataset_dir / name).is_file():
            raise DatasetMissingError(dataset_dir / name if dataset_dir.is_dir() else dataset_dir)
    ratings = read_ratings(dataset_dir / "u.data")
    users = read_users(dataset_dir / "u.user")
    items = read_items(dataset_dir / "u.item")
    user_ids = users["user_id"].to_numpy()
    item_ids = items["item_id"].to_numpy()
    positive = ratings[ratings["rating"] >= POSITIVE_RATING]
    known = positive["user_id"].isin(user_ids) & positive["item_id"].isin(item_ids)
    return ImplicitDataset(
        name=NAME,
        user_ids=user_ids,
        item_ids=item_ids,
        interactions=positive.loc[known, ["user_id", "item_id", "timestamp"]].reset_index(drop=True),
        user_features=[user_feature_row(row) for row in users.to_dict("records")],
        item_features=[item_feature_row(row) for row in items.to_dict("records")],
        description=f"a pair is positive when rated ≥ {POSITIVE_RATING}; lower ratings are dropped",
    )


def read_ratings(path: Path) -> pd.DataFrame:
    """``user_id, item_id, rating, timestamp`` (tab separated, no header)."""
    return pd.read_csv(path, sep="\t", names=["user_id", "item_id", "rating", "timestamp"], dtype=np.int64)


def read_users(path: Path) -> pd.DataFrame:
    """``user_id|age|gender|occupation|zip``, sorted by id."""
    users = pd.read_csv(
        path, sep="|", names=["user_id", "age", "gender", "occupation", "zip"],
        dtype={"user_id": np.int64, "age": np.int64, "zip": str},
    )
    return users.sort_values("user_id").reset_index(drop=True)


def read_items(path: Path) -> pd.DataFrame:
    """Item id, title, release date and the 19 genre flags, sorted by id (the file is Latin-1)."""
    columns = ["item_id", "title", "release_date", "video_release_date", "url", *GENRES]
    items = pd.read_csv(path, sep="|", names=columns, encoding="latin-1", dtype={"release_date": str})
    return items.sort_values("item_id").reset_index(drop=True)


def positive_matrix(ratings: pd.DataFrame, user_ids: np.ndarray, item_ids: np.ndarray) -> sp.csr_matrix:
    """Users × items, 1.0 where the rating is positive (ratings below the bar are dropped)."""
    positive = ratings[ratings["rating"] >= POSITIVE_RATING]
    rows = pd.Index(user_ids).get_indexer(positive["user_id"])
    columns = pd.Index(item_ids).get_indexer(positive["item_id"])
    known = (rows >= 0) & (columns >= 0)
    matrix = sp.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (rows[known], columns[known])),
        shape=(len(user_ids), len(item_ids)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def age_group(age: int) -> str:
    """The MovieLens 1M bucket of an age (raw ages are too sparse to be features)."""
    for upper, name in AGE_GROUPS:
        if age < upper:
            return name
    return OLDEST_AGE_GROUP


def user_feature_row(user: Mapping[str, object]) -> FeatureRow:
    """``{"age=25-34": 1, "gender=M": 1, "occupation=engineer": 1}``: a profile, as for investors."""
    return {
        f"age={age_group(int(user['age']))}": 1.0,  # type: ignore[call-overload]
        f"gender={user['gender']}": 1.0,
        f"occupation={user['occupation']}": 1.0,
    }


def release_decade(release_date: object) -> str | None:
    """``"1990s"`` from ``"01-Jan-1995"``; None when the date is missing."""
    if not isinstance(release_date, str) or len(release_date) < 4:
        return None
    year = release_date[-4:]
    return f"{year[:3]}0s" if year.isdigit() else None


def item_feature_row(item: Mapping[str, object], genres: Sequence[str] = GENRES) -> FeatureRow:
    """``{"genre=Comedy": 1, ..., "decade=1990s": 1}``: content only, as for a new listing."""
    row = {f"genre={genre}": 1.0 for genre in genres if item[genre] == 1}
    decade = release_decade(item["release_date"])
    if decade:
        row[f"decade={decade}"] = 1.0
    return row
