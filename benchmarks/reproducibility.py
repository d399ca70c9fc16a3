"""What bitwise reproducibility costs: the demo's fit with and without TensorFlow's op determinism.

GRUMoERegressor and TCNRegressor train and predict under TensorFlow's op determinism
(``sklearn_emotion.sequence_regressor.training.op_determinism``).  This script fits the demo's paper pipeline
(``MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)``) on the
training movies of the demo's first cross-validation fold, in one process, alternately with op
determinism and without it (the helper replaced by a no-op, for this measurement only), and prints the
median fit times and their ratio.  Then it fits the same pipeline in two fresh processes with
different ``PYTHONHASHSEED`` and says whether their held-out predictions are bitwise equal.

Usage::

    python benchmarks/reproducibility.py [--quick] [--weights-dir DIR] [--output-dir DIR] [--repeats N]

The corpus and features are those of ``sklearn-emotion demo`` (written to ``--output-dir``, reused
when there).  Bitwise equality holds for processes with the same number of TensorFlow intra-op
threads (by default the machine's CPUs): TensorFlow splits sums into as many parts as it has threads.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def fold_data(output: Path, config, weights_dir):
    """The demo's corpus and features, and the movies of its first fold: (X_train, y_train, X_test)."""
    from sklearn.model_selection import KFold

    from sklearn_emotion import demo
    from sklearn_emotion.extraction import default_feature_spec, resolve_weights_dir

    movies = demo.make_corpus(output / "corpus", config, random_state=0)
    spec, _ = default_feature_spec(resolve_weights_dir(weights_dir)[0])
    X, y = demo._extract(movies, spec, output, None, False)
    train, test = next(KFold(n_splits=config.n_splits, shuffle=True, random_state=0).split(np.arange(len(X))))
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in test]


def fit_predict(config, data) -> tuple[float, str]:
    """Fit time (s) of the paper pipeline and the SHA-256 of its held-out predictions."""
    from sklearn_emotion import demo

    X_train, y_train, X_test = data
    start = time.perf_counter()
    pipeline = demo.paper_pipeline(config, 0).fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    predictions = np.concatenate([np.asarray(p) for p in pipeline.predict(X_test)])
    return elapsed, hashlib.sha256(predictions.tobytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the demo's quick settings")
    parser.add_argument("--weights-dir", default=None)
    parser.add_argument("--output-dir", default="reproducibility-demo")
    parser.add_argument("--repeats", type=int, default=2, help="fits per setting (after one warm-up fit)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    from sklearn_emotion import demo
    from sklearn_emotion.sequence_regressor import training

    config = demo.QUICK if args.quick else demo.FULL
    output = Path(args.output_dir)
    data = fold_data(output, config, args.weights_dir)
    if args.child:
        print(fit_predict(config, data)[1])
        return

    deterministic = training.op_determinism
    settings = {"deterministic": deterministic, "not deterministic": contextlib.nullcontext}
    times: dict[str, list[float]] = {name: [] for name in settings}
    digests: dict[str, set] = {name: set() for name in settings}
    fit_predict(config, data)  # warm-up: TensorFlow's start-up is no part of either
    for _ in range(args.repeats):
        for name, helper in settings.items():  # alternated, so that load changes hit both alike
            training.op_determinism = helper
            try:
                elapsed, digest = fit_predict(config, data)
            finally:
                training.op_determinism = deterministic
            times[name].append(elapsed)
            digests[name].add(digest)
    median = {name: statistics.median(values) for name, values in times.items()}
    fastest = {name: min(values) for name, values in times.items()}
    print(f"demo ({'quick' if args.quick else 'full'} settings), fit on {len(data[0])} movies of fold 1, "
          f"{args.repeats} fits each:")
    for name in settings:
        print(f"  {name:>17}: median {median[name]:.1f} s ({', '.join(f'{t:.1f}' for t in times[name])}); "
              f"{len(digests[name])} distinct prediction(s) in this process")
    print(f"  ratio deterministic / not: {median['deterministic'] / median['not deterministic']:.3f} (medians), "
          f"{fastest['deterministic'] / fastest['not deterministic']:.3f} (fastest fits, the least disturbed "
          f"by other load); same predictions with and without: {digests['deterministic'] == digests['not deterministic']}")

    command = [sys.executable, __file__, "--child", "--output-dir", str(output)]
    command += ["--quick"] if args.quick else []
    command += ["--weights-dir", args.weights_dir] if args.weights_dir else []
    fresh = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        fresh.append(result.stdout.strip().splitlines()[-1])
    same = fresh[0] == fresh[1]
    print(f"two fresh processes (PYTHONHASHSEED 1 and 2): predictions {'bitwise equal' if same else 'DIFFER'} "
          f"({fresh[0][:12]} / {fresh[1][:12]}); same as this process's: {fresh[0] in digests['deterministic']}")


if __name__ == "__main__":
    main()
