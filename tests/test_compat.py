"""Every name that a public module exported in 0.1.0 still imports (from its new home, or through a
deprecated alias that warns FutureWarning): code written for 0.1 keeps running."""

from __future__ import annotations

import importlib
import importlib.util
import sys
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


# ---------------------------------------------------------------- one table, one import hook, until 0.4


def _removed_version_reached(version: str) -> bool:
    """Whether ``version`` (a release or a development version of it) has reached _compat.REMOVED_IN."""
    try:
        from packaging.version import Version
    except ImportError:  # packaging is not a dependency: the leading numbers are enough
        def release(text):
            return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())
    else:
        def release(text):
            return Version(text).release[:2]
    from sklearn_emotion._compat import REMOVED_IN

    return release(version) >= release(REMOVED_IN)


def test_the_0_1_aliases_are_gone_by_0_4():
    import sklearn_emotion
    from sklearn_emotion._compat import MOVED

    assert _removed_version_reached("0.4.0.dev0") and _removed_version_reached("0.4")
    assert not _removed_version_reached("0.3.2")
    if _removed_version_reached(sklearn_emotion.__version__):
        pytest.fail(f"sklearn-emotion {sklearn_emotion.__version__} still serves the names moved in 0.2 "
                    f"({', '.join(sorted(MOVED))}): empty sklearn_emotion._compat.MOVED as the warnings promised")


def test_every_moved_name_serves_the_object_of_its_new_home():
    from sklearn_emotion._compat import MOVED, MovedNameWarning

    for old, new in MOVED.items():
        old_module, _, old_name = old.partition(":")
        new_module, _, new_name = new.partition(":")
        target = importlib.import_module(new_module)
        if old_name:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                module = importlib.import_module(old_module)
            with pytest.warns(MovedNameWarning, match=f"{old_module}.{old_name} moved to {new_module}.{new_name} "):
                assert getattr(module, old_name) is getattr(target, new_name)
        else:
            sys.modules.pop(old, None)
            with pytest.warns(MovedNameWarning, match=f"{old} moved to {new} "):
                module = importlib.import_module(old)
            assert [getattr(module, name) for name in module.__all__] == [getattr(target, n) for n in target.__all__]


def test_old_modules_are_no_files_and_real_modules_are_found_first():
    from pathlib import Path

    import sklearn_emotion
    from sklearn_emotion._compat import MovedModuleFinder, serve_moved_modules

    package = Path(sklearn_emotion.__file__).parent
    old_modules = MovedModuleFinder.old_modules()
    assert {"sklearn_emotion.meta", "sklearn_emotion.network", "sklearn_emotion.metrics"} <= old_modules
    for name in old_modules - {"sklearn_emotion.metrics"}:
        assert not (package / f"{name.rpartition('.')[2]}.py").exists(), name
        assert importlib.util.find_spec(name).origin is None  # made by the finder, not read from a file
    assert importlib.util.find_spec("sklearn_emotion.metrics").origin == str(package / "metrics.py")
    serve_moved_modules()
    assert sum(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path) == 1
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sklearn_emotion.no_such_module")


def test_the_warning_names_the_importing_line():
    sys.modules.pop("sklearn_emotion.layers", None)
    with pytest.warns(FutureWarning, match="sklearn_emotion.layers moved") as record:
        import sklearn_emotion.layers  # noqa: F401
    assert record[0].filename == __file__
    from sklearn_emotion import meta

    assert meta.__all__ == ["PerSecondRegressor", "RunAveragingRegressor", "SmoothedRegressor"]
    with pytest.raises(AttributeError, match="'sklearn_emotion.meta' has no attribute 'Windower'"):
        meta.Windower


# ---------------------------------------------------------------- parameters ignored since 0.3, until 0.4


def test_ignored_parameters_warn_and_change_nothing(tmp_path):
    from sklearn_emotion.extraction import default_feature_spec, locate_official_model
    from sklearn_emotion.media.models import OFFICIAL_MODELS

    (tmp_path / "yamnet.tflite").touch()
    for prefer_folder in (True, False):
        with pytest.warns(FutureWarning, match=r"default_feature_spec's prefer_folder is ignored .* removed in "
                                               r"sklearn-emotion 0\.4"):
            assert default_feature_spec(tmp_path, prefer_folder=prefer_folder) == default_feature_spec(tmp_path)
        with pytest.warns(FutureWarning, match=r"locate_official_model's prefer_folder is ignored"):
            assert (locate_official_model(OFFICIAL_MODELS["yamnet"], tmp_path, prefer_folder=prefer_folder)
                    == locate_official_model(OFFICIAL_MODELS["yamnet"], tmp_path))


def test_the_ignored_parameters_are_gone_by_0_4():
    import inspect

    import sklearn_emotion
    from sklearn_emotion import extraction
    from sklearn_emotion._compat import IGNORED_PARAMETERS

    for entry in IGNORED_PARAMETERS:  # each entry names a real parameter (a typo would never warn)
        function, parameter = entry.rstrip(")").split("(")
        assert parameter in inspect.signature(getattr(extraction, function)).parameters, entry
    if _removed_version_reached(sklearn_emotion.__version__) and IGNORED_PARAMETERS:
        pytest.fail(f"sklearn-emotion {sklearn_emotion.__version__} still accepts {sorted(IGNORED_PARAMETERS)}: "
                    "remove them and empty sklearn_emotion._compat.IGNORED_PARAMETERS as the warnings promised")
