"""The offline demo: real video files whose content drives known valence and arousal curves.

``sklearn-emotion demo`` (or :func:`run_demo`) does, without any network access:

1. **Corpus.**  Writes a few short MP4 movies (H.264 video, AAC audio) with known per-second
   valence/arousal curves, with :func:`sklearn_emotion.datasets.make_movie_files`: pleasant or bleak
   photos, brighter and warmer frames and a higher, major chord with valence; camera shake, film
   grain, a louder and faster pulse with arousal; annotations that follow the content with an
   exponential lag of a few seconds, as human annotators react with a delay, so that a model with
   temporal context has something to gain.
2. **Features.**  Decodes the files (PyAV) and embeds every second with the real backbones found in
   a weights folder (ImageNet MobileNet v1 for images, AudioSet YAMNet for audio) or, when there is
   none, with the weight-free descriptors -- and says which (see :mod:`sklearn_emotion.extraction`).
3. **Evaluation.**  Cross-validates, split by movie
   (:func:`sklearn_emotion.workflows.cross_validate.cross_validate_movies`, as ``sklearn-emotion
   cross-validate`` does), the paper's pipeline (:func:`~sklearn_emotion.make_paper_pipeline`:
   ``MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)``)
   against the per-second baseline (:func:`~sklearn_emotion.make_baseline_pipeline`), prints the
   MediaEval table (per-movie MSE and Pearson r of the held-out movies), and plots the predicted and
   true curves of one held-out movie.

Whatever numbers come out are printed: nothing is tuned on the held-out movies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .datasets.movies import (  # noqa: F401  (re-exported: the demo's generator, now a dataset maker)
    NEGATIVE_PHOTOS,
    POSITIVE_PHOTOS,
    SAMPLE_RATE,
    emotion_curves,
    make_movie_files,
    render_frame,
    synthesize_audio,
)

__all__ = [
    "DemoConfig",
    "FULL",
    "QUICK",
    "DemoMovie",
    "make_corpus",
    "emotion_curves",
    "render_frame",
    "synthesize_audio",
    "paper_pipeline",
    "baseline_model",
    "run_demo",
]


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo corpus and of the models.

    Attributes
    ----------
    n_movies : int
        Movies in the corpus.
    min_seconds, max_seconds : int
        Range of movie durations.
    width, height, fps : int
        Video resolution and frame rate.
    lag : float
        Time constant (s) of the annotators' exponential lag behind the content.
    n_splits : int
        Cross-validation folds (split by movie).
    window : int
        Window length of the paper's pipeline, seconds.
    units : int
        Recurrent units per modality (every other parameter of the network at its default).
    cutoff : float
        Butterworth cutoff (Hz).
    ridge_alphas : tuple of float
        Candidate penalties of the per-second Ridge baseline.
    """

    n_movies: int = 10
    min_seconds: int = 60
    max_seconds: int = 90
    width: int = 160
    height: int = 120
    fps: int = 4
    lag: float = 4.0
    n_splits: int = 5
    window: int = 30
    units: int = 32
    cutoff: float = 0.05
    ridge_alphas: tuple = tuple(float(a) for a in np.logspace(-2, 4, 13))


FULL = DemoConfig()
#: A smaller corpus and network, for tests and a first look (well under a minute of training); its
#: scores, on 3 training movies of about 35 s, say that the pipeline runs, not how well it learns.
QUICK = DemoConfig(n_movies=4, min_seconds=30, max_seconds=40, n_splits=4, window=15, units=16)


@dataclass(frozen=True)
class DemoMovie:
    """One generated movie: its name, video file, annotation file and true curves ``(T, 2)``."""

    name: str
    video: Path
    annotations: Path
    curves: np.ndarray


def make_corpus(folder: str | os.PathLike, config: DemoConfig = FULL, *, random_state: int = 0,
                progress: bool = False) -> list[DemoMovie]:
    """Write the demo movies and their annotation files into ``folder`` (reused when already there).

    The corpus of :func:`sklearn_emotion.datasets.make_movie_files` with the sizes of ``config``:
    movie ``demo_XX`` gets ``demo_XX.mp4`` and ``demo_XX_Valence-Arousal.txt`` (MediaEval format).

    Returns
    -------
    list of DemoMovie
    """
    data = make_movie_files(
        folder, config.n_movies, min_seconds=config.min_seconds, max_seconds=config.max_seconds,
        width=config.width, height=config.height, fps=config.fps, lag=config.lag, prefix="demo",
        random_state=random_state, progress=progress,
    )
    return [DemoMovie(*movie) for movie in zip(data.movies, data.videos, data.annotation_files, data.y)]


# ------------------------------------------------------------------------------------ models
def paper_pipeline(config: DemoConfig, random_state: int) -> Any:
    """The paper's pipeline at the demo's size: :func:`~sklearn_emotion.make_paper_pipeline` with
    ``config.window``, ``config.units`` and the Butterworth cutoff ``config.cutoff``.

    The features are standardised with the statistics of the training seconds first: the network
    gets inputs of comparable scales whatever the backbones.  Every other parameter keeps the
    estimator's default (batch sized to the corpus, early stopping): the demo shows what a user who
    changes nothing gets.
    """
    from .pipelines import make_paper_pipeline
    from .smoothing import ButterworthSmoother

    return make_paper_pipeline(window_length=config.window, smoother=ButterworthSmoother(cutoff=config.cutoff),
                               units=config.units, random_state=random_state)


def baseline_model(config: DemoConfig, *, smoothed: bool = False) -> Any:
    """:func:`~sklearn_emotion.make_baseline_pipeline`: every second on its own, no temporal context
    (``smoothed``: its curves then smoothed by the paper's filter, Butterworth at ``config.cutoff``).

    The Ridge penalty is chosen among ``config.ridge_alphas`` by efficient leave-one-out on the
    training seconds only (``RidgeCV``), so the baseline is tuned as fairly as the network.
    """
    from .pipelines import make_baseline_pipeline
    from .smoothing import ButterworthSmoother

    model = make_baseline_pipeline(smoother=ButterworthSmoother(cutoff=config.cutoff) if smoothed else None)
    alphas = {name for name in model.get_params() if name.endswith("__alphas")}
    return model.set_params(**dict.fromkeys(alphas, np.asarray(config.ridge_alphas, dtype=float)))


# ------------------------------------------------------------------------------------ the demo
#: The four rows of the demo's table, and the folder of each one's held-out predictions.
MODEL_NAMES = ("Per-second Ridge (baseline)", "Per-second Ridge+Butterworth", "GRU+MoE, no smoothing",
               "GRU+MoE+Butterworth (paper)")
_PREDICTION_FOLDERS = ("baseline", "baseline_smoothed", "unsmoothed", "paper")


def _settings_name(config: DemoConfig) -> str:
    return "quick" if config == QUICK else "full" if config == FULL else "custom"


def _announce_features(output: Path, config: DemoConfig, weights_dir: Any,
                       echo: Callable[[str], None]) -> tuple[dict[str, Any], str, list[str]]:
    """The feature specification of the weights folder, said out loud (weight-free features included)."""
    from .extraction import default_feature_spec, resolve_weights_dir

    folder, origin = resolve_weights_dir(weights_dir)
    spec, notes = default_feature_spec(folder)
    echo(f"sklearn-emotion demo ({_settings_name(config)} settings) -> {output.resolve()}")
    echo(f"Features: {origin}.")
    for note in notes:
        echo(f"  {note}")
    if any("WEIGHT-FREE" in note for note in notes):
        echo("  (weight-free features are simple colour/audio statistics, not pretrained embeddings;"
             " pass --weights-dir for the real backbones)")
    return spec, origin, notes


def _extract(movies: list[DemoMovie], spec: dict[str, Any], output: Path, n_jobs: int | None,
             progress: bool) -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
    """Per-second features of every movie (saved as ``features/<movie>.npz``) and the curves cut to them."""
    from .extraction import extract_features
    from .files import save_features

    features = extract_features([m.video for m in movies], spec, n_jobs=n_jobs, cache_dir=output / "cache",
                                progress=progress)
    X, y = [], []
    for movie, feature in zip(movies, features):
        save_features(output / "features" / f"{movie.name}.npz", feature)
        # The video's whole seconds and the annotated seconds may differ by one.
        n = min(len(movie.curves), len(next(iter(feature.values()))))
        X.append({k: v[:n] for k, v in feature.items()})
        y.append(movie.curves[:n])
    return X, y


def _cross_validate(X: list, y: list, movies: list[DemoMovie], config: DemoConfig, random_state: int,
                    echo: Callable[[str], None]) -> Any:
    """Held-out predictions of the four models for every movie (the unsmoothed row: the paper model's
    network before its filter)."""
    from .workflows.cross_validate import cross_validate_movies

    models = {MODEL_NAMES[0]: baseline_model(config), MODEL_NAMES[1]: baseline_model(config, smoothed=True),
              MODEL_NAMES[3]: paper_pipeline(config, random_state)}
    return cross_validate_movies(models, X, y, [movie.name for movie in movies], n_splits=config.n_splits,
                                 random_state=random_state, unsmoothed={MODEL_NAMES[3]: MODEL_NAMES[2]}, echo=echo)


def _report_scores(result: Any, config: DemoConfig, n_movies: int,
                   echo: Callable[[str], None]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The MediaEval scores (per movie and pooled) of every model, printed as a table."""
    from .reporting import mediaeval_table

    scores = {name: result.scores[name] for name in MODEL_NAMES}
    pooled = {name: result.pooled_scores[name] for name in MODEL_NAMES}
    table = mediaeval_table(scores)
    echo("")
    echo(f"MediaEval scores of the held-out movies ({config.n_splits}-fold cross-validation split by movie; "
         "MSE and Pearson r per movie, averaged over movies):")
    echo(table)
    caveat = "the quick settings train on too little to compare models: " if config == QUICK else ""
    echo(f"These numbers illustrate the method on {n_movies} generated movies of {config.min_seconds}-"
         f"{config.max_seconds} s; {caveat}they are not a measurement of it (see docs/performance.md for "
         "held-out results on real curves).")
    return scores, pooled, table


def _write_predictions(output: Path, movies: list[DemoMovie], y: list, predictions: dict[str, list[np.ndarray]],
                       fold_of_movie: np.ndarray) -> tuple[Path, str]:
    """Every model's held-out curves as ``predictions/<model>/<movie>.csv``; the plot of one movie, and its name."""
    from .files import write_curves
    from .plotting import plot_curves

    for name, key in zip(MODEL_NAMES, _PREDICTION_FOLDERS):
        for i, movie in enumerate(movies):
            write_curves(output / "predictions" / key / f"{movie.name}.csv", predictions[name][i])
    # The plotted movie: the longest one (any held-out movie would do; all are held out once).
    shown = int(np.argmax([len(t) for t in y]))
    plot = plot_curves(
        output / f"curves_{movies[shown].name}.png",
        {"annotation (truth)": y[shown], "GRU+MoE+Butterworth": predictions[MODEL_NAMES[3]][shown],
         "per-second Ridge": predictions[MODEL_NAMES[0]][shown]},
        roles={"annotation (truth)": "annotation", "GRU+MoE+Butterworth": "model", "per-second Ridge": "baseline"},
        title=f"{movies[shown].name}, held out in fold {fold_of_movie[shown] + 1}",
    )
    return Path(plot), movies[shown].name


def _write_summary(output: Path, table: str, results: dict[str, Any], n_movies: int) -> None:
    """``table.md`` (the features used and the table) and ``results.json`` (everything)."""
    from .extraction import describe_feature_spec
    from .files import atomic_write_bytes

    features, n_splits = results["features"], results["config"]["n_splits"]
    markdown = (f"# sklearn-emotion demo\n\nFeatures: {features['origin']}\n\n{describe_feature_spec(features['spec'])}"
                f"\n\n{n_splits}-fold cross-validation split by movie, {n_movies} movies.\n\n{table}\n")
    text = json.dumps(results, indent=1, default=str)
    atomic_write_bytes(output / "table.md", lambda out: out.write(markdown.encode()))
    atomic_write_bytes(output / "results.json", lambda out: out.write(text.encode()))


def run_demo(
    output_dir: str | os.PathLike = "sklearn-emotion-demo",
    *,
    weights_dir: str | os.PathLike | None = None,
    quick: bool = False,
    config: DemoConfig | None = None,
    n_jobs: int | None = None,
    random_state: int = 0,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the whole demo (see the module docstring) and return its results.

    Parameters
    ----------
    output_dir : path-like, default="sklearn-emotion-demo"
        Receives ``corpus/`` (movies, annotations), ``features/`` (one ``.npz`` per movie),
        ``cache/`` (embedder cache), ``predictions/`` (held-out CSVs), ``table.md``,
        ``curves_<movie>.png`` and ``results.json``.
    weights_dir : path-like, optional
        Folder of the small pretrained models; default ``$SKLEARN_EMOTION_WEIGHTS`` or
        ``../shared/weights`` when it exists, else the weight-free features.
    quick : bool, default=False
        Use :data:`QUICK` (smaller corpus, shorter training) instead of :data:`FULL`.
    config : DemoConfig, optional
        Overrides ``quick``.
    n_jobs : int, optional
        Movies embedded in parallel.
    random_state : int, default=0
        Seeds the corpus, the folds and the networks.
    progress : bool, default=True
        Show progress bars.
    echo : callable, default=print
        Receives every line of the report.

    Returns
    -------
    dict
        ``scores`` (model -> MediaEval scores), ``features`` (what was used), ``plot``, ``timings``...
    """
    config = config or (QUICK if quick else FULL)
    if config.n_splits < 2 or config.n_splits > config.n_movies:
        raise ValueError(f"n_splits must be between 2 and n_movies={config.n_movies}, got {config.n_splits}.")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = tick = time.perf_counter()
    spec, origin, notes = _announce_features(output, config, weights_dir, echo)

    movies = make_corpus(output / "corpus", config, random_state=random_state, progress=progress)
    timings["corpus_s"] = time.perf_counter() - tick
    echo(f"Corpus: {len(movies)} movies, {sum(len(m.curves) for m in movies)} s of {config.width}x{config.height} "
         f"H.264/AAC video ({timings['corpus_s']:.1f} s).")

    tick = time.perf_counter()
    X, y = _extract(movies, spec, output, n_jobs, progress)
    timings["features_s"] = time.perf_counter() - tick
    widths = {name: array.shape[1] for name, array in X[0].items()}
    echo(f"Extracted features {widths} per second ({timings['features_s']:.1f} s).")

    tick = time.perf_counter()
    result = _cross_validate(X, y, movies, config, random_state, echo)
    timings["cross_validation_s"] = time.perf_counter() - tick
    scores, pooled, table = _report_scores(result, config, len(movies), echo)
    plot_path, shown = _write_predictions(output, movies, y, result.predictions, result.folds)
    timings["total_s"] = time.perf_counter() - started
    results = {
        "scores": scores, "pooled_scores": pooled, "features": {"origin": origin, "notes": notes, "spec": spec},
        "widths": widths, "config": asdict(config), "random_state": random_state,
        "plot": os.fspath(plot_path), "timings": timings,
    }
    _write_summary(output, table, results, len(movies))
    echo(f"Plot of {shown} (predicted vs true curves): {plot_path}")
    echo(f"Table: {output / 'table.md'}; held-out predictions: {output / 'predictions'}")
    echo(f"Done in {timings['total_s']:.0f} s.")
    return results
