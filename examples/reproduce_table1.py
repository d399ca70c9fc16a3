"""Reproduce Table 1 of the paper
==============================

Five runs trained on the development set, scored on the test set.

The paper (MediaEval 2018, best valence and arousal MSE) submitted five runs of a GRU + mixture of
experts model with Butterworth smoothing:

1. no dropout or batch normalisation;
2. dropout and batch normalisation, trained on about 70 % of the development movies;
3. dropout and batch normalisation;
4. dropout and batch normalisation, another initialisation (seed) and number of epochs;
5. the average of the runs.

This script trains runs 1-4 on the development movies (00-53) of a MediaEval 2018 root, averages
their predictions for run 5, and prints the MediaEval scores of the test movies (54-65; their
annotation files must be present) next to the paper's numbers.  The paper's own features
(Inception image and face embeddings, AudioSet VGGish) are not part of the release: with the
organisers' features (``--layout official``) the numbers will differ; features you extracted
yourself (e.g. with ``sklearn-emotion extract``, saved as ``root/<modality>/MEDIAEVAL18_XX.csv``)
are read with ``--layout csv --features image audio face``.

Example::

    python examples/reproduce_table1.py /data/mediaeval2018 --cache-dir /tmp/me18-cache
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from mediaeval_common import add_data_options, load, paper_model

from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.reporting import PAPER_TABLE_1, mediaeval_table


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_options(parser)
    parser.add_argument("--window", type=int, default=60, help="window length, seconds (default %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.5, help="dropout of runs 2-4 (default %(default)s)")
    parser.add_argument("--share", type=float, default=0.7, help="share of the development movies of run 2")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    development, test = load(args, "development"), load(args, "test")
    if any(np.isnan(curve).all() for curve in test.y):
        raise SystemExit("The test movies need their annotation files to be scored.")
    X_dev, X_test = development.X, test.X  # each run's pipeline standardises them (training statistics)
    print(f"{len(X_dev)} development and {len(X_test)} test movies; features "
          f"{ {k: v.shape[1] for k, v in X_dev[0].items()} }")

    rng = np.random.default_rng(args.seed)
    share = np.sort(rng.permutation(len(X_dev))[: max(2, int(round(args.share * len(X_dev))))])
    regularised = dict(window=args.window, dropout=args.dropout, batch_norm=True)
    runs = {
        "Run 1": (paper_model(args, window=args.window), np.arange(len(X_dev))),
        "Run 2": (paper_model(args, **regularised), share),
        "Run 3": (paper_model(args, **regularised), np.arange(len(X_dev))),
        "Run 4": (paper_model(args, **regularised, seed=args.seed + 1, epochs=max(1, (2 * args.epochs) // 3)),
                  np.arange(len(X_dev))),
    }
    predictions = {}
    for name, (model, rows) in runs.items():
        tick = time.perf_counter()
        model.fit([X_dev[i] for i in rows], [development.y[i] for i in rows])
        predictions[name] = model.predict(X_test)
        print(f"{name}: trained on {len(rows)} movies, {model[-1].regressor_.n_epochs_} epochs "
              f"({time.perf_counter() - tick:.0f} s)")
    # Run 5: the average of the four runs' (smoothed) predictions, movie by movie.
    predictions["Run 5"] = [np.mean(curves, axis=0) for curves in zip(*predictions.values())]

    scores = {name: mediaeval_scores(test.y, predicted) for name, predicted in predictions.items()}
    print("\nMediaEval 2018 test set, ours next to the paper's Table 1 (ref.):")
    print(mediaeval_table(scores, PAPER_TABLE_1))
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return scores


if __name__ == "__main__":
    main()
