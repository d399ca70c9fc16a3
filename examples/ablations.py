"""The ablations of section 3 of the paper
=======================================

On a validation split of the development movies.

The paper tuned its model on 13 development movies held out for validation and reports that

* 60-s windows worked better than 10-s or 30-s ones,
* GRUs performed like LSTMs (and are cheaper),
* the Butterworth low-pass filter beat a moving average for smoothing the predictions.

This script trains on the other development movies (00-53) of a MediaEval 2018 root and scores the
13 validation movies (or a third of the movies, when there are fewer) for: the reference model (GRU,
``--windows`` longest window, Butterworth), each shorter window, an LSTM, and the reference network's
predictions smoothed with a moving average instead (and not smoothed at all).  Each row is one trained
network except the smoothing rows, which reuse the reference network.

Example::

    python examples/ablations.py /data/mediaeval2018 --cache-dir /tmp/me18-cache
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from mediaeval_common import add_data_options, load, paper_model, unsmoothed_predictions

from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.reporting import mediaeval_table
from sklearn_emotion.smoothing import MovingAverageSmoother

VALIDATION_MOVIES = 13  # the paper's validation set


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_data_options(parser)
    parser.add_argument("--windows", type=int, nargs="+", default=[10, 30, 60],
                        help="window lengths to compare, seconds (default %(default)s)")
    parser.add_argument("--moving-average", type=int, default=31,
                        help="window of the moving-average smoother, seconds (default %(default)s)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = load(args, "development")
    n_validation = min(VALIDATION_MOVIES, max(1, len(data.X) // 3))
    order = np.random.default_rng(args.seed).permutation(len(data.X))
    validation, train = np.sort(order[:n_validation]), np.sort(order[n_validation:])
    X_train, y_train = [data.X[i] for i in train], [data.y[i] for i in train]
    X_val, y_val = [data.X[i] for i in validation], [data.y[i] for i in validation]
    print(f"Training on {len(train)} development movies, validating on {len(validation)}: "
          f"{', '.join(data.ids[i] for i in validation)}")

    longest = max(args.windows)
    configurations = {f"GRU, {w} s, Butterworth": dict(window=w) for w in sorted(args.windows)}
    configurations[f"LSTM, {longest} s, Butterworth"] = dict(window=longest, rnn="lstm")
    scores = {}
    for name, options in configurations.items():
        tick = time.perf_counter()
        model = paper_model(args, **options).fit(X_train, y_train)
        scores[name] = mediaeval_scores(y_val, model.predict(X_val))
        print(f"{name}: {model[-1].regressor_.n_epochs_} epochs ({time.perf_counter() - tick:.0f} s)")
        if options == dict(window=longest):
            raw = unsmoothed_predictions(model, X_val)
    moving = MovingAverageSmoother(window=args.moving_average).fit()
    scores[f"GRU, {longest} s, moving average {args.moving_average} s"] = mediaeval_scores(
        y_val, [moving.smooth(curve) for curve in raw])
    scores[f"GRU, {longest} s, not smoothed"] = mediaeval_scores(y_val, raw)
    print("\nValidation movies (paper, section 3: 60 s > 30 s > 10 s, GRU ~ LSTM, Butterworth > moving average):")
    print(mediaeval_table(scores))
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return scores


if __name__ == "__main__":
    main()
