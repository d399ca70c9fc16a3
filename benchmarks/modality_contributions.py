"""Do the modality contributions name the modality that carries the emotion?  And what do they cost?

Issue 22's measurement of :func:`sklearn_emotion.inspection.modality_contributions`:

1. **Shares** (``--part shares``): semi-synthetic movies built from the real LIRIS-ACCEDE curves
   (:func:`make_switching_movies`): in the first half of each movie one modality carries the emotion,
   in the second half another (drawn per movie among image, audio and face); every other modality is
   pure Gaussian noise there, and every modality has Gaussian noise of std 0.5.  A default
   ``make_pipeline(Windower(10), GRUMoERegressor(random_state=seed))`` is trained on 14 movies; on the
   held-out movies, for each half (``--margin`` seconds away from the movie's edges and from the
   switch) and each output, the share of the absolute contribution given to the carrying modality,
   ``sum_t |phi_carrier(t)| / sum_t sum_m |phi_m(t)|``, is printed per movie and over all held-out
   movies together (sums over all their seconds).  Done when the latter is >= 65 % for each half and
   output.
2. **Cost** (``--part cost``): a 2-hour movie (7,200 s) with the default feature widths (image 1024,
   audio 1024, face 26: MobileNet v1, YAMNet, the face scores), the paper's pipeline
   (``make_paper_pipeline(batch_size=512)``: scaler, 60-s windows, the default GRU-MoE with the batch
   layout of a LIRIS-ACCEDE-sized corpus, Butterworth smoothing; trained 1 epoch on random movies, as
   prediction time does not depend on the weights): the time of one ``predict``, of one ``predict`` of
   8 copies of the movie, and of ``modality_contributions`` (2**3 = 8 variants in one ``predict``
   call), best of ``--repeats``.

Run: ``python benchmarks/modality_contributions.py [--shared ../shared] [--part both] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

#: Modalities and widths of the semi-synthetic movies.
WIDTHS = {"image": 32, "audio": 8, "face": 16}
#: The default feature widths (image MobileNet v1, audio YAMNet, face scores of the two largest faces).
DEFAULT_WIDTHS = {"image": 1024, "audio": 1024, "face": 26}


def make_switching_movies(n_movies, *, root, noise=0.5, min_seconds=120, max_seconds=300, random_state=0):
    """Movies where one modality carries the emotion in the first half and another in the second.

    The carrying parts are :func:`~sklearn_emotion.datasets.make_lagged_movies`' features of the real
    LIRIS-ACCEDE curves (no lag: the features at ``t`` carry the emotion at ``t``; each feature a
    fixed random non-linear mixing of valence and arousal, standardised, plus noise of std ``noise``);
    everywhere else a modality is noise of std ``noise`` alone.  The two carriers of each movie are
    drawn (distinct) from the modalities with ``random_state``.

    Returns
    -------
    X : list of dict str -> (T, d_m) float32
    y : list of (T, 2) arrays, the real curves
    carriers : list of (str, str), the carrier of the first and of the second half of each movie
    """
    from sklearn_emotion.datasets import make_lagged_movies

    X, y, _ = make_lagged_movies(n_movies, max_seconds=max_seconds, min_seconds=min_seconds, lag=0,
                                 modalities=WIDTHS, noise=noise, root=root, random_state=random_state)
    rng = np.random.RandomState(random_state)
    names = list(WIDTHS)
    carriers = []
    for movie in X:
        first, second = (names[i] for i in rng.choice(len(names), 2, replace=False))
        half = len(movie[first]) // 2
        for name, features in movie.items():
            silent = np.ones(len(features), bool)
            silent[:half] = name != first
            silent[half:] = name != second
            features[silent] = rng.normal(scale=noise, size=(int(silent.sum()), features.shape[1]))
        carriers.append((first, second))
    return X, y, carriers


def halves(n_seconds, margin):
    """The seconds of each half of a movie, ``margin`` seconds away from its edges and from the switch."""
    half = n_seconds // 2
    return np.arange(margin, half - margin), np.arange(half + margin, n_seconds - margin)


def carrier_sums(result, carriers, margin):
    """``(carrier, total)``: each ``(n_movies, 2 halves, n_outputs)``, the absolute contribution of each
    half's carrier and of all modalities, summed over the half's seconds."""
    carrier, total = [], []
    for contributions, pair in zip(result.contributions, carriers):
        absolute = [np.abs(contributions[seconds]) for seconds in halves(len(contributions), margin)]  # (t, M, k)
        carrier.append([a[:, result.modalities.index(name)].sum(axis=0) for a, name in zip(absolute, pair)])
        total.append([a.sum(axis=(0, 1)) for a in absolute])
    return np.array(carrier), np.array(total)


def switching_model(seed, **params):
    """The default ``Windower(10) -> GRUMoERegressor`` (``params`` replacing defaults, e.g. in a quick test)."""
    from sklearn.pipeline import make_pipeline

    from sklearn_emotion import GRUMoERegressor, Windower

    return make_pipeline(Windower(10), GRUMoERegressor(random_state=seed, **params))


def measure_shares(root, *, n_train=14, n_test=6, margin=15, seed=0, **params):
    """Train on ``n_train`` switching movies and explain ``n_test`` others.

    Returns a dict: ``shares`` ``(n_test, 2 halves, 2 outputs)``, the carrier's share of each held-out
    movie's half; ``pooled`` ``(2 halves, 2 outputs)``, the share over all held-out movies together;
    ``carriers``, ``seconds`` (of each held-out movie), ``fit_s``, ``explain_s``.
    """
    from sklearn_emotion.inspection import modality_contributions

    X, y, carriers = make_switching_movies(n_train + n_test, root=root, random_state=seed)
    start = time.perf_counter()
    model = switching_model(seed, **params).fit(X[:n_train], y[:n_train])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    result = modality_contributions(model, X[n_train:])
    explain_s = time.perf_counter() - start
    carrier, total = carrier_sums(result, carriers[n_train:], margin)
    return dict(shares=carrier / total, pooled=carrier.sum(axis=0) / total.sum(axis=0), carriers=carriers[n_train:],
                seconds=[len(t) for t in y[n_train:]], fit_s=fit_s, explain_s=explain_s)


def shares_part(shared, seed, margin):
    root = shared / "data" / "liris-accede-continuous"
    found = measure_shares(root, seed=seed, margin=margin)
    shares, pooled = found["shares"], found["pooled"]
    print(f"\n## Shares: default Windower(10) + GRUMoERegressor(random_state={seed}) on 14 switching movies, "
          f"{len(shares)} held out (margin {margin} s)\n")
    print("| held-out movie | seconds | carrier 1st half / 2nd half | share 1st half (valence / arousal) | "
          "share 2nd half (valence / arousal) |")
    print("|---|---|---|---|---|")
    for i, (n, pair, share) in enumerate(zip(found["seconds"], found["carriers"], shares)):
        print(f"| {i} | {n} | {pair[0]} / {pair[1]} | {share[0, 0]:.1%} / {share[0, 1]:.1%} | "
              f"{share[1, 0]:.1%} / {share[1, 1]:.1%} |")
    print(f"| all {len(shares)} together | {sum(found['seconds'])} | | {pooled[0, 0]:.1%} / {pooled[0, 1]:.1%} | "
          f"{pooled[1, 0]:.1%} / {pooled[1, 1]:.1%} |")
    print(f"\nAll held-out movies together, smallest share {pooled.min():.1%} (>= 65 % required). Per movie: "
          f"{int((shares >= 0.65).sum())} of {shares.size} shares >= 65 %, smallest {shares.min():.1%}. "
          f"Fit {found['fit_s']:.0f} s, contributions of the {len(shares)} held-out movies {found['explain_s']:.1f} s.")


def cost_part(repeats, seconds=7200):
    from sklearn_emotion import make_paper_pipeline
    from sklearn_emotion.inspection import modality_contributions

    rng = np.random.default_rng(0)

    def movie(n):
        return {name: rng.normal(size=(n, width)).astype(np.float32) for name, width in DEFAULT_WIDTHS.items()}

    # batch_size=512: the layout "auto" gives a LIRIS-ACCEDE-sized corpus (two short training movies
    # would get 32-window batches, and prediction would be dominated by per-batch overhead).
    model = make_paper_pipeline(epochs=1, batch_size=512, random_state=0).fit(
        [movie(200), movie(200)], [rng.uniform(-1, 1, (200, 2)) for _ in range(2)])
    film = [movie(seconds)]
    model.predict(film)  # warm-up: graph tracing
    predict_s, copies_s, explain_s = [], [], []
    for _ in range(repeats):  # interleaved, so that a busy machine slows all three alike
        start = time.perf_counter()
        model.predict(film)
        predict_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict(film * 8)
        copies_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        modality_contributions(model, film)
        explain_s.append(time.perf_counter() - start)
    print(f"\n## Cost: one {seconds}-s movie, widths {DEFAULT_WIDTHS}, make_paper_pipeline(batch_size=512) "
          f"(best of {repeats})\n")
    print(f"predict: {min(predict_s):.1f} s; predict of 8 copies in one call: {min(copies_s):.1f} s "
          f"({min(copies_s) / min(predict_s):.1f}x); modality_contributions: {min(explain_s):.1f} s "
          f"({min(explain_s) / min(predict_s):.1f}x the prediction; 2**3 = 8 predictions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    parser.add_argument("--part", choices=("shares", "cost", "both"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=int, default=15, help="seconds left out at the edges and around the switch")
    parser.add_argument("--repeats", type=int, default=3, help="timings of the cost part (best kept)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is imported (at the first fit)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", UserWarning)  # LIRIS-ACCEDE's uneven files
    if args.part in ("shares", "both"):
        shares_part(args.shared, args.seed, args.margin)
    if args.part in ("cost", "both"):
        cost_part(args.repeats)


if __name__ == "__main__":
    main()
