"""What the dataset loaders share: where the data lives, their warnings, annotation-table parsing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DATA_ENV_VAR",
    "AnnotationLengthWarning",
    "MissingFeatureWarning",
    "resolve_root",
    "read_annotation_table",
    "check_range",
]

#: Environment variable naming a data home with one sub-folder per dataset.
DATA_ENV_VAR = "SKLEARN_EMOTION_DATA"


class AnnotationLengthWarning(UserWarning):
    """Curves (or features and curves) of one movie had different lengths and were truncated."""


class MissingFeatureWarning(UserWarning):
    """Per-second feature files were absent or empty and were filled as requested."""


def resolve_root(root: str | os.PathLike | None, subfolder: str, dataset: str, obtain: str) -> Path:
    """The dataset folder: ``root`` itself, or ``$SKLEARN_EMOTION_DATA/<subfolder>`` when ``root`` is None.

    Nothing is downloaded: a missing folder is an error saying where the official data is obtained.
    """
    if root is None:
        home = os.environ.get(DATA_ENV_VAR)
        if not home:
            raise ValueError(
                f"No folder given for {dataset}: pass root=... or set the environment variable "
                f"{DATA_ENV_VAR} to a folder containing {subfolder}/. {obtain}"
            )
        path = Path(home) / subfolder
    else:
        path = Path(root)
    if not path.is_dir():
        raise FileNotFoundError(f"{dataset} folder {path} does not exist. {obtain}")
    return path


def _parse_float(token: str, path: Path, line_no: int, column: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"{path}, line {line_no}: {column} value {token!r} is not a number.") from None


def read_annotation_table(path: Path, columns: Sequence[str]) -> np.ndarray:
    """Read a tab (or whitespace) separated per-second table whose first column is ``Time``.

    The header must be exactly ``columns`` (first one the time); times must be 0, 1, 2, ... seconds
    (row ``t`` is second ``[t, t+1)``).  Returns the other columns as a ``(T, len(columns) - 1)``
    float64 array.  Every error names the file and the line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc}).") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValueError(f"{path}, line 1: expected the header {chr(9).join(columns)!r}, the file is empty.")
    header = lines[0].split()
    if [name.lower() for name in header] != [name.lower() for name in columns]:
        raise ValueError(
            f"{path}, line 1: expected the header {chr(9).join(columns)!r}, got {lines[0].strip()!r}."
        )
    rows: list[list[float]] = []
    for line_no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue  # tolerate blank lines (e.g. a trailing one)
        tokens = line.split()
        if len(tokens) != len(columns):
            raise ValueError(
                f"{path}, line {line_no}: expected {len(columns)} values ({', '.join(columns)}), "
                f"got {len(tokens)}: {line.strip()!r}."
            )
        values = [_parse_float(tok, path, line_no, name) for tok, name in zip(tokens, columns)]
        if not np.isfinite(values).all():
            raise ValueError(f"{path}, line {line_no}: NaN or infinite value in {line.strip()!r}.")
        expected_time = len(rows)
        if abs(values[0] - expected_time) > 1e-6:
            raise ValueError(
                f"{path}, line {line_no}: {columns[0]} is {tokens[0]} but the rows must be one per "
                f"second starting at 0, so {expected_time} was expected."
            )
        rows.append(values[1:])
    if not rows:
        raise ValueError(f"{path}: the file has a header but no data row.")
    return np.asarray(rows, dtype=np.float64)


def check_range(values: np.ndarray, path: Path, names: Sequence[str], low: float, high: float,
                first_line: int = 2) -> None:
    """Raise naming the file and line when a value lies outside ``[low, high]``."""
    bad = np.argwhere((values < low) | (values > high))
    if len(bad):
        row, col = bad[0]
        raise ValueError(
            f"{path}, line {row + first_line}: {names[col]} {float(values[row, col])!r} lies outside "
            f"[{low}, {high}] ({len(bad)} such value(s) in the file)."
        )
