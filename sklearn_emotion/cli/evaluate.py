"""``sklearn-emotion evaluate``: predictions vs annotations -> the MediaEval table, per-movie rows, plots."""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._common import CommandError, collect, echo, non_negative_seconds, warn

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


def load_folder(folder: str, annotations: str, max_length_difference: int) -> list[MovieResult]:
    """The movies of one predictions folder with their annotations; unannotated ones skipped with a warning.

    Raises :class:`CommandError` when a file is malformed, a movie's lengths differ by more than
    ``max_length_difference`` seconds, or no movie is left.
    """
    from ..files import read_annotations, read_curves

    files = collect([folder], (".csv", ".tsv", ".txt"), "prediction file")
    label, kept, missing, empty = _row_label(folder), [], [], []
    for path in files:
        try:
            predicted = read_curves(path, nan="reject")  # every second of a prediction must have a value
            try:
                annotated = read_annotations(annotations, path.stem)
            except FileNotFoundError:  # the folder exists (checked by run): no file for this movie
                missing.append(path.stem)
                continue
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        movie = MovieResult(path.stem, predicted, annotated)
        if np.isnan(movie.scored[0]).all():
            empty.append(path.stem)
            continue
        if abs(len(predicted) - len(annotated)) > max_length_difference:
            raise CommandError(
                f"movie {movie.name}: {len(predicted)} predicted seconds but {len(annotated)} annotated ones "
                f"(more than --max-length-difference {max_length_difference})."
            )
        kept.append(movie)
    if not kept:
        reasons = ([f"no annotation file in {annotations} for {_names(missing)}"] if missing else []) + (
            [f"annotations all NaN for {_names(empty)}"] if empty else [])
        raise CommandError(f"no movie of {folder} can be scored: {'; '.join(reasons)}.")
    if missing:
        warn("evaluate", f"{label}: skipped {len(missing)} movie(s) without an annotation file in {annotations}: "
             f"{_names(missing)}.")
    if empty:
        warn("evaluate", f"{label}: skipped {len(empty)} movie(s) whose annotations are all NaN (no annotated second): "
             f"{_names(empty)}.")
    return kept


def check_scale(label: str, movies: Sequence[MovieResult]) -> None:
    """Raise :class:`CommandError` when annotations and predictions are visibly on different scales.

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
        raise CommandError(
            f"{label}: the annotations are not on the scale of the predictions: predictions are on the [-1, 1] "
            f"scale (here {p_range}) but the annotations range over {a_range} (e.g. movie {worst.name}); rescale "
            "the annotations to [-1, 1] first, e.g. (x - 5) / 4 for a 1-9 scale."
        )
    if p_max > _PREDICTION_SCALE_LIMIT and a_max <= 1 + _SCALE_TOLERANCE:
        raise CommandError(
            f"{label}: the predictions range over {p_range} but the annotations lie in [-1, 1] ({a_range}); "
            "were they made by a model trained on annotations of another scale?"
        )


def score_movies(label: str, movies: Sequence[MovieResult], average: str,
                 row: Sequence[MovieResult] | None = None) -> dict[str, float]:
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
        warn("evaluate", f"{label}: Pearson's r is undefined for {len(undefined)} movie(s) (constant prediction or "
             f"annotation, or fewer than 2 annotated seconds), shown as nan"
             + (" and left out of the average" if average == "movie" else "") + f": {_names(undefined)}.")
    if average == "pooled":
        for message in dict.fromkeys(str(w.message) for w in caught):
            warn("evaluate", f"{label}: {message}")
    return scores


def per_movie_table(movies: Sequence[MovieResult], *, digits: int = 4) -> str:
    """A Markdown table with a row per movie: MSE and Pearson r of valence and arousal, and seconds."""
    from ..reporting import per_movie_table as table

    return table({m.name: m.scores for m in movies},
                 {m.name: {"Seconds": m.seconds, "Annotated": m.annotated_seconds} for m in movies}, digits=digits)


def plot_title(movie: str, model: str, scores: Mapping[str, float]) -> str:
    """Title of an ``evaluate --plots`` figure: the movie, the model, its MSE and Pearson r."""

    def number(key: str, digits: int) -> str:
        value = scores[key]
        return "undefined" if np.isnan(value) else f"{value:.{digits}f}"

    return (f"{movie} - {model}\nMSE: valence {number('Valence MSE', 4)}, arousal {number('Arousal MSE', 4)}"
            f"   Pearson r: valence {number('Valence PCC', 3)}, arousal {number('Arousal PCC', 3)}")


def model_name(folder: str) -> str:
    """The model named by ``predictions.json`` in ``folder`` (written by `predict`), else the folder's name."""
    from ..prediction_info import prediction_model_name

    try:
        return prediction_model_name(folder)
    except ValueError as exc:
        warn("evaluate", f"{exc} The plots are named after the folder.")
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


def check_held_out(label: str, found: Mapping[str, list[str]], held_out_only: bool) -> str | None:
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
        warn("evaluate", f"{label}: " + "; ".join(parts) + (": their scores are not held-out scores." if found["trained"]
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

    legend = model if model != "annotation" else f"{model} (prediction)"
    for movie in movies:
        plot_curves(folder / f"{movie.name}.png", {"annotation": movie.annotated, legend: movie.predicted},
                    roles={"annotation": "annotation", legend: "model"},
                    title=plot_title(movie.name, model, movie.scores))


def _check_outputs(args: argparse.Namespace) -> None:
    """-o names a file to write and --plots a folder: one clear error before any work when not."""
    if args.output and Path(args.output).is_dir():
        raise CommandError(f"-o {args.output} is a folder; -o names the file for the table(s).")
    if args.plots and Path(args.plots).exists() and not Path(args.plots).is_dir():
        raise CommandError(f"--plots {args.plots} is a file; --plots names a folder.")


def run(args: argparse.Namespace) -> int:
    from ..files import atomic_write_bytes
    from ..reporting import PAPER_TABLE_1, mediaeval_table

    if not Path(args.annotations).is_dir():
        raise CommandError(f"Annotation folder not found: {args.annotations}")
    _check_outputs(args)
    labels = [_row_label(folder) for folder in args.predictions]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise CommandError(f"several PREDICTIONS folders are named {', '.join(repeated)}; each folder names a "
                           "row (and a folder of --plots), so give them different names.")
    movies_of, refusals = {}, []
    for folder, label in zip(args.predictions, labels):
        movies = load_folder(folder, args.annotations, args.max_length_difference)
        check_scale(label, movies)
        refusal = check_held_out(label, training_overlap(folder, movies), args.held_out_only)
        if refusal:
            refusals.append(refusal)
        movies_of[label] = movies
    if refusals:
        raise CommandError(" ".join(refusals) + " Score held-out movies only, or drop --held-out-only.")
    scored_of, note = common_movies(movies_of)
    rows = {}
    for label, movies in movies_of.items():
        rows[label] = score_movies(label, movies, args.average, row=scored_of[label])
        scored = scored_of[label]
        echo(f"{label}: {len(scored)} movie(s), {sum(m.seconds for m in scored)} seconds"
             + (f" (of {len(movies)})" if len(scored) < len(movies) else ""))
    text = mediaeval_table(rows, PAPER_TABLE_1 if args.paper else None)
    if note:
        text += f"\n\n{note}"
    if args.per_movie:
        text += "".join(f"\n\nPer movie, {label}:\n\n{per_movie_table(movies)}" for label, movies in movies_of.items())
    echo(text)
    if args.output:
        atomic_write_bytes(args.output, lambda out: out.write((text + "\n").encode()))
        echo(f"Table written to {args.output}.")
    if args.plots:
        for folder, label in zip(args.predictions, labels):
            write_plots(Path(args.plots) / label, movies_of[label], model_name(folder))
        echo(f"Plots (annotation vs prediction, one PNG per movie) written to "
             f"{', '.join(os.fspath(Path(args.plots) / label) for label in labels)}.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Score per-second predictions (CSV files from `predict`, one per movie) against annotations with the
    MediaEval 2018 metrics: MSE and Pearson correlation of valence and arousal, computed per movie and
    averaged over movies. Each PREDICTIONS folder is one row. Movies without annotations, or whose
    annotations are all NaN, are skipped with a warning; annotations and predictions must both be on
    the [-1, 1] scale. Movies the model was trained on (by the SHA-256 of their input, which `predict`
    records in predictions.json) are named in a warning, or refused with --held-out-only. When the rows
    are scored on different movies, every row is scored on the movies they have in common (a note says
    so), or, with none in common, a note says the numbers are not comparable.
    """
    parser.add_argument("predictions", nargs="+", metavar="PREDICTIONS", help="folder(s) of prediction files")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    parser.add_argument("--average", choices=("movie", "pooled"), default="movie",
                          help="movie: per movie then averaged (MediaEval, default); pooled: over all seconds")
    parser.add_argument("--paper", action="store_true",
                          help="show the paper's Table 1 numbers beside rows named 'Run 1' ... 'Run 5'")
    parser.add_argument("--max-length-difference", type=non_negative_seconds, default=2, metavar="S",
                          help="accepted difference in seconds between predictions and annotations (default %(default)s)")
    parser.add_argument("--per-movie", action="store_true",
                          help="also print a table per PREDICTIONS folder with a row per movie")
    parser.add_argument("--plots", metavar="DIR",
                          help="write DIR/<row>/<movie>.png: predicted and annotated valence and arousal of each "
                               "movie, with the model's name and the movie's MSE and Pearson r in the title")
    parser.add_argument("-o", "--output", metavar="FILE", help="also write the table(s) (Markdown) to FILE")
    parser.add_argument("--held-out-only", action="store_true",
                          help="refuse to score movies the model was trained on (or that predictions.json cannot "
                               "tell apart from them) instead of warning")
