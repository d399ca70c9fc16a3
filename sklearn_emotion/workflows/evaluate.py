"""Score prediction folders against annotations: what ``sklearn-emotion evaluate`` does.

Each folder of per-second predictions (CSV files, as ``predict`` writes them) is one row of the
MediaEval table (MSE and Pearson r of valence and arousal, per movie then averaged over movies);
:func:`evaluate_folders` is the whole command, the other functions its steps.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["MovieResult", "check_held_out", "check_scale", "common_movies", "evaluate_folders", "load_folder",
           "model_name", "per_movie_table", "score_movies", "training_overlap", "write_plots"]


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


#: Largest |annotation| still taken as the [-1, 1] scale (rounding in annotation files).
_SCALE_TOLERANCE = 1e-3
#: Predictions reaching beyond this |value| are not on the [-1, 1] scale (regressors may overshoot a bit).
_PREDICTION_SCALE_LIMIT = 2.0


@dataclass
class MovieResult:
    """One movie of a predictions folder: its curves (as read and as scored) and its MediaEval scores."""

    name: str
    predicted: np.ndarray  # (T_p, 2) as read
    annotated: np.ndarray  # (T_a, 2) as read; NaN = unannotated second
    scores: dict[str, float] = field(default_factory=dict)  # mediaeval_scores of the scored seconds
    scored: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)  # (annotations, predictions), cut

    def __post_init__(self) -> None:
        n = min(len(self.predicted), len(self.annotated))
        self.scored = (self.annotated[:n], self.predicted[:n])

    @property
    def seconds(self) -> int:
        return len(self.scored[0])

    @property
    def annotated_seconds(self) -> int:
        return int((~np.isnan(self.scored[0])).any(axis=1).sum())


def _row_label(folder: str) -> str:
    path = Path(folder)
    return path.name or path.resolve().name or os.fspath(folder)


def _names(items: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def load_folder(folder: str, annotations: str, max_length_difference: int, *,
                warn: Callable[[str], None] = _warn) -> list[MovieResult]:
    """The movies of one predictions folder with their annotations; unannotated ones skipped with a warning.

    Raises ``ValueError`` when a file is malformed, a movie's lengths differ by more than
    ``max_length_difference`` seconds, or no movie is left; ``FileNotFoundError`` when the folder holds
    no prediction file.
    """
    from ..files import find_files, read_annotations, read_curves

    files = find_files([folder], (".csv", ".tsv", ".txt"), "prediction file")
    label, kept, missing, empty = _row_label(folder), [], [], []
    for path in files:
        predicted = read_curves(path, nan="reject")  # every second of a prediction must have a value
        try:
            annotated = read_annotations(annotations, path.stem)
        except FileNotFoundError:  # the folder exists (checked by evaluate_folders): no file for this movie
            missing.append(path.stem)
            continue
        movie = MovieResult(path.stem, predicted, annotated)
        if np.isnan(movie.scored[0]).all():
            empty.append(path.stem)
            continue
        if abs(len(predicted) - len(annotated)) > max_length_difference:
            raise ValueError(
                f"movie {movie.name}: {len(predicted)} predicted seconds but {len(annotated)} annotated ones "
                f"(more than --max-length-difference {max_length_difference})."
            )
        kept.append(movie)
    if not kept:
        reasons = ([f"no annotation file in {annotations} for {_names(missing)}"] if missing else []) + (
            [f"annotations all NaN for {_names(empty)}"] if empty else [])
        raise ValueError(f"no movie of {folder} can be scored: {'; '.join(reasons)}.")
    if missing:
        warn(f"{label}: skipped {len(missing)} movie(s) without an annotation file in {annotations}: "
             f"{_names(missing)}.")
    if empty:
        warn(f"{label}: skipped {len(empty)} movie(s) whose annotations are all NaN (no annotated second): "
             f"{_names(empty)}.")
    return kept


def check_scale(label: str, movies: Sequence[MovieResult]) -> None:
    """Raise :class:`ValueError` when annotations and predictions are visibly on different scales.

    Curves of the package are in [-1, 1].  Annotations beyond [-1, 1] (e.g. a 1-9 scale) against
    predictions less than half as large, or predictions beyond +-2 against annotations in [-1, 1],
    would give meaningless MSE values.
    """
    annotated = np.concatenate([m.scored[0].ravel() for m in movies])
    annotated = annotated[~np.isnan(annotated)]
    predicted = np.concatenate([m.scored[1].ravel() for m in movies])
    a_max, p_max = float(np.abs(annotated).max()), float(np.abs(predicted).max())
    a_range = f"[{annotated.min():.3g}, {annotated.max():.3g}]"
    p_range = f"[{predicted.min():.3g}, {predicted.max():.3g}]"
    if a_max > 1 + _SCALE_TOLERANCE and p_max < a_max / 2:
        worst = max(movies, key=lambda m: np.nanmax(np.abs(m.scored[0])))
        raise ValueError(
            f"{label}: the annotations are not on the scale of the predictions: predictions are on the [-1, 1] "
            f"scale (here {p_range}) but the annotations range over {a_range} (e.g. movie {worst.name}); rescale "
            "the annotations to [-1, 1] first, e.g. (x - 5) / 4 for a 1-9 scale."
        )
    if p_max > _PREDICTION_SCALE_LIMIT and a_max <= 1 + _SCALE_TOLERANCE:
        raise ValueError(
            f"{label}: the predictions range over {p_range} but the annotations lie in [-1, 1] ({a_range}); "
            "were they made by a model trained on annotations of another scale?"
        )


def score_movies(label: str, movies: Sequence[MovieResult], average: str,
                 row: Sequence[MovieResult] | None = None, *, warn: Callable[[str], None] = _warn) -> dict[str, float]:
    """Set every movie's scores and return the row's (over ``row``, default every movie).

    An undefined Pearson r gives one warning line.
    """
    from sklearn.exceptions import UndefinedMetricWarning

    from ..metrics import mediaeval_scores

    undefined = []
    for movie in movies:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UndefinedMetricWarning)
            movie.scores = mediaeval_scores([movie.scored[0]], [movie.scored[1]])
        if any(issubclass(w.category, UndefinedMetricWarning) for w in caught):
            undefined.append(movie.name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedMetricWarning)
        row_movies = movies if row is None else row
        scores = mediaeval_scores([m.scored[0] for m in row_movies], [m.scored[1] for m in row_movies],
                                  average=average)
    if undefined:
        warn(f"{label}: Pearson's r is undefined for {len(undefined)} movie(s) (constant prediction or "
             f"annotation, or fewer than 2 annotated seconds), shown as nan"
             + (" and left out of the average" if average == "movie" else "") + f": {_names(undefined)}.")
    if average == "pooled":
        for message in dict.fromkeys(str(w.message) for w in caught):
            warn(f"{label}: {message}")
    return scores


def per_movie_table(movies: Sequence[MovieResult], *, digits: int = 4) -> str:
    """A Markdown table with a row per movie: MSE and Pearson r of valence and arousal, and seconds."""
    from ..reporting import per_movie_table as table

    return table({m.name: m.scores for m in movies},
                 {m.name: {"Seconds": m.seconds, "Annotated": m.annotated_seconds} for m in movies}, digits=digits)


def model_name(folder: str, *, warn: Callable[[str], None] = _warn) -> str:
    """The model named by ``predictions.json`` in ``folder`` (written by `predict`), else the folder's name."""
    from ..prediction_info import prediction_model_name

    try:
        return prediction_model_name(folder)
    except ValueError as exc:
        warn(f"{exc} The plots are named after the folder.")
        return _row_label(folder)


def training_overlap(folder: str, movies: Sequence[MovieResult]) -> dict[str, list[str]]:
    """Which scored movies the model that made ``folder``'s predictions was trained on, from its predictions.json.

    Returns ``{"trained": ..., "by_name": ..., "namesake": ..., "unknown": ...}``, lists of movie names:
    ``trained``, the input was byte for byte a training file (by SHA-256); ``by_name``, a training movie
    had its name and the model records no digests to tell more; ``namesake``, a training movie had its
    name but other content; ``unknown``, nothing is recorded (predictions of sklearn-emotion 0.2 or of
    another program).  Other movies are known to be held out.
    """
    from ..prediction_info import read_prediction_info

    try:
        info = read_prediction_info(folder)
    except ValueError:  # model_name() warns about it
        info = None
    found: dict[str, list[str]] = {"trained": [], "by_name": [], "namesake": [], "unknown": []}
    records = {} if info is None else info["movies"]
    training = None if info is None else info["training_movies"]
    for movie in movies:
        record = records.get(movie.name)
        if record is None:
            kind = "unknown" if training is None else ("by_name" if movie.name in training else None)
        elif record.get("trained_on") is True:
            kind = "trained"
        elif record.get("training_name") is True:
            kind = "namesake" if record.get("trained_on") is False else "by_name"
        else:
            kind = None if record.get("trained_on") is False or training is not None else "unknown"
        if kind is not None:
            found[kind].append(movie.name)
    return found


def check_held_out(label: str, found: Mapping[str, list[str]], held_out_only: bool, *,
                   warn: Callable[[str], None] = _warn) -> str | None:
    """One warning line about the trained-on movies of a row; with ``held_out_only`` the reason to refuse it."""
    parts = []
    if found["trained"]:
        parts.append(f"{len(found['trained'])} scored movie(s) were in the model's training set (same SHA-256 as "
                     f"a training file): {_names(found['trained'])}")
    if found["by_name"]:
        parts.append(f"{len(found['by_name'])} have the name of a training movie (the model records no "
                     f"digests to compare their content): {_names(found['by_name'])}")
    if found["namesake"]:
        parts.append(f"{len(found['namesake'])} have the name of a training movie but other content "
                     f"(counted as held out): {_names(found['namesake'])}")
    if held_out_only:
        refused = found["trained"] + found["by_name"]
        if refused:
            return f"{label}: --held-out-only: the model was trained on {_names(refused)}."
        if found["unknown"]:
            return (f"{label}: --held-out-only: cannot tell whether the model was trained on "
                    f"{_names(found['unknown'])}: predictions.json does not record it (predictions of "
                    "sklearn-emotion 0.2 or of another program); predict them again with this version.")
    if parts:
        warn(f"{label}: " + "; ".join(parts) + (": their scores are not held-out scores." if found["trained"]
                                                or found["by_name"] else "."))
    return None


def common_movies(movies_of: Mapping[str, Sequence[MovieResult]]) -> tuple[dict[str, list[MovieResult]], str]:
    """The movies every row is scored on, and a note for the table (empty when all rows have the same movies).

    Rows scored on different movies are not comparable: each row is scored on the movies all rows have
    in common; when there are none, every row keeps its own movies and the note says the sets differ.
    """
    sets = {label: {m.name for m in movies} for label, movies in movies_of.items()}
    if len({frozenset(names) for names in sets.values()}) <= 1:
        return {label: list(movies) for label, movies in movies_of.items()}, ""
    common = set.intersection(*sets.values())
    if not common:
        sizes = ", ".join(f"{label} {len(names)}" for label, names in sets.items())
        return ({label: list(movies) for label, movies in movies_of.items()},
                f"Note: the rows are scored on different movies, none in common ({sizes} movie(s)): their "
                "numbers are not comparable.")
    left_out = "; ".join(f"{label}: {_names(sorted(names - common))}" for label, names in sets.items()
                         if names - common)
    return ({label: [m for m in movies if m.name in common] for label, movies in movies_of.items()},
            f"Note: the rows are scored on different movies; every row above is scored on the {len(common)} "
            f"movie(s) they have in common ({_names(sorted(common))}). Left out: {left_out}.")


def write_plots(folder: Path, movies: Sequence[MovieResult], model: str) -> None:
    """``folder/<movie>.png`` per movie: annotated and predicted valence and arousal, the scores in the title."""
    from ..plotting import plot_curves
    from ..reporting import scores_title

    legend = model if model != "annotation" else f"{model} (prediction)"
    for movie in movies:
        plot_curves(folder / f"{movie.name}.png", {"annotation": movie.annotated, legend: movie.predicted},
                    roles={"annotation": "annotation", legend: "model"},
                    title=scores_title(movie.name, model, movie.scores))


def _check_outputs(output: str | os.PathLike | None, plots_dir: str | os.PathLike | None) -> None:
    """``output`` names a file to write and ``plots_dir`` a folder: one clear error before any work when not."""
    if output and Path(output).is_dir():
        raise ValueError(f"-o {output} is a folder; -o names the file for the table(s).")
    if plots_dir and Path(plots_dir).exists() and not Path(plots_dir).is_dir():
        raise ValueError(f"--plots {plots_dir} is a file; --plots names a folder.")


def _load_rows(predictions: Sequence[str], labels: Sequence[str], annotations_dir: str, max_length_difference: int,
               held_out_only: bool, warn: Callable[[str], None]) -> dict[str, list[MovieResult]]:
    """Every folder's movies, checked (scale, held-out movies) before any is scored."""
    movies_of, refusals = {}, []
    for folder, label in zip(predictions, labels):
        movies = load_folder(folder, annotations_dir, max_length_difference, warn=warn)
        check_scale(label, movies)
        refusal = check_held_out(label, training_overlap(folder, movies), held_out_only, warn=warn)
        if refusal:
            refusals.append(refusal)
        movies_of[label] = movies
    if refusals:
        raise ValueError(" ".join(refusals) + " Score held-out movies only, or drop --held-out-only.")
    return movies_of


def evaluate_folders(predictions: Sequence[str | os.PathLike], annotations_dir: str | os.PathLike, *,
                     average: str = "movie", paper: bool = False, max_length_difference: int = 2,
                     per_movie: bool = False, plots_dir: str | os.PathLike | None = None,
                     output: str | os.PathLike | None = None, held_out_only: bool = False,
                     echo: Callable[[str], None] = print, warn: Callable[[str], None] = _warn) -> str:
    """Score each folder of ``predictions`` against ``annotations_dir``: the ``evaluate`` command.

    Parameters
    ----------
    predictions : sequence of path-like
        Folders of per-second prediction files, one row each (named after the folder).
    annotations_dir : path-like
        Folder of annotation files.
    average : {"movie", "pooled"}, default="movie"
        Per movie then averaged over movies (MediaEval's), or over all seconds.
    paper : bool, default=False
        Show the paper's Table 1 beside rows named ``Run 1`` ... ``Run 5``.
    max_length_difference : int, default=2
        Seconds by which a movie's predictions and annotations may differ.
    per_movie : bool, default=False
        Also a table per folder with a row per movie.
    plots_dir : path-like, optional
        Writes ``plots_dir/<row>/<movie>.png``: predicted and annotated curves, the scores in the title.
    output : path-like, optional
        Also writes the table(s) (Markdown) to this file.
    held_out_only : bool, default=False
        Refuse to score movies the model was trained on (or that ``predictions.json`` cannot tell
        apart from them) instead of warning.
    echo, warn : callable
        Receive the report's lines and the warnings (default: ``print`` and :func:`warnings.warn`).

    Returns
    -------
    str
        The table(s), as printed.

    Examples
    --------
    The scores of a baseline's predictions of a movie it did not see (per-second features and annotations
    of four movies of 30 s written by :func:`~sklearn_emotion.datasets.make_feature_corpus`):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_feature_corpus
    >>> from sklearn_emotion.workflows import evaluate_folders, fit_model_file, predict_to_folder
    >>> features, annotations = make_feature_corpus(tempfile.mkdtemp())
    >>> quiet = {"echo": lambda line: None}
    >>> training = [features / f"movie_{i}.npz" for i in range(3)]
    >>> model = fit_model_file(training, annotations, features.parent / "model.skops", model="baseline", **quiet)
    >>> predictions = features.parent / "baseline"
    >>> _ = predict_to_folder(model, [features / "movie_3.npz"], predictions, plot=False, progress=False, **quiet)
    >>> table = evaluate_folders([predictions], annotations)
    baseline: 1 movie(s), 30 seconds
    | Run      | Valence MSE | Valence PCC | Arousal MSE | Arousal PCC |
    |----------|------------:|------------:|------------:|------------:|
    | baseline |      0.0024 |      0.9778 |      0.0021 |      0.9940 |
    """
    from ..files import atomic_write_bytes
    from ..reporting import PAPER_TABLE_1, mediaeval_table

    if not Path(annotations_dir).is_dir():
        raise FileNotFoundError(f"Annotation folder not found: {annotations_dir}")
    _check_outputs(output, plots_dir)
    predictions = [os.fspath(folder) for folder in predictions]
    labels = [_row_label(folder) for folder in predictions]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"several PREDICTIONS folders are named {', '.join(repeated)}; each folder names a "
                         "row (and a folder of --plots), so give them different names.")
    movies_of = _load_rows(predictions, labels, os.fspath(annotations_dir), max_length_difference, held_out_only,
                           warn)
    scored_of, note = common_movies(movies_of)
    rows = {}
    for label, movies in movies_of.items():
        rows[label] = score_movies(label, movies, average, row=scored_of[label], warn=warn)
        scored = scored_of[label]
        echo(f"{label}: {len(scored)} movie(s), {sum(m.seconds for m in scored)} seconds"
             + (f" (of {len(movies)})" if len(scored) < len(movies) else ""))
    text = mediaeval_table(rows, PAPER_TABLE_1 if paper else None) + (f"\n\n{note}" if note else "")
    if per_movie:
        text += "".join(f"\n\nPer movie, {label}:\n\n{per_movie_table(movies)}" for label, movies in movies_of.items())
    echo(text)
    if output:
        atomic_write_bytes(output, lambda out: out.write((text + "\n").encode()))
        echo(f"Table written to {output}.")
    if plots_dir:
        for folder, label in zip(predictions, labels):
            write_plots(Path(plots_dir) / label, movies_of[label], model_name(folder, warn=warn))
        echo(f"Plots (annotation vs prediction, one PNG per movie) written to "
             f"{', '.join(os.fspath(Path(plots_dir) / label) for label in labels)}.")
    return text
