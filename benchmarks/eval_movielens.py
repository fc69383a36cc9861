"""Evaluate the recommender on MovieLens 100k and write the markdown report.

Both protocols (warm: 20% of each user's positives held out; item cold start: 20% of items held
out entirely), five seeds, every model - popularity, implicit ALS and BPR, LightFM with and
without features, and ours - tuned with the same budget on validation splits of the training
data, in one run. Targets: NDCG@10 >= 0.32 warm and >= 0.20 cold. About 15-25 minutes on 2 cores
(30 CPU-minutes).

    python benchmarks/eval_movielens.py --out docs/evaluation-movielens.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recommender.evaluation.movielens import DEFAULT_BUDGET, DEFAULT_SEEDS, movielens_report
from recommender.evaluation.movielens_data import DatasetMissingError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = REPO_ROOT.parent / "shared" / "datasets" / "ml-100k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="folder holding u.data, u.user, u.item")
    parser.add_argument("--out", type=Path, help="write the markdown report here (printed when omitted)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="configurations tried per model")
    parser.add_argument("--workers", type=int, default=None, help="parallel processes (default: all cores)")
    args = parser.parse_args()
    try:
        report = movielens_report(args.dataset, seeds=tuple(args.seeds), budget=args.budget, workers=args.workers)
    except DatasetMissingError as error:
        raise SystemExit(str(error)) from None
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(report)


if __name__ == "__main__":
    main()
