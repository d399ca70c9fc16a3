"""Loader for the continuous LIRIS-ACCEDE annotations (30 movies, valence and arousal every second)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..data import TARGET_NAMES
from ..files import MEAN_STD_SUFFIXES, read_mean_std_pair, warn_truncated
from ._common import resolve_root

__all__ = ["load_liris_accede", "LIRIS_ACCEDE_URL"]

#: Where the official data is obtained (free registration, research use).
LIRIS_ACCEDE_URL = "https://liris-accede.ec-lyon.fr/"
_OBTAIN = (
    "The continuous annotations (LIRIS-ACCEDE-continuous-annotations.zip, folder "
    f"continuous-annotations/) are obtained from {LIRIS_ACCEDE_URL} after registration; "
    "this package downloads nothing."
)
_SUFFIXES = MEAN_STD_SUFFIXES

_DESCR = """\
Continuous LIRIS-ACCEDE annotations
-----------------------------------
30 Creative Commons movies annotated every second with induced valence and arousal, the
post-processed mean (and standard deviation) over annotators, scale [-1, 1].  Files
<Movie>_Valence.txt and <Movie>_Arousal.txt, tab separated, header Time Mean Std, one row per
second from t = 0.  Row t of y is second [t, t+1): column 0 valence, column 1 arousal.

With with_std=True, y has four columns: valence, arousal, valence std, arousal std.

Alignment rule: when a movie's valence and arousal files have different numbers of rows, both
curves are truncated to the shorter one (the extra trailing seconds of the longer curve are
dropped) and one AnnotationLengthWarning names the movies and both lengths.

Source: Y. Baveye, E. Dellandrea, C. Chamaret, L. Chen, "Deep Learning vs. Kernel Methods:
Performance for Emotion Prediction in Videos", ACII 2015.  Obtain the data from
https://liris-accede.ec-lyon.fr/ (research use).
"""


def _annotation_folder(root: Path) -> Path:
    """``root`` or, for the layout of the official zip, ``root/continuous-annotations``."""
    if any(root.glob("*" + _SUFFIXES["valence"])):
        return root
    nested = root / "continuous-annotations"
    if nested.is_dir() and any(nested.glob("*" + _SUFFIXES["valence"])):
        return nested
    raise FileNotFoundError(f"No <Movie>_Valence.txt file in {root}. {_OBTAIN}")


def load_liris_accede(
    root: str | os.PathLike | None = None,
    *,
    movies: Sequence[str] | None = None,
    with_std: bool = False,
) -> Bunch:
    """Load the per-second valence and arousal of the continuous LIRIS-ACCEDE movies.

    Parameters
    ----------
    root : str or path-like, optional
        Folder holding ``<Movie>_Valence.txt`` and ``<Movie>_Arousal.txt`` (or the official
        ``continuous-annotations/`` folder inside it).  Default:
        ``$SKLEARN_EMOTION_DATA/liris-accede-continuous``.  Nothing is downloaded.
    movies : sequence of str, optional
        Names of the movies to load (e.g. ``["Sintel", "Decay"]``); default all, sorted by name.
    with_std : bool, default=False
        Make ``y`` four-column targets ``(T, 4)``: valence, arousal, then the standard deviation of
        the annotators' valence and arousal (the ``std`` curves), as
        ``GRUMoERegressor(predict_std=True)`` and the std scorers take them.

    Returns
    -------
    Bunch
        ``movies`` : list of str, the movie names.
        ``y`` : list of ``(T, 2)`` float64 arrays, mean valence and arousal per second
        (``(T, 4)`` with ``with_std=True``: then their standard deviations).
        ``std`` : list of ``(T, 2)`` float64 arrays, their standard deviation over annotators.
        ``lengths`` : ndarray of int, ``T`` of each movie after alignment.
        ``misaligned`` : dict ``movie -> (valence rows, arousal rows)`` for the truncated movies.
        ``files`` : list of ``(valence file, arousal file)`` paths.
        ``target_names`` : ``("valence", "arousal")``.
        ``DESCR`` : description, including the alignment rule.

    Warns
    -----
    AnnotationLengthWarning
        Naming every movie whose valence and arousal curves had different lengths; both are
        truncated to the shorter one.

    Raises
    ------
    FileNotFoundError
        When the folder, a requested movie or a movie's arousal file is missing.
    ValueError
        When a file is malformed (wrong header, a non-numeric value, times that are not 0, 1, 2, ...,
        a value outside [-1, 1] or a negative standard deviation): the message names file and line.

    Examples
    --------
    A folder in the release's format (``Time Mean Std``, tab separated, one row per second), here
    written for a 3-second movie; the real annotations load with ``load_liris_accede()``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import load_liris_accede
    >>> root = Path(tempfile.mkdtemp())
    >>> for dimension, values in [("Valence", "0.1 0.2 0.3"), ("Arousal", "-0.2 0.0 0.2")]:
    ...     rows = [f"{t}\\t{v}\\t0.05" for t, v in enumerate(values.split())]
    ...     _ = (root / f"Sintel_{dimension}.txt").write_text("Time\\tMean\\tStd\\n" + "\\n".join(rows) + "\\n")
    >>> data = load_liris_accede(root)
    >>> data.movies, data.lengths
    (['Sintel'], array([3]))
    >>> data.y[0]
    array([[ 0.1, -0.2],
           [ 0.2,  0. ],
           [ 0.3,  0.2]])
    >>> load_liris_accede(root, with_std=True).y[0].shape  # means, then the raters' std
    (3, 4)
    """
    folder = _annotation_folder(resolve_root(root, "liris-accede-continuous", "LIRIS-ACCEDE", _OBTAIN))
    available = sorted(p.name[: -len(_SUFFIXES["valence"])] for p in folder.glob("*" + _SUFFIXES["valence"]))
    if movies is None:
        names = available
    else:
        names = list(movies)
        unknown = [name for name in names if name not in available]
        if unknown:
            raise FileNotFoundError(f"No valence file for movie(s) {unknown} in {folder}.")

    y, std, files, lengths = [], [], [], []
    truncated: dict[str, dict[str, int]] = {}
    for name in names:
        curves, rows, pair = read_mean_std_pair(folder, name)
        if rows:
            truncated[name] = rows
        y.append(curves if with_std else curves[:, :2].copy())
        std.append(curves[:, 2:].copy())
        files.append(pair)
        lengths.append(len(curves))
    warn_truncated(truncated, "LIRIS-ACCEDE", stacklevel=2)
    misaligned = {name: (rows["valence"], rows["arousal"]) for name, rows in truncated.items()}
    return Bunch(
        movies=names,
        y=y,
        std=std,
        lengths=np.asarray(lengths, dtype=int),
        misaligned=misaligned,
        files=files,
        target_names=TARGET_NAMES,
        DESCR=_DESCR,
    )
