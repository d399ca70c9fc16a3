"""Viewers' disagreement: does ``GRUMoERegressor(predict_std=True)`` predict how much viewers disagree?

The target is the per-second standard deviation of the viewers' ratings (LIRIS-ACCEDE's ``Std``
columns, emoMusic's ``*_cont_std.csv``).  The honest baseline is the constant std: the training
seconds' mean std of each axis.  Two experiments:

1. **Semi-synthetic** (``make_lagged_movies(with_std=True)``): crops of the 30 real LIRIS-ACCEDE
   curves whose features carry, 20 s ahead, the real mean *and* std curves through a random
   non-linear mixing plus noise.  A third of the movies (each crop is from a different source movie)
   is held out; ``Windower(30) + GRUMoERegressor(predict_std=True)`` is trained on the rest.
   Repeated over ``--splits`` random thirds.  Also reported: the held-out MSE of the mean curves of
   the same model and of a ``predict_std=False`` model (does learning the std cost the mean?), and
   the std after ``SmoothedRegressor``'s Butterworth smoothing.
2. **emoMusic, real audio**: the 10 clips with audio in ``../shared/data/emomusic``, features
   ``AudioEmbedder("descriptors")`` (112 weight-free log-mel/MFCC statistics per second), targets
   valence, arousal and their std at 1 Hz (seconds 15-44 of each clip annotated), held out by clip
   (leave one clip out).  ``MovieStandardScaler + Windower(10) + GRUMoERegressor(predict_std=True)``
   against the constant std and a per-second ``RidgeCV`` fitted on the std columns.

Printed: Markdown tables of the movie-averaged (clip-averaged) MSE and Pearson r of the std curves,
and the run times.  Run: ``python benchmarks/disagreement.py [--shared ../shared] [--part both]``
(about 5 minutes on 2 cores; ``--splits 1`` for a quicker look).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline

from sklearn_emotion import GRUMoERegressor, PerSecondRegressor, Windower
from sklearn_emotion.data import split_std
from sklearn_emotion.metrics import movie_mean_squared_error, pearson_correlation
from sklearn_emotion.preprocessing import MovieStandardScaler
from sklearn_emotion.smoothing import ButterworthSmoother


def constant(train_targets: list[np.ndarray], like: list[np.ndarray]) -> list[np.ndarray]:
    """The training seconds' mean of each column, repeated over the seconds of ``like``."""
    level = np.nanmean(np.concatenate(train_targets), axis=0)
    return [np.zeros_like(curve) + level for curve in like]


def mse(true: list[np.ndarray], pred: list[np.ndarray]) -> np.ndarray:
    return movie_mean_squared_error(true, pred)


def pearson(true: list[np.ndarray], pred: list[np.ndarray]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant prediction: r undefined, reported as nan
        return pearson_correlation(true, pred)


def fmt(values: np.ndarray) -> str:
    return " / ".join("n/a" if np.isnan(v) else f"{v:.4f}" for v in values)


# --------------------------------------------------------------------------------- semi-synthetic
def synthetic(shared: Path, splits: int, epochs: int, units: int) -> None:
    from sklearn_emotion.datasets import make_lagged_movies

    root = shared / "data" / "liris-accede-continuous"
    X, y, _ = make_lagged_movies(30, max_seconds=300, lag=20, with_std=True, root=root, random_state=0)
    means, stds = split_std(y)
    print(f"\n## Semi-synthetic: {len(X)} crops of the real LIRIS-ACCEDE curves (mean + std), "
          f"{sum(len(t) for t in y)} s, features {{image: 32, audio: 8}}, lag 20 s\n")
    print("| split | held-out movies / s | std MSE: GRU (valence / arousal) | smoothed | constant std | "
          "ratio | std r: GRU | mean MSE: predict_std=True | predict_std=False | fit s (std / mean-only) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for split in range(splits):
        order = np.random.RandomState(split).permutation(len(X))
        test, train = np.sort(order[: len(X) // 3]), np.sort(order[len(X) // 3:])

        def make(predict_std: bool, seed: int):
            return make_pipeline(
                Windower(length=30),
                GRUMoERegressor(units=units, n_experts=2, epochs=epochs, learning_rate=3e-3,
                                predict_std=predict_std, random_state=seed),
            )

        start = time.perf_counter()
        model = make(True, split).fit([X[i] for i in train], [y[i] for i in train])
        fit_std = time.perf_counter() - start
        mean_pred, std_pred = model.predict([X[i] for i in test], return_std=True)
        start = time.perf_counter()
        mean_only = make(False, split).fit([X[i] for i in train], [means[i] for i in train])
        fit_mean = time.perf_counter() - start
        # what SmoothedRegressor(..., ButterworthSmoother()) returns, without refitting
        smoothed_std = [np.maximum(ButterworthSmoother().smooth(curve), 0.0) for curve in std_pred]

        true_std, true_mean = [stds[i] for i in test], [means[i] for i in test]
        base = constant([stds[i] for i in train], true_std)
        gru, flat = mse(true_std, std_pred), mse(true_std, base)
        ratio = float(np.mean(gru) / np.mean(flat))
        ratios.append(ratio)
        print(f"| {split} | {len(test)} / {sum(len(t) for t in true_std)} | {fmt(gru)} | "
              f"{fmt(mse(true_std, smoothed_std))} | {fmt(flat)} | {ratio:.2f} | {fmt(pearson(true_std, std_pred))} | "
              f"{fmt(mse(true_mean, mean_pred))} | {fmt(mse(true_mean, mean_only.predict([X[i] for i in test])))} | "
              f"{fit_std:.0f} / {fit_mean:.0f} |", flush=True)
    print(f"\nMean ratio (GRU std MSE / constant std MSE, both axes averaged): {np.mean(ratios):.2f}")


# --------------------------------------------------------------------------------- emoMusic
def emomusic(shared: Path, epochs: int, units: int) -> None:
    from sklearn_emotion.datasets import load_emomusic
    from sklearn_emotion.media import AudioEmbedder

    data = load_emomusic(shared / "data" / "emomusic", time_origin="clip", require_audio=True, with_std=True)
    start = time.perf_counter()
    features = AudioEmbedder("descriptors").fit_transform([str(p) for p in data.audio_paths])
    extraction = time.perf_counter() - start
    features = [f[: len(t)] for f, t in zip(features, data.y)]
    targets = [t[: len(f)] for f, t in zip(features, data.y)]
    _, stds = split_std(targets)
    annotated = int(sum((~np.isnan(s[:, 0])).sum() for s in stds))
    print(f"\n## emoMusic: {len(features)} real clips, {annotated} annotated seconds, "
          f"descriptors {features[0].shape[1]}-d (extracted in {extraction:.0f} s), leave one clip out\n")
    gru_pred, ridge_pred, flat_pred = [], [], []
    start = time.perf_counter()
    for held_out in range(len(features)):
        train = [i for i in range(len(features)) if i != held_out]
        model = make_pipeline(
            MovieStandardScaler(), Windower(length=10),
            GRUMoERegressor(units=units, n_experts=2, epochs=epochs, learning_rate=3e-3, predict_std=True,
                            random_state=held_out),
        )
        model.fit([features[i] for i in train], [targets[i] for i in train])
        gru_pred.append(model.predict([features[held_out]], return_std=True)[1][0])
        ridge = make_pipeline(MovieStandardScaler(), PerSecondRegressor(RidgeCV(alphas=np.logspace(-1, 5, 13))))
        ridge.fit([features[i] for i in train], [stds[i] for i in train])  # NaN seconds are left out
        ridge_pred.append(np.maximum(ridge.predict([features[held_out]])[0], 0.0))
        flat_pred.append(constant([stds[i] for i in train], [stds[held_out]])[0])
    elapsed = time.perf_counter() - start
    print("| predictor of the std | std MSE (valence / arousal) | per-clip std r |")
    print("|---|---|---|")
    for name, pred in (("GRUMoERegressor(predict_std=True)", gru_pred),
                       ("per-second RidgeCV on the std", ridge_pred), ("constant std (training mean)", flat_pred)):
        print(f"| {name} | {fmt(mse(stds, pred))} | {fmt(pearson(stds, pred))} |")
    print(f"\n10 leave-one-clip-out fits of both models: {elapsed:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--part", choices=("synthetic", "emomusic", "both"), default="both")
    parser.add_argument("--splits", type=int, default=3, help="random held-out thirds (semi-synthetic)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--units", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported (at the first fit)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes of the many small fits
    warnings.simplefilter("ignore", UserWarning)  # LIRIS-ACCEDE's uneven files, barely-trained folds
    start = time.perf_counter()
    if args.part in ("synthetic", "both"):
        synthetic(args.shared, args.splits, args.epochs, args.units)
    if args.part in ("emomusic", "both"):
        emomusic(args.shared, args.epochs, args.units)
    print(f"\nTotal: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
