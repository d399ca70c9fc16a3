"""Measure how well ``estimate_rater_lags`` recovers simulated raters' reaction lags on real curves.

Reads ``../shared/data/liris-accede-continuous/`` (beside the repository; never copied into it).
For each seed, movie and dimension: the real per-second mean curve, three simulated raters delayed
by the given lags (linear interpolation, NaN before the start) plus white noise, then the largest
absolute error of the estimated lags (:func:`sklearn_emotion.annotation.estimate_rater_lags`).
Prints, per lag set, the number of cases, the median, 95th percentile and worst error, and how many
cases miss by more than 0.5 s.  The simulation is the one of ``tests/test_annotation_lags.py``.

Usage: ``python benchmarks/rater_lags.py [--shared PATH] [--seeds 30] [--first-seed 10] [--noise 0.01]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from sklearn_emotion.annotation import estimate_rater_lags  # noqa: E402
from sklearn_emotion.files import read_mean_std_pair  # noqa: E402

#: The movies of tests/test_annotation_lags.py: 174 s to 4,568 s, of different character.
MOVIES = ("Islands", "After_The_Rain", "Big_Buck_Bunny", "Chatter", "Decay", "The_room_of_franz_kafka", "Wanted")
LAG_SETS = ((0.0, 2.0, 4.0), (0.0, 1.5, 3.25))


def simulate_raters(curve: np.ndarray, lags, seed: int, noise: float = 0.01) -> np.ndarray:
    """``(T, len(lags))``: the curve delayed by each lag (linear interpolation) plus white noise, NaN before it."""
    rng = np.random.default_rng(seed)
    seconds = np.arange(len(curve), dtype=float)
    return np.column_stack([np.interp(seconds - lag, seconds, curve, left=np.nan) + rng.normal(0, noise, len(curve))
                            for lag in lags])


def errors(curves: dict[str, np.ndarray], lags, seeds, noise: float, max_lag: int = 8) -> np.ndarray:
    """The worst lag error of each (seed, movie, dimension), in seconds."""
    out = []
    for seed in seeds:
        for movie, movie_curves in curves.items():
            for dimension in range(2):
                ratings = simulate_raters(movie_curves[:, dimension], lags, seed * 1000 + dimension, noise)
                out.append(np.abs(estimate_rater_lags(ratings, max_lag=max_lag) - np.array(lags)).max())
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_DIR.parent / "shared" / "data")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.01)
    args = parser.parse_args()
    folder = args.shared / "liris-accede-continuous"
    curves = {movie: read_mean_std_pair(folder, movie)[0][:, :2] for movie in MOVIES}
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{len(seeds)} seeds x {len(MOVIES)} movies x 2 dimensions, noise std {args.noise}, max_lag 8")
    print(f"{'lags':<18}{'cases':>6}{'median':>8}{'p95':>8}{'worst':>8}{'> 0.5 s':>9}{'> 0.35 s':>9}")
    per_movie = {}
    for lags in LAG_SETS:
        start = time.perf_counter()
        worst = errors(curves, lags, seeds, args.noise)
        print(f"{', '.join(f'{lag:g}' for lag in lags):<18}{len(worst):>6}{np.median(worst):>8.3f}"
              f"{np.percentile(worst, 95):>8.3f}{worst.max():>8.3f}{(worst > 0.5).sum():>9}{(worst > 0.35).sum():>9}"
              f"   ({time.perf_counter() - start:.1f} s)")
        per_movie[lags] = worst.reshape(len(seeds), len(MOVIES), 2)
    print("\nper movie (both lag sets, both dimensions): worst error, cases > 0.5 s")
    for index, movie in enumerate(MOVIES):
        cases = np.concatenate([worst[:, index].ravel() for worst in per_movie.values()])
        print(f"  {movie:<26}{len(curves[movie]):>6} s   worst {cases.max():.3f}   > 0.5 s: {(cases > 0.5).sum()}")


if __name__ == "__main__":
    main()
