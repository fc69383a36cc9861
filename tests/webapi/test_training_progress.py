"""Training progress lines: two fits running at once stay readable in a log."""

from __future__ import annotations

import threading

from recommender.progress import PrefixedProgress
from webapi.services.training_progress import StageLines


def _fit(progress: PrefixedProgress, turns: list[threading.Event], mine: int) -> None:
    for stage, total in (("profiles", 0), ("LightFM epochs", 3)):
        turns[mine].wait()
        with progress.stage(stage, total) as advance:
            advance(total)
            turns[mine].clear()
            turns[1 - mine].set()
            turns[mine].wait()
        turns[mine].clear()
        turns[1 - mine].set()


def test_stage_lines_of_parallel_fits_are_self_contained_and_never_pair_up_across_fits() -> None:
    """The two fits used to print "final model: LightFM epochs (10 steps) ..." and, lines later,
    "holdout candidate: LightFM epochs done": starts and ends paired up across the fits."""
    lines: list[str] = []
    progress = StageLines(lines.append)
    turns = [threading.Event(), threading.Event()]
    fits = [
        threading.Thread(target=_fit, args=(PrefixedProgress(progress, name), turns, i))
        for i, name in enumerate(("holdout candidate", "final model"))
    ]
    with progress.stage("loading the market"):
        pass
    turns[0].set()
    for thread in fits:
        thread.start()
    for thread in fits:
        thread.join(10)
    texts = [line.split("] ", 1)[1] for line in lines]
    assert texts[:2] == ["loading the market ...", "loading the market done in 0.0 s"]
    fit_lines = texts[2:]
    assert fit_lines.count("holdout candidate  started") == 1
    assert fit_lines.count("final model        started") == 1
    finished = [text for text in fit_lines if not text.endswith("started")]
    assert len(finished) == 4
    for text in finished:  # each line names its fit in one column and says what finished, and its steps
        fit, stage = text[:18].strip(), text[19:]
        assert fit in ("holdout candidate", "final model")
        assert stage in ("profiles done in 0.0 s", "LightFM epochs (3 steps) done in 0.0 s")
    assert not any(text.endswith("...") for text in fit_lines)
