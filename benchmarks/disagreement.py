"""Viewers' disagreement: do ``GRUMoERegressor(predict_std=True)`` and ``TCNRegressor(predict_std=True)``
predict how much viewers disagree?

The target is the per-second standard deviation of the viewers' ratings (LIRIS-ACCEDE's ``Std``
columns, emoMusic's ``*_cont_std.csv``).  The honest baseline is the constant std: the training
seconds' mean std of each axis.  Two experiments:

1. **Semi-synthetic** (``make_lagged_movies(with_std=True)``): crops of the 30 real LIRIS-ACCEDE
   curves whose features carry, 20 s ahead, the real mean *and* std curves through a random
   non-linear mixing plus noise.  A third of the movies (each crop is from a different source movie)
   is held out; ``make_paper_pipeline(window_length=30, smoother="none", predict_std=True)`` (scaler,
   Windower, a GRU-MoE of ``--units`` units and ``--epochs`` epochs) and ``make_tcn_pipeline(smoother="none",
   predict_std=True)`` (scaler, a TCN with its default hyperparameters) are trained on the rest.
   Repeated over ``--splits`` random thirds.  Also reported: the held-out MSE of the mean curves of
   the same model and of a ``predict_std=False`` model (does learning the std cost the mean?), and
   the std after ``SmoothedRegressor``'s Butterworth smoothing.
2. **emoMusic, real audio**: the 10 clips with audio in ``../shared/data/emomusic``, features
   ``AudioEmbedder("descriptors")`` (112 weight-free log-mel/MFCC statistics per second), targets
   valence, arousal and their std at 1 Hz (seconds 15-44 of each clip annotated), held out by clip
   (leave one clip out).  The same two pipelines (the GRU-MoE's windows 10 s) against the constant std
   and ``make_baseline_pipeline()`` (per-second ``RidgeCV``) fitted on the std columns.

Printed: Markdown tables of the movie-averaged (clip-averaged) MSE and Pearson r of the std curves,
and the run times.  Run: ``python benchmarks/disagreement.py [--shared ../shared] [--part both]
[--model gru|tcn|both]`` (``--splits 1`` for a quicker look).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

from sklearn_emotion import make_baseline_pipeline, make_paper_pipeline, make_tcn_pipeline
from sklearn_emotion.data import split_std
from sklearn_emotion.metrics import movie_mean_squared_error, pearson_correlation
from sklearn_emotion.smoothing import ButterworthSmoother

#: The networks compared, by their --model name.
NAMES = {"gru": "GRU-MoE", "tcn": "TCN (defaults)"}


def network_pipeline(kind: str, window_length: int, units: int, epochs: int, predict_std: bool, seed: int):
    """The unsmoothed pipeline of a network: the paper's (a small GRU-MoE) or the TCN's with its defaults."""
    if kind == "gru":
        return make_paper_pipeline(window_length=window_length, smoother="none", units=units, n_experts=2,
                                   epochs=epochs, learning_rate=3e-3, predict_std=predict_std, random_state=seed)
    return make_tcn_pipeline(smoother="none", predict_std=predict_std, random_state=seed)


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
def synthetic(shared: Path, splits: int, epochs: int, units: int, kinds: list[str]) -> None:
    from sklearn_emotion.datasets import make_lagged_movies

    root = shared / "data" / "liris-accede-continuous"
    X, y, _ = make_lagged_movies(30, max_seconds=300, lag=20, with_std=True, root=root, random_state=0)
    means, stds = split_std(y)
    print(f"\n## Semi-synthetic: {len(X)} crops of the real LIRIS-ACCEDE curves (mean + std), "
          f"{sum(len(t) for t in y)} s, features {{image: 32, audio: 8}}, lag 20 s\n")
    print("| split | model | held-out movies / s | std MSE (valence / arousal) | smoothed | constant std | "
          "ratio | std r | mean MSE: predict_std=True | predict_std=False | fit s (std / mean-only) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratios: dict[str, list[float]] = {kind: [] for kind in kinds}
    for split in range(splits):
        order = np.random.RandomState(split).permutation(len(X))
        test, train = np.sort(order[: len(X) // 3]), np.sort(order[len(X) // 3:])
        true_std, true_mean = [stds[i] for i in test], [means[i] for i in test]
        flat = mse(true_std, constant([stds[i] for i in train], true_std))
        for kind in kinds:
            start = time.perf_counter()
            model = network_pipeline(kind, 30, units, epochs, True, split).fit([X[i] for i in train],
                                                                             [y[i] for i in train])
            fit_std = time.perf_counter() - start
            mean_pred, std_pred = model.predict([X[i] for i in test], return_std=True)
            start = time.perf_counter()
            mean_only = network_pipeline(kind, 30, units, epochs, False, split).fit(
                [X[i] for i in train], [means[i] for i in train])
            fit_mean = time.perf_counter() - start
            # what SmoothedRegressor(..., ButterworthSmoother()) returns, without refitting
            smoothed_std = [np.maximum(ButterworthSmoother().smooth(curve), 0.0) for curve in std_pred]
            predicted = mse(true_std, std_pred)
            ratios[kind].append(float(np.mean(predicted) / np.mean(flat)))
            print(f"| {split} | {NAMES[kind]} | {len(test)} / {sum(len(t) for t in true_std)} | {fmt(predicted)} | "
                  f"{fmt(mse(true_std, smoothed_std))} | {fmt(flat)} | {ratios[kind][-1]:.2f} | "
                  f"{fmt(pearson(true_std, std_pred))} | {fmt(mse(true_mean, mean_pred))} | "
                  f"{fmt(mse(true_mean, mean_only.predict([X[i] for i in test])))} | {fit_std:.0f} / {fit_mean:.0f} |",
                  flush=True)
    for kind in kinds:
        print(f"\nMean ratio, {NAMES[kind]} (std MSE / constant std MSE, both axes averaged): "
              f"{np.mean(ratios[kind]):.2f}")


# --------------------------------------------------------------------------------- emoMusic
def emomusic(shared: Path, epochs: int, units: int, kinds: list[str]) -> None:
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
    predictions: dict[str, list[np.ndarray]] = {name: [] for name in (*kinds, "ridge", "constant")}
    start = time.perf_counter()
    for held_out in range(len(features)):
        train = [i for i in range(len(features)) if i != held_out]
        for kind in kinds:
            model = network_pipeline(kind, 10, units, epochs, True, held_out)
            model.fit([features[i] for i in train], [targets[i] for i in train])
            predictions[kind].append(model.predict([features[held_out]], return_std=True)[1][0])
        ridge = make_baseline_pipeline().fit([features[i] for i in train], [stds[i] for i in train])
        predictions["ridge"].append(np.maximum(ridge.predict([features[held_out]])[0], 0.0))  # NaN seconds left out
        predictions["constant"].append(constant([stds[i] for i in train], [stds[held_out]])[0])
    elapsed = time.perf_counter() - start
    print("| predictor of the std | std MSE (valence / arousal) | per-clip std r |")
    print("|---|---|---|")
    labels = {**{kind: f"{NAMES[kind]}, predict_std=True" for kind in kinds},
              "ridge": "per-second RidgeCV on the std (make_baseline_pipeline)",
              "constant": "constant std (training mean)"}
    for name, label in labels.items():
        print(f"| {label} | {fmt(mse(stds, predictions[name]))} | {fmt(pearson(stds, predictions[name]))} |")
    print(f"\n{len(features)} leave-one-clip-out fits of {', '.join(NAMES[k] for k in kinds)} and the Ridge: "
          f"{elapsed:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--part", choices=("synthetic", "emomusic", "both"), default="both")
    parser.add_argument("--splits", type=int, default=3, help="random held-out thirds (semi-synthetic)")
    parser.add_argument("--model", choices=("gru", "tcn", "both"), default="both")
    parser.add_argument("--epochs", type=int, default=40, help="the GRU-MoE's (the TCN keeps its defaults)")
    parser.add_argument("--units", type=int, default=32, help="the GRU-MoE's")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported (at the first fit)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notes of the many small fits
    warnings.simplefilter("ignore", UserWarning)  # LIRIS-ACCEDE's uneven files, barely-trained folds
    kinds = ["gru", "tcn"] if args.model == "both" else [args.model]
    start = time.perf_counter()
    if args.part in ("synthetic", "both"):
        synthetic(args.shared, args.splits, args.epochs, args.units, kinds)
    if args.part in ("emomusic", "both"):
        emomusic(args.shared, args.epochs, args.units, kinds)
    print(f"\nTotal: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
