"""Every name that a public module exported in 0.1.0 still imports (from its new home, or through a
deprecated alias that warns FutureWarning): code written for 0.1 keeps running."""

from __future__ import annotations

import importlib
import warnings

import pytest

#: ``__all__`` of every public module of 0.1.0 (commit 12fcdd7), read from its source.
EXPORTED_IN_0_1 = {
    "sklearn_emotion": [
        "Windower", "WindowedMovies", "GRUMoERegressor", "ButterworthSmoother", "MovingAverageSmoother",
        "SmoothedRegressor", "RunAveragingRegressor", "PerSecondRegressor", "MovieStandardScaler",
        "ImageEmbedder", "AudioEmbedder", "FaceEmbedder", "ModalityUnion", "load_liris_accede",
        "load_mediaeval2018", "load_emomusic", "as_movies", "as_targets", "__version__"
    ],
    "sklearn_emotion.base": ["MovieRegressorMixin", "pooled_r2"],
    "sklearn_emotion.blocks": [
        "BlockBatches", "WindowArrayBatches", "chunk_movie", "iter_prediction_batches",
        "window_array_inputs"
    ],
    "sklearn_emotion.cli": ["main", "build_parser", "VIDEO_SUFFIXES"],
    "sklearn_emotion.data": [
        "DEFAULT_MODALITY", "TARGET_NAMES", "as_movies", "as_targets", "movie_length", "stack_modalities",
        "is_movie_sequence"
    ],
    "sklearn_emotion.datasets": [
        "DATA_ENV_VAR", "AnnotationLengthWarning", "MissingFeatureWarning", "LIRIS_ACCEDE_URL",
        "load_liris_accede", "EMOMUSIC_URL", "load_emomusic", "MEDIAEVAL2018_URL", "VISUAL_DESCRIPTORS",
        "load_mediaeval2018"
    ],
    "sklearn_emotion.datasets.emomusic": ["load_emomusic", "EMOMUSIC_URL"],
    "sklearn_emotion.datasets.liris_accede": ["load_liris_accede", "LIRIS_ACCEDE_URL"],
    "sklearn_emotion.datasets.mediaeval2018": ["load_mediaeval2018", "MEDIAEVAL2018_URL", "VISUAL_DESCRIPTORS"],
    "sklearn_emotion.demo": ["DemoConfig", "FULL", "QUICK", "DemoMovie", "make_corpus", "run_demo"],
    "sklearn_emotion.extraction": [
        "WEIGHTS_ENV_VAR", "IMAGE_WEIGHTS_FILE", "AUDIO_WEIGHTS_FILE", "FACE_DETECTOR_FILE",
        "FACE_MODEL_FILE", "WEIGHT_FREE_IMAGE", "WEIGHT_FREE_AUDIO", "resolve_weights_dir",
        "default_feature_spec", "build_embedders", "extract_features", "describe_feature_spec",
        "colour_layout_model"
    ],
    "sklearn_emotion.files": [
        "FEATURE_SUFFIX", "atomic_write_bytes", "save_features", "load_features", "find_feature_files",
        "find_annotation_file", "read_annotations", "read_curves", "write_curves", "align_lengths",
        "LengthMismatchWarning"
    ],
    "sklearn_emotion.gru_moe": ["GRUMoERegressor"],
    "sklearn_emotion.layers": [
        "WindowedRecurrence", "ContextGate", "MixtureOfExperts", "MaskedBatchNormalization"
    ],
    "sklearn_emotion.media": [
        "AudioEmbedder", "BackboneUnavailableError", "FaceEmbedder", "ImageEmbedder", "MediaDecodeError",
        "MissingStreamError", "ModalityUnion"
    ],
    "sklearn_emotion.media.audio": ["AudioEmbedder", "WaveformTFLite", "audio_descriptors", "DESCRIPTOR_NAMES"],
    "sklearn_emotion.media.backbones": [
        "BackboneUnavailableError", "Backbone", "KerasBackbone", "TFLiteBackbone", "resolve_image_backbone",
        "fetch", "models_dir", "cached_model", "preprocess_images", "describe_spec"
    ],
    "sklearn_emotion.media.cache": ["FeatureCache", "content_digest"],
    "sklearn_emotion.media.decoding": [
        "MediaDecodeError", "MissingStreamError", "MediaInfo", "probe", "iter_frames", "iter_audio_windows",
        "read_audio", "resize_frame"
    ],
    "sklearn_emotion.media.face": ["FaceEmbedder", "FaceDetector", "GEOMETRY_NAMES", "FER_EMOTIONS"],
    "sklearn_emotion.media.image": ["ImageEmbedder", "to_channels", "iter_array_frames"],
    "sklearn_emotion.media.union": ["ModalityUnion"],
    "sklearn_emotion.media.vggish": [
        "SAMPLE_RATE", "EXAMPLE_SAMPLES", "log_mel_frames", "log_mel_example", "mel_matrix", "build_vggish",
        "load_vggish_checkpoint", "VGGishPostprocessor", "CHECKPOINT_URL", "PCA_PARAMS_URL"
    ],
    "sklearn_emotion.meta": ["SmoothedRegressor", "RunAveragingRegressor", "PerSecondRegressor"],
    "sklearn_emotion.metrics": [
        "AVERAGES", "TABLE_COLUMNS", "PAPER_TABLE_1", "MEDIAEVAL_SCORING", "mean_squared_error",
        "pearson_correlation", "valence_mse", "arousal_mse", "valence_pearson", "arousal_pearson",
        "mediaeval_scores", "mediaeval_table", "get_scorer", "get_scorer_names"
    ],
    "sklearn_emotion.network": ["GRUMoENetwork", "masked_loss"],
    "sklearn_emotion.persistence": ["MODEL_FORMAT", "SavedModel", "save_model", "load_model"],
    "sklearn_emotion.plotting": ["plot_curves"],
    "sklearn_emotion.preprocessing": ["MovieStandardScaler"],
    "sklearn_emotion.reference": ["ReferenceNetwork", "blocks_to_windows"],
    "sklearn_emotion.smoothing": ["ButterworthSmoother", "MovingAverageSmoother", "butterworth_padlen"],
    "sklearn_emotion.windowing": ["Windower", "WindowedMovies"],
}


@pytest.mark.parametrize("module", sorted(EXPORTED_IN_0_1))
def test_names_of_0_1_still_import(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the moved ones warn; tested in test_metrics and below
        imported = importlib.import_module(module)
        missing = [name for name in EXPORTED_IN_0_1[module] if not hasattr(imported, name)]
    assert not missing, f"{module} lost {missing}"


@pytest.mark.parametrize("old, new", [
    ("sklearn_emotion.network", "sklearn_emotion.gru_moe.network"),
    ("sklearn_emotion.layers", "sklearn_emotion.gru_moe.layers"),
    ("sklearn_emotion.blocks", "sklearn_emotion.gru_moe.batches"),
    ("sklearn_emotion.reference", "sklearn_emotion.gru_moe.reference"),
])
def test_moved_modules_warn_and_serve_the_same_objects(old, new):
    import sys

    sys.modules.pop(old, None)  # the warning is issued when the alias module is first imported
    with pytest.warns(FutureWarning, match=f"{old} moved to {new}"):
        alias = importlib.import_module(old)
    target = importlib.import_module(new)
    assert alias.__all__ == target.__all__
    assert all(getattr(alias, name) is getattr(target, name) for name in target.__all__)


def test_meta_names_warn_and_are_the_new_classes():
    import sklearn_emotion
    from sklearn_emotion import meta

    for name in meta.__all__:
        with pytest.warns(FutureWarning, match=f"sklearn_emotion.meta.{name} moved"):
            assert getattr(meta, name) is getattr(sklearn_emotion, name)
