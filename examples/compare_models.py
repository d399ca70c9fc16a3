"""GRU vs LSTM vs TCN (paper, sections 2.2 and 3)
==============================================

Held-out MSE and Pearson r per dimension, with run times.

The paper compared LSTM and GRU sequence-to-one models on 10-, 30- and 60-s windows and an
encoder-decoder TCN, and kept the GRU.  This script compares the package's versions, every model
after a ``MovieStandardScaler`` and with every parameter at its default except ``random_state``:

* ``per-second Ridge``: ``make_baseline_pipeline()`` (``PerSecondRegressor(RidgeCV)``), no temporal
  context (the baseline);
* ``GRU`` / ``LSTM``: ``make_paper_pipeline(window_length=L, smoother="none", rnn=...)``
  (``Windower(L) -> GRUMoERegressor``) for each window ``L`` (the past only);
* ``TCN``: ``make_tcn_pipeline(smoother="none")``, acausal (content before and after each second), and
  ``TCN, causal``: ``make_tcn_pipeline(smoother="none", causal=True)`` (the past only, like the windows).

No smoothing: the table compares the temporal models themselves.  Corpora, each held out by movie:

(a) ``semi-synthetic``: :func:`sklearn_emotion.datasets.make_lagged_movies` (the real LIRIS-ACCEDE
    curves, features carrying the emotion 20 s later, noise 0.8), ``--movies`` crops of at most
    ``--max-seconds``, the first fold of ``GroupKFold(--folds)`` by source movie held out;
(b) ``demo``: the offline demo's generated movies (``sklearn_emotion.datasets.make_movie_files``,
    annotations lagging the content), features extracted with the pretrained models of
    ``--weights-dir`` (weight-free descriptors without one) and cached in ``--demo-dir``; the first
    fold of ``KFold(--folds, shuffle=True)`` held out;
(c) ``criterion``: only the TCNs and Ridge on the 30 curves cropped to at most 600 s, every fold of
    ``GroupKFold(5)`` (the issue's "TCN with defaults beats per-second Ridge by 2x").

MSE and r are averaged per movie (MediaEval); ``fit s`` and ``predict s`` are wall-clock seconds.

Example::

    python examples/compare_models.py --shared ../shared --demo-dir /tmp/compare-demo
    python examples/compare_models.py --tiny --skip-demo      # a quick run-through (tests)
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline

from sklearn_emotion import (
    MovieStandardScaler,
    TCNRegressor,
    make_baseline_pipeline,
    make_lagged_movies,
    make_paper_pipeline,
    make_tcn_pipeline,
)
from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.tcn.network import receptive_field

HEADER = ("| model | context | valence MSE | valence r | arousal MSE | arousal r | mean MSE | fit s | predict s |\n"
          "|---|---|---|---|---|---|---|---|---|")


def build_models(windows: list[int], seed: int, tiny: bool, recurrent: bool = True) -> dict:
    """``name -> (context, factory)`` of every compared model."""
    network = dict(units=4, n_experts=2, epochs=2) if tiny else {}
    tcn = dict(filters=8, levels=2, epochs=2) if tiny else {}

    def ridge():  # standardised like the networks' inputs, so that one penalty suits every feature
        return make_pipeline(MovieStandardScaler(), make_baseline_pipeline())

    def windowed(rnn: str, length: int):  # the paper pipeline without its smoother
        return lambda: make_paper_pipeline(window_length=length, smoother="none", rnn=rnn, random_state=seed,
                                           **network)

    def convolutional(causal: bool):
        return lambda: make_tcn_pipeline(smoother="none", causal=causal, random_state=seed, **tcn)

    levels, kernel = TCNRegressor(**tcn).levels, TCNRegressor(**tcn).kernel_size
    past, future = receptive_field(levels, kernel, False)
    models = {"per-second Ridge": ("this second", ridge)}
    if recurrent:
        for rnn in ("GRU", "LSTM"):
            models.update({f"{rnn}, {length} s": (f"past {length} s", windowed(rnn.lower(), length))
                           for length in windows})
    models["TCN"] = (f"{past} s before, {future} s after", convolutional(False))
    models["TCN, causal"] = (f"past {receptive_field(levels, kernel, True)[0]} s", convolutional(True))
    return models


def evaluate(X: list, y: list, splits: list, models: dict) -> list[dict]:
    """Fit every model on each split's training movies; score the pooled held-out predictions."""
    results = []
    for name, (context, factory) in models.items():
        predictions, fit_s, predict_s = [None] * len(X), 0.0, 0.0
        for train, test in splits:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # e.g. "barely trained": the table says it
                model = factory().fit([X[i] for i in train], [y[i] for i in train])
            middle = time.perf_counter()
            for index, curve in zip(test, model.predict([X[i] for i in test])):
                predictions[index] = curve
            fit_s, predict_s = fit_s + middle - start, predict_s + time.perf_counter() - middle
        held_out = sorted({int(i) for _, test in splits for i in test})
        scores = mediaeval_scores([y[i] for i in held_out], [predictions[i] for i in held_out])
        results.append(dict(name=name, context=context, fit_s=fit_s, predict_s=predict_s, **scores))
        print(f"  {name}: mean MSE {(scores['Valence MSE'] + scores['Arousal MSE']) / 2:.4f} "
              f"({fit_s:.0f} s)", flush=True)
    return results


def table(results: list[dict]) -> str:
    """The Markdown table of :data:`HEADER`, the best mean MSE in bold, and who wins."""
    means = [(r["Valence MSE"] + r["Arousal MSE"]) / 2 for r in results]
    best = int(np.argmin(means))
    lines = [HEADER]
    for index, (r, mean) in enumerate(zip(results, means)):
        cell = f"**{mean:.4f}**" if index == best else f"{mean:.4f}"
        lines.append(f"| {r['name']} | {r['context']} | {r['Valence MSE']:.4f} | {r['Valence PCC']:.2f} | "
                     f"{r['Arousal MSE']:.4f} | {r['Arousal PCC']:.2f} | {cell} | {r['fit_s']:.0f} | "
                     f"{r['predict_s']:.1f} |")
    ridge = means[[r["name"] for r in results].index("per-second Ridge")]
    versus = (f", {ridge / means[best]:.1f}x lower than per-second Ridge's {ridge:.4f}"
              if results[best]["name"] != "per-second Ridge" else "")
    lines.append(f"\nBest held-out MSE: {results[best]['name']} ({means[best]:.4f}{versus}).")
    return "\n".join(lines)


def semi_synthetic(args: argparse.Namespace, n_movies: int, max_seconds: int, folds: int, recurrent: bool,
                   all_folds: bool) -> str:
    X, y, groups = make_lagged_movies(n_movies, max_seconds=max_seconds, root=args.liris, random_state=args.seed)
    splits = list(GroupKFold(folds).split(X, y, groups))
    splits = splits if all_folds else splits[:1]
    n_test = sum(len(test) for _, test in splits)
    print(f"\n{n_movies} semi-synthetic movies ({sum(len(t) for t in y)} s, crops <= {max_seconds} s), "
          f"{len(splits)} of {folds} folds by source movie, {n_test} held-out movies:\n", flush=True)
    return table(evaluate(X, y, splits, build_models(args.windows, args.seed, args.tiny, recurrent)))


def demo_corpus(args: argparse.Namespace) -> tuple[list, list, str]:
    """The demo's movies and per-second features (extracted once, then read from ``--demo-dir``)."""
    from sklearn_emotion.demo import FULL, make_corpus
    from sklearn_emotion.extraction import default_feature_spec, extract_features
    from sklearn_emotion.files import LengthMismatchWarning, save_features
    from sklearn_emotion.workflows import load_feature_corpus

    movies = make_corpus(args.demo_dir / "corpus", FULL, random_state=args.seed)
    spec, _ = default_feature_spec(args.weights_dir)
    paths = [args.demo_dir / "features" / f"{m.name}.npz" for m in movies]
    missing = [m for m, path in zip(movies, paths) if not path.is_file()]
    if missing:
        start = time.perf_counter()
        for movie, features in zip(missing, extract_features([m.video for m in missing], spec,
                                                             cache_dir=args.demo_dir / "cache")):
            save_features(args.demo_dir / "features" / f"{movie.name}.npz", features)
        print(f"Extracted the features of {len(missing)} movies in {time.perf_counter() - start:.0f} s.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LengthMismatchWarning)  # a second more of video than of annotation: cut
        X, y, _ = load_feature_corpus(paths, args.demo_dir / "corpus")  # annotation files beside the videos
    models = {name: Path(entry.get("backbone") or entry.get("face_model") or "?").name for name, entry in spec.items()}
    return X, y, ", ".join(f"{name}: {model}" for name, model in models.items())


def demo(args: argparse.Namespace) -> str:
    X, y, described = demo_corpus(args)
    split = next(KFold(args.folds, shuffle=True, random_state=args.seed).split(X))
    widths = {name: value.shape[1] for name, value in X[0].items()}
    print(f"\nDemo corpus: {len(X)} generated movies ({sum(len(t) for t in y)} s), features {widths} "
          f"({described}); {len(split[1])} held-out movies:\n", flush=True)
    return table(evaluate(X, y, [split], build_models(args.windows, args.seed, args.tiny)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--movies", type=int, default=12, help="semi-synthetic movies (default %(default)s)")
    parser.add_argument("--max-seconds", type=int, default=300, help="longest semi-synthetic crop (%(default)s)")
    parser.add_argument("--folds", type=int, default=3, help="folds of which the first is held out (%(default)s)")
    parser.add_argument("--windows", type=int, nargs="+", default=[10, 30, 60])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--demo-dir", type=Path, default=Path("compare-models-demo"))
    parser.add_argument("--weights-dir", type=Path, default=None, help="default: SHARED/weights")
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-criterion", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="tiny networks, 2 epochs, few movies (a run-through)")
    args = parser.parse_args(argv)
    args.liris = args.shared / "data" / "liris-accede-continuous"
    args.weights_dir = args.weights_dir or args.shared / "weights"
    if args.tiny:
        args.movies, args.max_seconds, args.windows = 6, 80, [5, 10]
    started = time.perf_counter()
    print(semi_synthetic(args, args.movies, args.max_seconds, args.folds, recurrent=True, all_folds=False))
    if not args.skip_demo:
        print(demo(args))
    if not args.skip_criterion:
        movies, seconds = (6, 80) if args.tiny else (30, 600)
        print(semi_synthetic(args, movies, seconds, 5 if not args.tiny else 3, recurrent=False, all_folds=True))
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
