"""Does the default model learn on the corpora users have (2 to 30 movies)?  Held-out MSE and Pearson.

Three models, each evaluated on movies it did not see, every fold's predictions pooled before scoring:

- ``gru``: ``make_paper_pipeline(random_state=seed)``, i.e. ``MovieStandardScaler -> Windower(60) ->
  SmoothedRegressor(GRUMoERegressor, ButterworthSmoother())``, every other parameter at its default;
- ``ridge``: the per-second baseline after the same scaler, ``MovieStandardScaler ->
  make_baseline_pipeline(smoother="butterworth")`` (``SmoothedRegressor(PerSecondRegressor(RidgeCV),
  ButterworthSmoother())``);
- ``constant``: the training targets' mean.

Corpora:

(a) semi-synthetic (:func:`sklearn_emotion.datasets.make_lagged_movies`): the real LIRIS-ACCEDE curves,
    features at second t carrying the emotion at t + 20 s (noise 0.8), crops of at most 300 s, split
    with ``GroupKFold`` by source movie, for each corpus size and generator seed;
(b) the 10 real emoMusic clips with audio (YAMNet features of the shared model), 5 folds of 2 clips,
    seconds 15-44 annotated.

Printed per row: MSE (per-movie average, MediaEval style) and per-movie Pearson r, each the mean of
valence and arousal, and ``std ratio`` = std of the predictions / std of the targets over all held-out
seconds (a model that predicts the mean has 0: low MSE without it is not learning).

Run: ``python benchmarks/small_data.py [--sizes 2 5 8 10 30] [--seeds 0 1 2] [--skip-emomusic]``
(about 40 minutes on 2 cores with the defaults; ``--sizes 2 8 --seeds 0`` takes about 5).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_emotion import MovieStandardScaler, make_baseline_pipeline, make_paper_pipeline
from sklearn_emotion.datasets import load_emomusic, make_lagged_movies
from sklearn_emotion.metrics import movie_mean_squared_error, pearson_correlation

MODELS = ("gru", "ridge", "constant")


def build(name: str, seed: int):
    if name == "gru":
        return make_paper_pipeline(random_state=seed)
    return make_pipeline(MovieStandardScaler(), make_baseline_pipeline(smoother="butterworth"))


def cross_validate(X, y, groups, n_splits: int, seed: int) -> dict:
    """Held-out predictions of every model, pooled over the folds; metrics and notes."""
    predictions = {name: [None] * len(X) for name in MODELS}
    notes, elapsed = [], 0.0
    for train, test in GroupKFold(n_splits).split(X, y, groups):
        X_train, y_train = [X[i] for i in train], [y[i] for i in train]
        X_test = [X[i] for i in test]
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gru = build("gru", seed).fit(X_train, y_train)
        elapsed += time.perf_counter() - start
        regressor = gru[-1].regressor_
        notes.append(f"{regressor.stopping_} best {regressor.best_epoch_}/{regressor.n_epochs_}, "
                     f"batch {regressor.batch_size_}")
        notes.extend(f"warning: {w.message}" for w in caught if "GRUMoERegressor" in str(w.message))
        ridge = build("ridge", seed).fit(X_train, y_train)
        level = np.nanmean(np.concatenate(y_train), axis=0)
        for model_name, predicted in (("gru", gru.predict(X_test)), ("ridge", ridge.predict(X_test)),
                                      ("constant", [np.tile(level, (len(y[i]), 1)) for i in test])):
            for index, prediction in zip(test, predicted):
                predictions[model_name][index] = prediction
    result = {"notes": notes, "gru_seconds": elapsed}
    truth = np.concatenate(y)
    annotated = ~np.isnan(truth).any(axis=1)
    for name, predicted in predictions.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # r is undefined for the constant: reported as nan
            r = pearson_correlation(y, predicted, multioutput="uniform_average")
        pooled = np.concatenate(predicted)[annotated]
        result[name] = {
            "mse": float(movie_mean_squared_error(y, predicted, multioutput="uniform_average")),
            "r": float(r),
            "std_ratio": float(np.mean(pooled.std(axis=0) / truth[annotated].std(axis=0))),
        }
    return result


def row(corpus: str, result: dict) -> str:
    cells = [corpus]
    for name in MODELS:
        m = result[name]
        cells.append(f"{m['mse']:.4f}")
        if name != "constant":
            cells += [f"{m['r']:.2f}", f"{m['std_ratio']:.2f}"]
    return "| " + " | ".join(cells) + " |"


HEADER = ("| corpus | GRU-MoE MSE | r | std ratio | Ridge MSE | r | std ratio | constant MSE |\n"
          "|---|---|---|---|---|---|---|---|")


def semi_synthetic(sizes: list[int], seeds: list[int], liris: Path) -> None:
    print("(a) semi-synthetic corpora on the real LIRIS-ACCEDE curves (lag 20 s, noise 0.8, crops <= 300 s)\n")
    print(HEADER)
    for size in sizes:
        folds = 2 if size < 5 else 4 if size == 8 else 5
        results = []
        for seed in seeds:
            X, y, groups = make_lagged_movies(size, root=liris, random_state=seed)
            result = cross_validate(X, y, groups, folds, seed)
            results.append(result)
            seconds = sum(len(t) for t in y)
            print(row(f"{size} movies ({seconds} s), seed {seed}, {folds} folds", result), flush=True)
            print(f"<!-- GRU fit {result['gru_seconds']:.0f} s; " + "; ".join(result["notes"]) + " -->", flush=True)
        if len(seeds) > 1:
            mean = {name: {k: float(np.mean([r[name][k] for r in results])) for k in ("mse", "r", "std_ratio")}
                    for name in MODELS}
            wins = sum(r["gru"]["mse"] < min(r["ridge"]["mse"], r["constant"]["mse"]) for r in results)
            print(row(f"**{size} movies, mean of {len(seeds)} seeds** (GRU best in {wins}/{len(seeds)})", mean),
                  flush=True)


def emomusic(shared: Path, seeds: list[int]) -> None:
    from sklearn_emotion.media import AudioEmbedder

    data = load_emomusic(shared / "data" / "emomusic", time_origin="clip", require_audio=True)
    features = AudioEmbedder(str(shared / "weights" / "yamnet.tflite")).fit_transform(
        [str(p) for p in data.audio_paths])
    lengths = [min(len(f), len(t)) for f, t in zip(features, data.y)]
    X = [{"audio": f[:n]} for f, n in zip(features, lengths)]
    y = [t[:n] for t, n in zip(data.y, lengths)]
    print(f"\n(b) the {len(X)} real emoMusic clips (YAMNet 1024-d, standardised), 5 folds of 2 clips\n")
    print(HEADER)
    for seed in seeds:
        result = cross_validate(X, y, np.arange(len(X)), 5, seed)
        print(row(f"emoMusic, seed {seed}", result), flush=True)
        print(f"<!-- GRU fit {result['gru_seconds']:.0f} s; " + "; ".join(result["notes"]) + " -->", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 5, 8, 10, 30])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-emomusic", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    if not args.skip_synthetic:
        semi_synthetic(args.sizes, args.seeds, args.shared / "data" / "liris-accede-continuous")
    if not args.skip_emomusic:
        emomusic(args.shared, args.seeds)


if __name__ == "__main__":
    main()
