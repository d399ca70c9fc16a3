"""What the command line does, as library functions: each ``sklearn-emotion`` command is argument
parsing plus one call of a function of this package, which Python users can call themselves.

* :mod:`.corpus` - :func:`load_feature_corpus`: a features folder and an annotations folder -> ``X, y, names``;
* :mod:`.extract` - :func:`extract_to_folder`: videos -> one ``.npz`` per movie, resumable;
* :mod:`.predict` - :func:`predict_movies`: a model and movies -> mean curves and, when the model
  predicts it, the viewers' standard deviation;
* :mod:`.cross_validate` - :func:`cross_validate_corpus`: held-out evaluation split by movie.

Names are imported lazily: importing this package loads neither TensorFlow nor the media stack.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "load_feature_corpus": "corpus",
    "extract_to_folder": "extract",
    "predict_movies": "predict",
    "cross_validate_corpus": "cross_validate",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return __all__
