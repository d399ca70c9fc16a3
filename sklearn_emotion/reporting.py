"""The paper's Table 1 and Markdown tables of MediaEval scores in its layout.

:data:`PAPER_TABLE_1` holds the test-set results of the paper's five runs; :func:`mediaeval_table`
renders runs scored with :func:`sklearn_emotion.metrics.mediaeval_scores` as an aligned Markdown table,
optionally beside reference numbers such as the paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["TABLE_COLUMNS", "PAPER_TABLE_1", "format_score", "markdown_table", "mediaeval_table", "per_movie_table",
           "scores_title"]

#: Columns of the paper's Table 1, also the keys of :func:`sklearn_emotion.metrics.mediaeval_scores`.
TABLE_COLUMNS: tuple[str, ...] = ("Valence MSE", "Valence PCC", "Arousal MSE", "Arousal PCC")
#: Table 1 of the paper: test-set results of the five submitted runs (MediaEval 2018).
PAPER_TABLE_1: dict[str, dict[str, float]] = {
    "Run 1": {"Valence MSE": 0.1193, "Valence PCC": 0.1175, "Arousal MSE": 0.1384, "Arousal PCC": 0.2911},
    "Run 2": {"Valence MSE": 0.0945, "Valence PCC": 0.1376, "Arousal MSE": 0.1479, "Arousal PCC": 0.1957},
    "Run 3": {"Valence MSE": 0.1133, "Valence PCC": 0.1883, "Arousal MSE": 0.1778, "Arousal PCC": 0.2773},
    "Run 4": {"Valence MSE": 0.1073, "Valence PCC": 0.2779, "Arousal MSE": 0.1396, "Arousal PCC": 0.3513},
    "Run 5": {"Valence MSE": 0.0837, "Valence PCC": 0.1786, "Arousal MSE": 0.1334, "Arousal PCC": 0.3358},
}


def format_score(value: float | None, digits: int = 4) -> str:
    """A score as shown in the tables: ``digits`` decimals, ``nan`` when undefined, empty when None.

    Examples
    --------
    >>> from sklearn_emotion.reporting import format_score
    >>> format_score(0.123456), format_score(float("nan")), format_score(None)
    ('0.1235', 'nan', '')
    """
    if value is None:
        return ""
    value = float(value)
    return "nan" if np.isnan(value) else f"{value:.{digits}f}"


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Aligned Markdown table: first column left-aligned (names), the others right-aligned (numbers).

    Examples
    --------
    >>> from sklearn_emotion.reporting import markdown_table
    >>> print(markdown_table(["Movie", "Seconds"], [["Sintel", "888"], ["Decay", "42"]]))
    | Movie  | Seconds |
    |--------|--------:|
    | Sintel |     888 |
    | Decay  |      42 |
    """
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]
        return "| " + " | ".join(cells) + " |"

    separator = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|"
    return "\n".join([render(header), separator, *(render(line) for line in body)])


def per_movie_table(scores: Mapping[str, Mapping[str, float]],
                    extra: Mapping[str, Mapping[str, Any]] | None = None, *, digits: int = 4) -> str:
    """A Markdown table with a row per movie: MSE and Pearson r of valence and arousal, then ``extra`` columns.

    Parameters
    ----------
    scores : mapping of str to mapping of str to float
        Movie name -> its scores with the keys of :data:`TABLE_COLUMNS` (e.g. from
        :func:`sklearn_emotion.metrics.mediaeval_scores` of that movie alone).
    extra : mapping of str to mapping of str to object, optional
        Movie name -> more columns (e.g. ``{"Seconds": 90}``), the same columns for every movie.
    digits : int, default=4
        Decimals shown.

    Examples
    --------
    >>> from sklearn_emotion.reporting import per_movie_table
    >>> scores = {"Valence MSE": 0.1, "Valence PCC": 0.3, "Arousal MSE": 0.12, "Arousal PCC": 0.4}
    >>> print(per_movie_table({"Sintel": scores}, {"Sintel": {"Seconds": 888}}))
    | Movie  | Valence MSE | Valence PCC | Arousal MSE | Arousal PCC | Seconds |
    |--------|------------:|------------:|------------:|------------:|--------:|
    | Sintel |      0.1000 |      0.3000 |      0.1200 |      0.4000 |     888 |
    """
    columns = list(next(iter(extra.values()))) if extra else []
    body = [[str(name), *(format_score(values[c], digits) for c in TABLE_COLUMNS),
             *(str(extra[name][c]) for c in columns)] for name, values in scores.items()]
    return markdown_table(["Movie", *TABLE_COLUMNS, *columns], body)


def scores_title(movie: str, model: str, scores: Mapping[str, float]) -> str:
    """A plot title: the movie, the model, its MSE and Pearson r of valence and arousal (``undefined`` when NaN).

    Examples
    --------
    >>> from sklearn_emotion.reporting import scores_title
    >>> scores = {"Valence MSE": 0.1, "Valence PCC": float("nan"), "Arousal MSE": 0.12, "Arousal PCC": 0.4}
    >>> print(scores_title("Sintel", "GRU+MoE", scores))
    Sintel - GRU+MoE
    MSE: valence 0.1000, arousal 0.1200   Pearson r: valence undefined, arousal 0.400
    """

    def number(key: str, digits: int) -> str:
        value = scores[key]
        return "undefined" if np.isnan(value) else f"{value:.{digits}f}"

    return (f"{movie} - {model}\nMSE: valence {number('Valence MSE', 4)}, arousal {number('Arousal MSE', 4)}"
            f"   Pearson r: valence {number('Valence PCC', 3)}, arousal {number('Arousal PCC', 3)}")


def mediaeval_table(
    rows: Mapping[str, Mapping[str, float]],
    reference: Mapping[str, Mapping[str, float]] | None = None,
    *,
    digits: int = 4,
) -> str:
    """Format runs in the layout of the paper's Table 1, as a Markdown table.

    Parameters
    ----------
    rows : mapping of str to mapping of str to float
        Run name -> scores with the keys of :data:`TABLE_COLUMNS` (e.g. from
        :func:`sklearn_emotion.metrics.mediaeval_scores`).
    reference : mapping of the same form, optional
        Numbers to show beside ours, e.g. :data:`PAPER_TABLE_1`; matched by run name (a run without
        reference gets empty cells).  Each metric then has two columns, ours and ``(ref.)``.
    digits : int, default=4
        Decimals shown.

    Returns
    -------
    str
        The table, one line per run, columns aligned.

    Raises
    ------
    ValueError
        If a run lacks one of the :data:`TABLE_COLUMNS`.

    Examples
    --------
    >>> from sklearn_emotion.reporting import PAPER_TABLE_1, mediaeval_table
    >>> scores = {"Valence MSE": 0.1, "Valence PCC": 0.3, "Arousal MSE": 0.12, "Arousal PCC": 0.4}
    >>> print(mediaeval_table({"Run 1": scores}))
    | Run   | Valence MSE | Valence PCC | Arousal MSE | Arousal PCC |
    |-------|------------:|------------:|------------:|------------:|
    | Run 1 |      0.1000 |      0.3000 |      0.1200 |      0.4000 |
    >>> with_paper = mediaeval_table({"Run 1": scores}, PAPER_TABLE_1, digits=3)  # the paper's numbers beside
    >>> with_paper.splitlines()[2].split("|")[2:4]
    ['       0.100 ', '              0.119 ']
    """
    header = ["Run"]
    for column in TABLE_COLUMNS:
        header += [column, f"{column} (ref.)"] if reference is not None else [column]
    body = []
    for name, scores in rows.items():
        missing = [column for column in TABLE_COLUMNS if column not in scores]
        if missing:
            raise ValueError(f"run {name!r} lacks the score(s) {missing}; expected keys {list(TABLE_COLUMNS)}.")
        line = [str(name)]
        for column in TABLE_COLUMNS:
            line.append(format_score(scores[column], digits))
            if reference is not None:
                line.append(format_score(reference.get(name, {}).get(column), digits))
        body.append(line)
    return markdown_table(header, body)
