"""sklearn-emotion: predict the emotional impact of movies (valence, arousal every second).

scikit-learn estimators for the system of the best-MSE entry of the MediaEval 2018 "Emotional Impact
of Movies" task: pretrained image, audio and face embeddings at 1 Hz, a recurrent branch per modality
with a mixture-of-experts head, and Butterworth smoothing of the predicted curves.

Public names are imported lazily so that ``import sklearn_emotion`` stays fast and only the parts you
use load TensorFlow, mediapipe or PyAV.

The native libraries' informational logs (TensorFlow, LiteRT, XNNPACK, MediaPipe) are hidden by
default; ``set_native_logs(True)`` or ``SKLEARN_EMOTION_NATIVE_LOGS=1`` shows them (see
:mod:`sklearn_emotion._backend`, "Native logs", for what is changed: ``TF_CPP_MIN_LOG_LEVEL`` when
unset, a filter of TensorFlow's retracing warning).
"""

from __future__ import annotations

from ._backend import quiet_by_default, set_native_logs
from ._compat import serve_moved_modules
from ._lazy import lazy_names

__version__ = "0.3.0"

_PUBLIC = {
    "Windower": "windowing",
    "WindowedMovies": "windowing",
    "GRUMoERegressor": "gru_moe",
    "TCNRegressor": "tcn",
    "ButterworthSmoother": "smoothing",
    "MovingAverageSmoother": "smoothing",
    "SmoothedRegressor": "smoothing",
    "RunAveragingRegressor": "ensemble",
    "PerSecondRegressor": "per_second",
    "MovieStandardScaler": "preprocessing",
    "ImageEmbedder": "media",
    "AudioEmbedder": "media",
    "FaceEmbedder": "media",
    "ModalityUnion": "media",
    "load_liris_accede": "datasets",
    "load_mediaeval2018": "datasets",
    "load_emomusic": "datasets",
    "make_lagged_movies": "datasets",
    "make_movie_files": "datasets",
    "as_movies": "data",
    "as_targets": "data",
    "make_paper_pipeline": "pipelines",
    "make_tcn_pipeline": "pipelines",
    "make_baseline_pipeline": "pipelines",
    "load_feature_corpus": "workflows",
    "predict_movies": "workflows",
    "show_versions": "_show_versions",
}

__all__, __getattr__, __dir__ = lazy_names(__name__, _PUBLIC, eager=["__version__", "set_native_logs"])

quiet_by_default()
serve_moved_modules()  # the 0.1 modules (sklearn_emotion.meta, .network...) until 0.4

