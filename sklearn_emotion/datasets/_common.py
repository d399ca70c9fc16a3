"""What the dataset loaders share: where the data lives, their warnings, value-range checks.

Tables are parsed, and sequences aligned, by :mod:`sklearn_emotion.files` (one parser, one alignment rule).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..files import LengthMismatchWarning, check_range

__all__ = [
    "DATA_ENV_VAR",
    "AnnotationLengthWarning",
    "MissingFeatureWarning",
    "resolve_root",
    "check_range",  # its home is sklearn_emotion.files (the table readers use it)
]

#: Environment variable naming a data home with one sub-folder per dataset.
DATA_ENV_VAR = "SKLEARN_EMOTION_DATA"


#: A movie's curves (or its features and curves) had different lengths and were truncated to the
#: shortest.  The same class as :class:`sklearn_emotion.files.LengthMismatchWarning`, under the name
#: the dataset loaders have always documented: filtering either name filters both.
AnnotationLengthWarning = LengthMismatchWarning


class MissingFeatureWarning(UserWarning):
    """Per-second feature files were absent or empty and were filled as requested.

    Examples
    --------
    A movie of the ``csv`` layout whose second 1 has an empty row, filled with the previous second's
    features (``missing="ffill"``):

    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import MissingFeatureWarning, load_mediaeval2018
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "audio").mkdir()
    >>> _ = (root / "audio" / "MEDIAEVAL18_00.csv").write_text("0.1,0.5\\n\\n0.3,0.4\\n")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     data = load_mediaeval2018(root, layout="csv", features=["audio"], missing="ffill",
    ...                               require_annotations=False)
    >>> caught[0].category is MissingFeatureWarning
    True
    >>> data.X[0]["audio"]
    array([[0.1, 0.5],
           [0.1, 0.5],
           [0.3, 0.4]], dtype=float32)
    """


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
