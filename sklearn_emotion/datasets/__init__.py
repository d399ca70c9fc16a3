"""Loaders for the annotated datasets (LIRIS-ACCEDE, MediaEval 2018, emoMusic) and a semi-synthetic
corpus maker built on the real LIRIS-ACCEDE curves, and makers of generated movie and feature files;
none downloads anything."""

from ._common import DATA_ENV_VAR, AnnotationLengthWarning, MissingFeatureWarning
from .emomusic import EMOMUSIC_URL, load_emomusic
from .features import make_feature_corpus
from .liris_accede import LIRIS_ACCEDE_URL, load_liris_accede
from .mediaeval2018 import MEDIAEVAL2018_URL, VISUAL_DESCRIPTORS, load_mediaeval2018
from .movies import make_movie_files, make_test_movie
from .synthetic import make_lagged_movies

__all__ = [
    "DATA_ENV_VAR",
    "AnnotationLengthWarning",
    "MissingFeatureWarning",
    "LIRIS_ACCEDE_URL",
    "load_liris_accede",
    "EMOMUSIC_URL",
    "load_emomusic",
    "MEDIAEVAL2018_URL",
    "VISUAL_DESCRIPTORS",
    "load_mediaeval2018",
    "make_lagged_movies",
    "make_movie_files",
    "make_feature_corpus",
    "make_test_movie",
]
