"""What the command line does, as library functions: each ``sklearn-emotion`` command is argument
parsing plus one call of a function of this package, which Python users can call themselves.

* :mod:`.corpus` - :func:`load_feature_corpus`: a features folder and an annotations folder -> ``X, y, names``;
* :mod:`.extract` - :func:`extract_to_folder`: videos -> one ``.npz`` per movie, resumable;
* :mod:`.predict` - :func:`predict_movies`: a model and movies -> mean curves and, when the model
  predicts it, the viewers' standard deviation;
* :mod:`.cross_validate` - :func:`cross_validate_corpus`: held-out evaluation split by movie;
* :mod:`.predict` also :func:`predict_to_folder` (``sklearn-emotion predict``), :mod:`.report`
  :func:`report_to_folder` (``report``), :mod:`.models` :func:`list_models` and :func:`download_models`
  (``models``), :mod:`.fit` :func:`~.fit.fit_model_file` (``fit``), :mod:`.evaluate`
  :func:`~.evaluate.evaluate_folders` (``evaluate``); :mod:`.movies` :class:`MoviesFailedError`, raised
  once the other movies are written when some of them fail;
* :mod:`.annotate` - :func:`annotate_movies`: rate movies in the browser (``sklearn-emotion annotate``);
  :mod:`.annotations` - :func:`merge_annotation_folder`: raters' ratings -> annotations and their agreement
  (``sklearn-emotion annotations merge``).

Names are imported lazily: importing this package loads neither TensorFlow nor the media stack.
"""

from __future__ import annotations

from .._lazy import lazy_names

_PUBLIC = {
    "load_feature_corpus": "corpus",
    "extract_to_folder": "extract",
    "predict_movies": "predict",
    "cross_validate_corpus": "cross_validate",
    "predict_to_folder": "predict",
    "report_to_folder": "report",
    "list_models": "models",
    "download_models": "models",
    "fit_model_file": "fit",
    "evaluate_folders": "evaluate",
    "MoviesFailedError": "movies",
    "annotate_movies": "annotate",
    "merge_annotation_folder": "annotations",
}

__all__, __getattr__, __dir__ = lazy_names(__name__, _PUBLIC)

