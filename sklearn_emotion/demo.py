"""The offline demo: real video files whose content drives known valence and arousal curves.

``sklearn-emotion demo`` (or :func:`run_demo`) does, without any network access:

1. **Corpus.**  Writes a few short MP4 movies (H.264 video, AAC audio) with known per-second
   valence/arousal curves.  Each movie is a sequence of *scenes* (8-20 s) with their own emotion
   levels.  Valence drives what is shown and heard: pleasant photos (a cat, an astronaut's smiling
   face, a cup of coffee) for positive scenes and bleak ones (gravel, the moon, a deep-sky field, a
   grey street photo) for negative ones, brighter and warmer frames the higher it is, and a higher,
   major chord rather than a lower, minor one.  Arousal drives camera shake and film grain, and the
   loudness and pulse rate of the sound.  The photos are scikit-image's sample images.  The
   "annotations" follow these drivers with an exponential lag of a few seconds, as human annotators
   react with a delay, so that a model with temporal context has something to gain.
2. **Features.**  Decodes the files (PyAV) and embeds every second with the real backbones found in
   a weights folder (ImageNet MobileNet v1 for images, AudioSet YAMNet for audio) or, when there is
   none, with the weight-free descriptors -- and says which (see :mod:`sklearn_emotion.extraction`).
3. **Evaluation.**  Cross-validates, split by movie, the paper's pipeline
   ``Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)`` (after a
   ``MovieStandardScaler``) against the per-second baseline ``PerSecondRegressor(RidgeCV)``, prints the MediaEval table (per-movie MSE and Pearson r of
   the held-out movies), and plots the predicted and true curves of one held-out movie.

Whatever numbers come out are printed: nothing is tuned on the held-out movies.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DemoConfig", "FULL", "QUICK", "DemoMovie", "make_corpus", "run_demo"]

POSITIVE_PHOTOS = ("chelsea", "astronaut", "coffee")
NEGATIVE_PHOTOS = ("gravel", "moon", "hubble_deep_field", "camera")
SAMPLE_RATE = 16000
_CORPUS_VERSION = 1


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


# ------------------------------------------------------------------------------------ content
def _photos(size: tuple[int, int]) -> dict[str, np.ndarray]:
    """The scikit-image sample photos as float RGB in [0, 1], resized to ``(width, height)``."""
    try:
        from skimage import data
        from skimage.transform import resize
    except ImportError as exc:  # a test extra of the package; the demo needs its sample photos
        raise ImportError(
            "The demo draws its movies from scikit-image's sample photos: pip install scikit-image"
        ) from exc
    width, height = size
    photos = {}
    for name in POSITIVE_PHOTOS + NEGATIVE_PHOTOS:
        image = getattr(data, name)()
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        photos[name] = resize(image[..., :3], (height, width), anti_aliasing=True).astype(np.float32)
        if photos[name].max() > 1.0:
            photos[name] /= 255.0
    return photos


def emotion_curves(n_seconds: int, lag: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list]:
    """Scene-wise content drivers and the lagged "annotations" of one movie.

    Returns
    -------
    drivers : ndarray of shape (T, 2)
        Valence and arousal expressed by the content at each second.
    annotations : ndarray of shape (T, 2)
        The drivers followed with an exponential lag of time constant ``lag`` seconds, in [-1, 1].
    scenes : list of (start, stop, photo index)
    """
    drivers = np.empty((n_seconds, 2))
    scenes = []
    start = 0
    while start < n_seconds:
        stop = min(n_seconds, start + int(rng.integers(8, 21)))
        level = rng.uniform(-0.85, 0.85, size=2)
        t = np.arange(stop - start)
        drift = 0.12 * np.sin(2 * np.pi * t / rng.uniform(10, 30) + rng.uniform(0, 2 * np.pi, size=(1, 2)).T).T
        drivers[start:stop] = np.clip(level + drift, -1, 1)
        scenes.append((start, stop, int(rng.integers(0, 1 << 16))))
        start = stop
    annotations = np.empty_like(drivers)
    annotations[0] = drivers[0]
    step = 1.0 - np.exp(-1.0 / lag)
    for t in range(1, n_seconds):
        annotations[t] = annotations[t - 1] + step * (drivers[t] - annotations[t - 1])
    return drivers, np.clip(annotations, -1, 1), scenes


def render_frame(photo: np.ndarray, valence: float, arousal: float, rng: np.random.Generator) -> np.ndarray:
    """One uint8 frame: brighter and warmer with valence, shakier and grainier with arousal."""
    w, s = (valence + 1) / 2, (arousal + 1) / 2
    image = photo * (0.3 + 0.7 * w)
    image = image * np.array([1 + 0.3 * valence, 1.0, 1 - 0.3 * valence], dtype=np.float32)
    shake = int(round(10 * s))
    if shake:
        image = np.roll(image, (int(rng.integers(-shake, shake + 1)), int(rng.integers(-shake, shake + 1))), axis=(0, 1))
    image = image + rng.normal(0, 0.15 * s, size=image.shape[:2] + (1,)).astype(np.float32)
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def synthesize_audio(drivers: np.ndarray, rng: np.random.Generator, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A chord whose pitch and mode follow valence and whose loudness and pulse follow arousal."""
    n = len(drivers) * rate
    t = np.arange(n) / rate
    valence = np.interp(t, np.arange(len(drivers)) + 0.5, drivers[:, 0])
    arousal = (np.interp(t, np.arange(len(drivers)) + 0.5, drivers[:, 1]) + 1) / 2
    root = 220.0 * 2 ** (0.5 * valence)  # 156 Hz (negative) to 311 Hz (positive)
    third = root * 2 ** ((3.5 + 0.5 * valence) / 12)  # minor third -> major third
    fifth = root * 2 ** (7 / 12)
    chord = sum(np.sin(2 * np.pi * np.cumsum(f) / rate) for f in (root, third, fifth)) / 3
    pulse_rate = 1.0 + 5.0 * arousal
    pulse = 1 - arousal * 0.5 * (1 + np.cos(2 * np.pi * np.cumsum(pulse_rate) / rate))
    loudness = 0.05 + 0.55 * arousal
    noise = rng.normal(0, 1, n) * 0.08 * arousal
    return np.clip(loudness * pulse * chord + noise, -1, 1).astype(np.float32)


def _write_movie(path: Path, frames: Callable[[int], np.ndarray], n_frames: int, fps: int,
                 size: tuple[int, int], audio: np.ndarray) -> None:
    """Encode an MP4 (H.264 + AAC) with PyAV, atomically."""
    import av

    temporary = path.with_name(f".{path.stem}.tmp{path.suffix}")
    width, height = size
    with av.open(os.fspath(temporary), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=Fraction(fps, 1))
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23"}
        sound = container.add_stream("aac", rate=SAMPLE_RATE)
        sound.layout = "mono"
        for index in range(n_frames):
            frame = av.VideoFrame.from_ndarray(frames(index), format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        frame_size = sound.codec_context.frame_size or 1024
        for start in range(0, len(audio), frame_size):
            block = audio[start:start + frame_size]
            if len(block) < frame_size:
                block = np.pad(block, (0, frame_size - len(block)))
            chunk = av.AudioFrame.from_ndarray(block[None, :], format="flt", layout="mono")
            chunk.sample_rate = SAMPLE_RATE
            chunk.pts = start
            for packet in sound.encode(chunk):
                container.mux(packet)
        for packet in sound.encode(None):
            container.mux(packet)
    os.replace(temporary, path)


def make_corpus(folder: str | os.PathLike, config: DemoConfig = FULL, *, random_state: int = 0,
                progress: bool = False) -> list[DemoMovie]:
    """Write the demo movies and their annotation files into ``folder`` (reused when already there).

    Movie ``demo_XX`` gets ``demo_XX.mp4`` and ``demo_XX_Valence-Arousal.txt`` (MediaEval format).
    A ``corpus.json`` records the configuration; files are regenerated only when it changes or a
    file is missing, so an interrupted run resumes.

    Returns
    -------
    list of DemoMovie
    """
    from .files import atomic_write_bytes, read_curves

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    corpus_fields = ("n_movies", "min_seconds", "max_seconds", "width", "height", "fps", "lag")
    manifest = {"version": _CORPUS_VERSION, "random_state": random_state,
                "config": {name: getattr(config, name) for name in corpus_fields}}
    manifest_path = folder / "corpus.json"
    reuse = manifest_path.is_file() and json.loads(manifest_path.read_text()) == manifest
    photos = None
    movies = []
    seeds = np.random.SeedSequence(random_state).spawn(config.n_movies)
    names = [f"demo_{index:02d}" for index in range(config.n_movies)]
    iterator = zip(names, seeds)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(list(iterator), desc="demo: writing movies", unit="movie")
    for name, seed in iterator:
        video, annotation = folder / f"{name}.mp4", folder / f"{name}_Valence-Arousal.txt"
        if reuse and video.is_file() and annotation.is_file():
            movies.append(DemoMovie(name, video, annotation, read_curves(annotation)))
            continue
        rng = np.random.default_rng(seed)
        n_seconds = int(rng.integers(config.min_seconds, config.max_seconds + 1))
        drivers, curves, scenes = emotion_curves(n_seconds, config.lag, rng)
        if photos is None:
            photos = _photos((config.width, config.height))
        scene_of_second = np.empty(n_seconds, dtype=int)
        scene_photo = []
        for index, (start, stop, pick) in enumerate(scenes):
            scene_of_second[start:stop] = index
            pool = POSITIVE_PHOTOS if drivers[start:stop, 0].mean() >= 0 else NEGATIVE_PHOTOS
            scene_photo.append(photos[pool[pick % len(pool)]])
        frame_rng = np.random.default_rng(rng.integers(1 << 31))

        def frame(index: int) -> np.ndarray:
            second = min(index // config.fps, n_seconds - 1)
            return render_frame(scene_photo[scene_of_second[second]], *drivers[second], frame_rng)

        audio = synthesize_audio(drivers, rng)
        _write_movie(video, frame, n_seconds * config.fps, config.fps, (config.width, config.height), audio)
        lines = ["Time\tValence\tArousal"] + [f"{t}\t{v:.4f}\t{a:.4f}" for t, (v, a) in enumerate(curves)]
        atomic_write_bytes(annotation, lambda out, text="\n".join(lines) + "\n": out.write(text.encode()))
        movies.append(DemoMovie(name, video, annotation, read_curves(annotation)))
    atomic_write_bytes(manifest_path, lambda out: out.write(json.dumps(manifest, indent=1).encode()))
    return movies


# ------------------------------------------------------------------------------------ models
def paper_pipeline(config: DemoConfig, random_state: int) -> Any:
    """``MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor, ButterworthSmoother)``.

    The features are standardised with the statistics of the training seconds first: the network
    gets inputs of comparable scales whatever the backbones.
    """
    from sklearn.pipeline import make_pipeline

    from .gru_moe import GRUMoERegressor
    from .meta import SmoothedRegressor
    from .preprocessing import MovieStandardScaler
    from .smoothing import ButterworthSmoother
    from .windowing import Windower

    # The estimator's own training defaults (batch sized to the corpus, early stopping): the demo
    # shows what a user who changes nothing gets.
    network = GRUMoERegressor(units=config.units, random_state=random_state)
    return make_pipeline(
        MovieStandardScaler(),  # embeddings and descriptors come at very different scales
        Windower(length=config.window),
        SmoothedRegressor(network, ButterworthSmoother(cutoff=config.cutoff)),
    )


def baseline_model(config: DemoConfig) -> Any:
    """``PerSecondRegressor(RidgeCV)``: every second on its own, no temporal context.

    The Ridge penalty is chosen among ``config.ridge_alphas`` by efficient leave-one-out on the
    training seconds only (``RidgeCV``), so the baseline is tuned as fairly as the network.
    """
    from sklearn.linear_model import RidgeCV

    from .meta import PerSecondRegressor

    return PerSecondRegressor(RidgeCV(alphas=np.asarray(config.ridge_alphas, dtype=float)))


def _unsmoothed(pipeline: Any, movies: list) -> list[np.ndarray]:
    """The paper pipeline's predictions before Butterworth smoothing (same fitted network)."""
    windows = pipeline[:-1].transform(movies)
    return pipeline[-1].regressor_.predict(windows)


# ------------------------------------------------------------------------------------ the demo
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
    from sklearn.model_selection import KFold

    from .extraction import default_feature_spec, describe_feature_spec, extract_features, resolve_weights_dir
    from .files import save_features, write_curves
    from .metrics import mediaeval_scores, mediaeval_table
    from .plotting import plot_curves

    config = config or (QUICK if quick else FULL)
    if config.n_splits < 2 or config.n_splits > config.n_movies:
        raise ValueError(f"n_splits must be between 2 and n_movies={config.n_movies}, got {config.n_splits}.")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    folder, origin = resolve_weights_dir(weights_dir)
    spec, notes = default_feature_spec(folder)
    echo(f"sklearn-emotion demo ({'quick' if config == QUICK else 'full' if config == FULL else 'custom'} "
         f"settings) -> {output.resolve()}")
    echo(f"Features: {origin}.")
    for note in notes:
        echo(f"  {note}")
    if any("WEIGHT-FREE" in note for note in notes):
        echo("  (weight-free features are simple colour/audio statistics, not pretrained embeddings;"
             " pass --weights-dir for the real backbones)")

    tick = time.perf_counter()
    movies = make_corpus(output / "corpus", config, random_state=random_state, progress=progress)
    timings["corpus_s"] = time.perf_counter() - tick
    total = sum(len(m.curves) for m in movies)
    echo(f"Corpus: {len(movies)} movies, {total} s of {config.width}x{config.height} H.264/AAC video "
         f"({timings['corpus_s']:.1f} s).")

    tick = time.perf_counter()
    features = extract_features(
        [m.video for m in movies], spec, n_jobs=n_jobs,
        cache_dir=output / "cache", progress=progress,
    )
    for movie, feature in zip(movies, features):
        save_features(output / "features" / f"{movie.name}.npz", feature)
    timings["features_s"] = time.perf_counter() - tick
    widths = {name: array.shape[1] for name, array in features[0].items()}
    echo(f"Extracted features {widths} per second ({timings['features_s']:.1f} s).")

    X, y = [], []
    for movie, feature in zip(movies, features):
        n = min(len(movie.curves), len(next(iter(feature.values()))))
        X.append({k: v[:n] for k, v in feature.items()})
        y.append(movie.curves[:n])

    names = ["Per-second Ridge (baseline)", "Per-second Ridge+Butterworth", "GRU+MoE, no smoothing",
             "GRU+MoE+Butterworth (paper)"]
    predictions: dict[str, list[Any]] = {name: [None] * len(X) for name in names}
    folds = KFold(n_splits=config.n_splits, shuffle=True, random_state=random_state)
    tick = time.perf_counter()
    fold_of_movie = np.empty(len(X), dtype=int)
    for fold, (train, test) in enumerate(folds.split(np.arange(len(X)))):
        X_train, y_train = [X[i] for i in train], [y[i] for i in train]
        X_test = [X[i] for i in test]
        baseline = baseline_model(config).fit(X_train, y_train)
        paper = paper_pipeline(config, random_state + fold).fit(X_train, y_train)
        per_second = baseline.predict(X_test)
        smoothed = paper[-1].smooth_predictions(per_second)  # the paper's filter on the baseline's curves
        outputs = (per_second, smoothed, _unsmoothed(paper, X_test), paper.predict(X_test))
        for name, predicted in zip(names, outputs):
            for i, curve in zip(test, predicted):
                predictions[name][i] = np.asarray(curve)
        fold_of_movie[test] = fold
        echo(f"  fold {fold + 1}/{config.n_splits}: trained on {len(train)} movies, tested on "
             f"{', '.join(movies[i].name for i in test)}; {paper[-1].regressor_.stopping_summary_}")
    timings["cross_validation_s"] = time.perf_counter() - tick

    scores = {name: mediaeval_scores(y, predictions[name]) for name in names}
    table = mediaeval_table(scores)
    echo("")
    echo(f"MediaEval scores of the held-out movies ({config.n_splits}-fold cross-validation split by movie; "
         "MSE and Pearson r per movie, averaged over movies):")
    echo(table)
    echo(f"These numbers illustrate the method on {len(movies)} generated movies of {config.min_seconds}-"
         f"{config.max_seconds} s; {'the quick settings train on too little to compare models: ' if config == QUICK else ''}"
         "they are not a measurement of it (see docs/performance.md for held-out results on real curves).")
    pooled = {name: mediaeval_scores(y, predictions[name], average="pooled") for name in names}

    for name, key in zip(names, ("baseline", "baseline_smoothed", "unsmoothed", "paper")):
        for i, movie in enumerate(movies):
            write_curves(output / "predictions" / key / f"{movie.name}.csv", predictions[name][i])
    # The plotted movie: the longest one (any held-out movie would do; all are held out once).
    shown = int(np.argmax([len(t) for t in y]))
    plot_path = plot_curves(
        output / f"curves_{movies[shown].name}.png",
        {"annotation (truth)": y[shown], "GRU+MoE+Butterworth": predictions[names[3]][shown],
         "per-second Ridge": predictions[names[0]][shown]},
        title=f"{movies[shown].name}, held out in fold {fold_of_movie[shown] + 1}",
    )
    timings["total_s"] = time.perf_counter() - started
    header = ("# sklearn-emotion demo\n\nFeatures: " + origin + "\n\n" + describe_feature_spec(spec)
              + f"\n\n{config.n_splits}-fold cross-validation split by movie, {len(movies)} movies.\n\n")
    from .files import atomic_write_bytes

    atomic_write_bytes(output / "table.md", lambda out: out.write((header + table + "\n").encode()))
    results = {
        "scores": scores, "pooled_scores": pooled, "features": {"origin": origin, "notes": notes, "spec": spec},
        "widths": widths, "config": asdict(config), "random_state": random_state,
        "plot": os.fspath(plot_path), "timings": timings,
    }
    atomic_write_bytes(output / "results.json", lambda out: out.write(json.dumps(results, indent=1, default=str).encode()))
    echo(f"Plot of {movies[shown].name} (predicted vs true curves): {plot_path}")
    echo(f"Table: {output / 'table.md'}; held-out predictions: {output / 'predictions'}")
    echo(f"Done in {timings['total_s']:.0f} s.")
    return results
