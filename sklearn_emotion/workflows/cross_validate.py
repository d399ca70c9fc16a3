"""Held-out evaluation split by movie: what ``sklearn-emotion cross-validate`` and the demo do.

Every movie is predicted exactly once, by a model trained on the other folds.  Movies cut from one
source (``film_crop1``, ``film_crop2``...) go in the same fold, so that no source is both trained on
and scored: see :func:`movie_group` for the rule, or give the groups yourself.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CrossValidation", "cross_validate_corpus", "cross_validate_movies", "movie_group", "read_groups"]

#: A trailing part of a movie's name that numbers a piece of its source: ``_crop2``, ``-part_3``, ``_clip04``...
SOURCE_PART = re.compile(r"[_\-. ](?:crop|part|clip|cut|seg|segment|scene|shot|chunk|excerpt)[_\-]?\d+$", re.I)


def movie_group(name: str) -> str:
    """The source a movie was cut from: its name without trailing parts like ``_crop2`` or ``-part3``.

    ``film_crop1``, ``film_crop2`` and ``film-part_3`` are all of source ``film``; ``film_2`` and
    ``demo_01`` are their own sources (a bare number names a movie, not a piece of one).  Matching is
    case-insensitive; the words are crop, part, clip, cut, seg, segment, scene, shot, chunk, excerpt.
    """
    source = name
    while SOURCE_PART.search(source) and SOURCE_PART.sub("", source):
        source = SOURCE_PART.sub("", source)
    return source


def read_groups(path: str | os.PathLike) -> dict[str, str]:
    """Movie -> source group from a text file: one ``movie group`` pair a line (comma, tab or spaces
    between them); blank lines, lines starting with ``#`` and a ``movie,group`` header are skipped.

    Raises
    ------
    ValueError
        Naming the file and line of a line that is not a pair, or of a movie given twice.
    """
    groups: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        fields = [part for part in re.split(r"[,\t ]+", line.strip()) if part]
        if not fields or fields[0].startswith("#") or [f.lower() for f in fields] == ["movie", "group"]:
            continue
        if len(fields) != 2:
            raise ValueError(f"{path}, line {number}: expected 'movie group', got {line.strip()!r}.")
        if fields[0] in groups:
            raise ValueError(f"{path}, line {number}: movie {fields[0]!r} is given a group twice.")
        groups[fields[0]] = fields[1]
    return groups


@dataclass
class CrossValidation:
    """Held-out predictions and scores of one or more models, every movie predicted once.

    Attributes
    ----------
    names, groups : list of str
        The movies and the source group of each.
    folds : ndarray of int
        The fold that held each movie out (0-based).
    y : list of ndarray
        The annotations scored against, ``(T, 2)`` per movie.
    predictions : dict
        Row (model) name -> each movie's held-out prediction ``(T, 2)``.
    scores, pooled_scores : dict
        Row name -> MediaEval scores, per movie then averaged over movies (MediaEval's), or over all seconds.
    movie_scores : dict
        Row name -> movie -> its MediaEval scores.
    notes : list of str
        One line per fold: the movies it tested and how the networks' training stopped.
    """

    names: list[str]
    groups: list[str]
    folds: np.ndarray
    y: list[np.ndarray]
    predictions: dict[str, list[np.ndarray]]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    pooled_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    movie_scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """The MediaEval table of every row (Markdown)."""
        from ..reporting import mediaeval_table

        return mediaeval_table(self.scores)

    def per_movie_table(self, row: str) -> str:
        """A row's per-movie table (Markdown): scores, seconds and the fold that held the movie out."""
        from ..reporting import per_movie_table

        extra = {name: {"Seconds": len(t), "Fold": int(k) + 1} for name, t, k in zip(self.names, self.y, self.folds)}
        return per_movie_table(self.movie_scores[row], extra)


def _groups(names: Sequence[str], groups: Mapping[str, str] | Sequence[str] | None) -> list[str]:
    if groups is None:
        return [movie_group(name) for name in names]
    if not isinstance(groups, Mapping):
        if len(groups) != len(names):
            raise ValueError(f"groups has {len(groups)} entries for {len(names)} movies.")
        return [str(group) for group in groups]
    missing = [name for name in names if name not in groups]
    if missing:
        raise ValueError(f"the groups give no group to {len(missing)} movie(s): {', '.join(missing[:10])}"
                         + (" ..." if len(missing) > 10 else "") + ".")
    return [str(groups[name]) for name in names]


def _splits(groups: list[str], n_splits: int, random_state: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    sources = len(set(groups))
    if not 2 <= n_splits <= sources:
        raise ValueError(f"n_splits={n_splits}: expected 2 to {sources}, the number of source groups of the "
                         f"{len(groups)} movies (movies cut from one source share a fold).")
    folds = GroupKFold(n_splits=n_splits, shuffle=random_state is not None, random_state=random_state)
    return list(folds.split(np.zeros(len(groups)), groups=groups))


def _unsmoothed(fitted: Any, X: list) -> list[np.ndarray]:
    """A fitted smoothed model's predictions before smoothing (same fitted network)."""
    from sklearn.pipeline import Pipeline

    from ..smoothing import SmoothedRegressor

    head, inputs = (fitted[-1], fitted[:-1].transform(X)) if isinstance(fitted, Pipeline) else (fitted, X)
    if not isinstance(head, SmoothedRegressor):
        raise ValueError(f"unsmoothed: {type(head).__name__} does not smooth its predictions.")
    return [np.asarray(curve) for curve in head.regressor_.predict(inputs)]


def _score(result: CrossValidation) -> None:
    from sklearn.exceptions import UndefinedMetricWarning

    from ..metrics import mediaeval_scores

    for row, predicted in result.predictions.items():
        result.scores[row] = mediaeval_scores(result.y, predicted)
        result.pooled_scores[row] = mediaeval_scores(result.y, predicted, average="pooled")
        with warnings.catch_warnings():  # a movie's undefined Pearson r is its table's nan
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            result.movie_scores[row] = {name: mediaeval_scores([t], [p])
                                        for name, t, p in zip(result.names, result.y, predicted)}


def cross_validate_movies(models: Mapping[str, Any], X: Sequence[Mapping[str, np.ndarray]],
                          y: Sequence[np.ndarray], names: Sequence[str], *, n_splits: int = 5,
                          groups: Mapping[str, str] | Sequence[str] | None = None, random_state: int | None = 0,
                          unsmoothed: Mapping[str, str] | None = None,
                          echo: Callable[[str], None] = print) -> CrossValidation:
    """Cross-validate ``models`` on movies in memory, split by movie (and by source group).

    Parameters
    ----------
    models : mapping of str to estimator
        Row name -> unfitted model, cloned and fitted once per fold (e.g. from
        :func:`~sklearn_emotion.make_paper_pipeline`).
    X, y, names : sequences
        ``{modality: (T, d)}``, ``(T, 2)`` annotations and the name of each movie.
    n_splits : int, default=5
        Folds (``GroupKFold``): between 2 and the number of source groups.
    groups : mapping of movie to group, or a sequence of groups, optional
        Movies of one group share a fold; default: :func:`movie_group` of each name.
    random_state : int or None, default=0
        Shuffles the groups among the folds; None: scikit-learn's unshuffled ``GroupKFold``.
    unsmoothed : mapping of str to str, optional
        Row name of a smoothed model -> name of another row: that model's predictions before smoothing.
    echo : callable, default=print
        Receives one line per fold.

    Returns
    -------
    CrossValidation
    """
    from sklearn.base import clone

    from .fit import sequence_networks
    from .predict import predict_movies

    unknown = sorted(set(unsmoothed or {}) - set(models))
    if unknown:
        raise ValueError(f"unsmoothed names {unknown}, which are not rows of models ({', '.join(models)}).")
    X, y, names = list(X), [np.asarray(t)[:, :2] for t in y], list(names)
    movie_groups = _groups(names, groups)
    splits = _splits(movie_groups, n_splits, random_state)
    rows = list(models) + list((unsmoothed or {}).values())
    result = CrossValidation(names, movie_groups, np.empty(len(X), dtype=int), y,
                             {row: [np.empty((0, 2))] * len(X) for row in rows})
    for fold, (train, test) in enumerate(splits):
        X_test, summaries = [X[i] for i in test], []
        for row, model in models.items():
            fitted = clone(model).fit([X[i] for i in train], [y[i] for i in train])
            outputs = {row: predict_movies(fitted, X_test, names=[names[i] for i in test])[0]}
            if row in (unsmoothed or {}):
                outputs[unsmoothed[row]] = _unsmoothed(fitted, X_test)
            for name, predicted in outputs.items():
                for i, curve in zip(test, predicted):
                    result.predictions[name][i] = np.asarray(curve)
            summaries += [f"{row}: {net.stopping_summary_}" for net in sequence_networks(fitted)
                          if hasattr(net, "stopping_summary_")]
        result.folds[test] = fold
        result.notes.append(f"fold {fold + 1}/{len(splits)}: trained on {len(train)} movies, tested on "
                            f"{', '.join(names[i] for i in test)}" + "".join(f"; {s}" for s in summaries))
        echo(f"  {result.notes[-1]}")
    _score(result)
    return result


def _write_outputs(result: CrossValidation, output_dir: Path, echo: Callable[[str], None]) -> None:
    """``<row>/<movie>.csv`` (held-out prediction) and ``<row>/<movie>.png`` (beside the annotation) per row,
    and ``table.md``."""
    from ..files import atomic_write_bytes, write_curves
    from ..plotting import plot_curves
    from ..reporting import scores_title

    for row, predicted in result.predictions.items():
        folder = output_dir / (re.sub(r"[^A-Za-z0-9]+", "-", row).strip("-").lower() or "model")
        for name, truth, curve, fold in zip(result.names, result.y, predicted, result.folds):
            write_curves(folder / f"{name}.csv", curve)
            plot_curves(folder / f"{name}.png", {"annotation": truth, row: curve},
                        roles={"annotation": "annotation", row: "model"},
                        title=scores_title(f"{name} (held out in fold {fold + 1})", row,
                                           result.movie_scores[row][name]))
        echo(f"Held-out predictions and plots of {row}: {folder}")
    text = result.table() + "".join(f"\n\nPer movie, {row}:\n\n{result.per_movie_table(row)}"
                                    for row in result.predictions)
    atomic_write_bytes(output_dir / "table.md", lambda out: out.write((text + "\n").encode()))
    echo(f"Tables: {output_dir / 'table.md'}")


def cross_validate_corpus(features: str | os.PathLike | Sequence[str | os.PathLike],
                          annotations_dir: str | os.PathLike, *, model: str = "paper",
                          model_options: Mapping[str, Any] | None = None, n_splits: int = 5,
                          groups: Mapping[str, str] | None = None, random_state: int | None = 0,
                          target_range: tuple[float, float] | str = (-1.0, 1.0), max_length_difference: int = 2,
                          output_dir: str | os.PathLike | None = None,
                          echo: Callable[[str], None] = print) -> CrossValidation:
    """Cross-validate a model on a features folder and its annotations (``sklearn-emotion cross-validate``).

    The movies are split by source group (:func:`movie_group`, or ``groups``) into ``n_splits`` folds;
    each fold's movies are predicted by ``model`` trained on the other folds.  Prints the MediaEval
    table (MSE and Pearson r of valence and arousal, per movie then averaged over movies) and the
    per-movie scores; with ``output_dir``, writes each movie's held-out prediction (CSV), its plot
    beside the annotation (PNG) and the tables (``table.md``).

    Parameters
    ----------
    features, annotations_dir
        As :func:`~sklearn_emotion.workflows.load_feature_corpus` takes them.
    model : {"paper", "tcn", "baseline"}, default="paper"
        Built by :func:`~sklearn_emotion.workflows.fit.make_model` with ``model_options``.
    model_options : mapping, optional
        Keyword arguments of the model's pipeline maker.
    n_splits, groups, random_state
        See :func:`cross_validate_movies`.
    target_range : (float, float) or "auto", default=(-1.0, 1.0)
        Scale of the annotations, checked before training (networks only).
    max_length_difference : int, default=2
        Seconds by which a movie's features and annotations may differ.
    output_dir : path-like, optional
        Receives ``<model>/<movie>.csv``, ``<model>/<movie>.png`` and ``table.md``.
    echo : callable, default=print
        Receives every line of the report.

    Returns
    -------
    CrossValidation

    Examples
    --------
    Two-fold cross-validation of the baseline on four movies of 30 s (features and annotations written by
    :func:`~sklearn_emotion.datasets.make_feature_corpus`, as ``extract`` and a rater would write them):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_feature_corpus
    >>> from sklearn_emotion.workflows import cross_validate_corpus
    >>> features, annotations = make_feature_corpus(tempfile.mkdtemp(), n_movies=4, seconds=30)
    >>> result = cross_validate_corpus(features, annotations, model="baseline", n_splits=2, echo=lambda line: None)
    >>> result.names, result.folds
    (['movie_0', 'movie_1', 'movie_2', 'movie_3'], array([1, 1, 0, 0]))
    >>> {name: round(value, 3) for name, value in result.scores["baseline"].items()}
    {'Valence MSE': 0.003, 'Valence PCC': 0.986, 'Arousal MSE': 0.003, 'Arousal PCC': 0.987}
    """
    from ..files import check_writable
    from .corpus import load_feature_corpus
    from .fit import check_target_range, make_model

    if output_dir is not None:
        check_writable(output_dir)  # a file or a read-only folder fails here, not after every fold's training
    X, y, names = load_feature_corpus(features, annotations_dir, max_length_difference=max_length_difference)
    options = dict(model_options or {})
    if model != "baseline":
        options["target_range"] = check_target_range(target_range, y, names, annotations_dir)
    movie_groups = _groups(names, groups)
    shared = sum(movie_groups.count(group) > 1 for group in movie_groups)
    echo(f"Cross-validating the {model} model on {len(names)} movie(s), {sum(len(t) for t in y)} s, in "
         f"{n_splits} folds split by movie" + (f" ({shared} movies share their source with another)" if shared else "")
         + "...")
    result = cross_validate_movies({model: make_model(model, **options)}, X, y, names, n_splits=n_splits,
                                   groups=movie_groups, random_state=random_state, echo=echo)
    echo(f"\nMediaEval scores of the held-out movies ({n_splits}-fold cross-validation split by movie; MSE and "
         f"Pearson r per movie, averaged over movies):\n\n{result.table()}")
    echo(f"\nPer movie:\n\n{result.per_movie_table(model)}")
    if output_dir is not None:
        _write_outputs(result, Path(output_dir), echo)
    return result
