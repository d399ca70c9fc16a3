"""Measure the spectrum of the real LIRIS-ACCEDE annotations and choose the smoothing defaults.

Reads ``../shared/data/liris-accede-continuous/`` (beside the repository; never copied into it) and
prints three tables:

1. the cumulative fraction of the variance of the mean-removed valence and arousal curves below a
   frequency (periodogram of each movie, pooled over movies as total power);
2. a denoising experiment: the real curves plus noise (white, or AR(1) with coefficient 0.7), then
   ``ButterworthSmoother`` for a grid of cutoffs and orders, and the MSE of the smoothed noisy curve
   against the real curve (per movie, then averaged over movies and both axes, as MediaEval does);
   ``none`` is the MSE without smoothing;
3. the same for ``MovingAverageSmoother`` windows;
4. for the two default smoothers, that MSE near the ends of the movies (first and last 60 s) and in
   the middle; then the uniform window whose gain at the default Butterworth cutoff is closest to the
   zero-phase Butterworth gain there (0.5).

Usage: ``python benchmarks/annotation_spectrum.py [--shared PATH] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import signal

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from sklearn_emotion.datasets import AnnotationLengthWarning, load_liris_accede  # noqa: E402
from sklearn_emotion.smoothing import ButterworthSmoother, MovingAverageSmoother  # noqa: E402

FREQUENCIES = (0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.1, 0.2)
CUTOFFS = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2)
ORDERS = (1, 2, 4, 6)
WINDOWS = (5, 11, 23, 31, 35, 47, 71)
NOISES = (("white", 0.1), ("white", 0.2), ("white", 0.3), ("ar1", 0.1), ("ar1", 0.2), ("ar1", 0.3))


def load_annotations(folder: Path) -> dict[str, np.ndarray]:
    """``{movie: (T, 2) valence, arousal}`` via the package's loader (truncates misaligned movies)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnnotationLengthWarning)  # reported below instead
        dataset = load_liris_accede(folder)
    for movie, (n_valence, n_arousal) in dataset.misaligned.items():
        print(f"  {movie}: valence {n_valence} s, arousal {n_arousal} s -> {min(n_valence, n_arousal)} s")
    return dict(zip(dataset.movies, dataset.y))


def cumulative_variance(curves: list[np.ndarray], frequencies) -> np.ndarray:
    """Fraction of the pooled periodogram power at or below each frequency (one column per axis)."""
    below = np.zeros((len(frequencies), 2))
    total = np.zeros(2)
    for curve in curves:
        centred = curve - curve.mean(axis=0)
        freqs, power = signal.periodogram(centred, fs=1.0, scaling="spectrum", axis=0, detrend=False)
        total += power.sum(axis=0)
        for row, frequency in enumerate(frequencies):
            below[row] += power[freqs <= frequency].sum(axis=0)
    return below / total


def make_noise(kind: str, sigma: float, length: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.normal(size=(length, 2))
    if kind == "white":
        return sigma * white
    # AR(1) with coefficient 0.7, scaled to standard deviation sigma.
    phi = 0.7
    noise = signal.lfilter([1.0], [1.0, -phi], white, axis=0) * np.sqrt(1 - phi**2)
    return sigma * noise


def per_movie_mse(truth: list[np.ndarray], estimate: list[np.ndarray]) -> float:
    return float(np.mean([np.mean((t - e) ** 2) for t, e in zip(truth, estimate)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO_DIR.parent / "shared")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = args.shared / "data" / "liris-accede-continuous"
    if not folder.is_dir():
        sys.exit(f"{folder} is absent: the real annotations are only available beside the repository.")

    print(f"Annotations: {folder}")
    annotations = load_annotations(folder)
    curves = list(annotations.values())
    print(f"{len(curves)} movies, {sum(len(c) for c in curves)} aligned seconds\n")

    print("1. Cumulative variance fraction of the mean-removed curves below f (periodogram)")
    print("   pooled = power summed over movies; median = median over the 60 per-movie curves;")
    print("   concatenated = one periodogram of all mean-removed curves end to end")
    pooled = cumulative_variance(curves, FREQUENCIES)
    per_curve = np.array([cumulative_variance([c], FREQUENCIES) for c in curves])  # (movies, f, axis)
    median = np.median(per_curve.transpose(1, 0, 2).reshape(len(FREQUENCIES), -1), axis=1)
    concatenated = cumulative_variance([np.concatenate([c - c.mean(axis=0) for c in curves])], FREQUENCIES)
    print(f"{'f (Hz)':>8} {'pooled V':>9} {'pooled A':>9} {'median':>9} {'concat V':>9} {'concat A':>9}")
    for row, frequency in enumerate(FREQUENCIES):
        values = (*pooled[row], median[row], *concatenated[row])
        print(f"{frequency:8.3f} " + " ".join(f"{100 * v:8.2f}%" for v in values))
    print()

    rng = np.random.default_rng(args.seed)
    noisy_sets = {
        (kind, sigma): [c + make_noise(kind, sigma, len(c), rng) for c in curves] for kind, sigma in NOISES
    }
    header = f"{'':>18}" + "".join(f"{kind}{sigma:<6g}".rjust(10) for kind, sigma in NOISES) + f"{'clean':>10}"

    print("2. Butterworth: MSE(smooth(truth + noise), truth), per movie then mean (x 1e-3)")
    print(header)
    unsmoothed = [per_movie_mse(curves, noisy) for noisy in noisy_sets.values()]
    print(f"{'none':>18}" + "".join(f"{1e3 * e:10.2f}" for e in unsmoothed) + f"{0.0:10.2f}")
    results: dict[tuple, list[float]] = {}
    for order in ORDERS:
        for cutoff in CUTOFFS:
            smoother = ButterworthSmoother(order=order, cutoff=cutoff)
            row = []
            for key, noisy in noisy_sets.items():
                error = per_movie_mse(curves, smoother.transform(noisy))
                row.append(error)
            results[(order, cutoff)] = row
            clean = per_movie_mse(curves, smoother.transform(curves))
            label = f"order {order} {cutoff:g} Hz"
            print(f"{label:>18}" + "".join(f"{1e3 * e:10.2f}" for e in row) + f"{1e3 * clean:10.2f}")
    table = np.array(list(results.values()))
    ratio = (table / table.min(axis=0)).mean(axis=1)  # mean excess over the best design, per design
    for (kind, sigma), column in zip(NOISES, table.T):
        order, cutoff = list(results)[int(np.argmin(column))]
        print(f"best for {kind} {sigma:g}: order {order}, {cutoff:g} Hz")
    ranking = np.argsort(ratio)
    print("mean over the noise settings of MSE / best MSE (lower is better):")
    for index in ranking[:5]:
        order, cutoff = list(results)[index]
        print(f"  order {order}, {cutoff:g} Hz: {ratio[index]:.3f}")
    order, cutoff = list(results)[ranking[0]]
    default = ButterworthSmoother()
    print(
        f"chosen: order {order}, cutoff {cutoff:g} Hz; "
        f"ButterworthSmoother() default: order {default.order}, cutoff {default.cutoff:g} Hz"
    )
    print()

    print("3. Moving averages: same MSE (x 1e-3)")
    print(header)
    moving: dict[tuple, list[float]] = {}
    for kind in ("uniform", "triangular"):
        for window in WINDOWS:
            smoother = MovingAverageSmoother(window=window, kind=kind)
            row = [per_movie_mse(curves, smoother.transform(noisy)) for noisy in noisy_sets.values()]
            clean = per_movie_mse(curves, smoother.transform(curves))
            label = f"{kind} {window}"
            print(f"{label:>18}" + "".join(f"{1e3 * e:10.2f}" for e in row) + f"{1e3 * clean:10.2f}")
            moving[(kind, window)] = row
    moving_ratio = (np.array(list(moving.values())) / table.min(axis=0)).mean(axis=1)
    print("mean over the noise settings of MSE / best Butterworth MSE:")
    for (kind, window), value in zip(moving, moving_ratio):
        print(f"  {kind} {window}: {value:.3f}")

    print("\n4. Where the error is: white noise 0.3, MSE (x 1e-3) in the first and last 60 s vs the rest")
    noisy = noisy_sets[("white", 0.3)]
    for smoother in (ButterworthSmoother(), MovingAverageSmoother()):
        name = f"{type(smoother).__name__}()"
        smoothed = smoother.transform(noisy)
        edges = np.mean([np.mean(np.r_[s[:60] - c[:60], s[-60:] - c[-60:]] ** 2) for s, c in zip(smoothed, curves)])
        middle = np.mean([np.mean((s[60:-60] - c[60:-60]) ** 2) for s, c in zip(smoothed, curves) if len(c) > 120])
        print(f"{name:>24}: edges {1e3 * edges:.2f}, middle {1e3 * middle:.2f}")

    default = ButterworthSmoother()
    half_gain = []
    for window in range(1, 200, 2):
        gain = abs(np.sin(np.pi * default.cutoff * window) / (window * np.sin(np.pi * default.cutoff)))
        half_gain.append((abs(gain - 0.5), window, gain))
    _, window, gain = min(half_gain)
    print(
        f"\nUniform window with gain closest to 0.5 at the default cutoff {default.cutoff:g} Hz: "
        f"{window} s (gain {gain:.3f}); default MovingAverageSmoother window = {MovingAverageSmoother().window}"
    )


if __name__ == "__main__":
    main()
