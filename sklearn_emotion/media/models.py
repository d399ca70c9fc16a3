"""The official small pretrained models the package knows by name: file names, download addresses, what they are.

One registry, :data:`OFFICIAL_MODELS`, serves both places that need it: the embedders, which download
a named model on first use (:meth:`OfficialModel.fetch`), and :mod:`sklearn_emotion.extraction`,
which looks for the files in a *weights folder* (:meth:`OfficialModel.find_in`).

================================  ============================================================
name                              what it is
================================  ============================================================
``mobilenet_v1_embedding``        ImageNet MobileNet v1 cut at the average pool, 1024-d (TFLite)
``yamnet``                        AudioSet YAMNet, 1024-d embedding or 521 scores (TFLite)
``vggish``                        AudioSet VGGish checkpoint (TensorFlow)
``vggish_pca``                    VGGish PCA whitening parameters of the AudioSet release
``blaze_face_short_range``        MediaPipe BlazeFace short-range face detector (TFLite)
``fer_mini_xception``             FER2013 mini-Xception expression classifier, 7 scores (Keras)
================================  ============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .backbones import fetch as _fetch

__all__ = ["OfficialModel", "OFFICIAL_MODELS", "official_model"]


@dataclass(frozen=True)
class OfficialModel:
    """A pretrained model with an official download address.

    Attributes
    ----------
    name : str
        Short name, as the embedders' parameters take it (e.g. ``AudioEmbedder("yamnet")``).
    filename : str
        Name of the downloaded file in the model cache
        (:func:`~sklearn_emotion.media.backbones.models_dir`).
    url : str
        Official download address.
    description : str
        What the model is, for messages.
    how_to : str
        How to supply a local copy instead (said when the download fails).
    local_names : tuple of str
        File names under which a weights folder may hold it, preferred first (an equivalent
        file of another release may have another name).
    """

    name: str
    filename: str
    url: str
    description: str
    how_to: str
    local_names: tuple[str, ...] = ()

    @property
    def weights_file(self) -> str:
        """The preferred file name in a weights folder."""
        return (self.local_names or (self.filename,))[0]

    def find_in(self, folder: str | os.PathLike | None) -> Path | None:
        """The model's file in ``folder`` (the first of its names present), or None."""
        if folder is None:
            return None
        for name in self.local_names or (self.filename,):
            path = Path(folder) / name
            if path.is_file():
                return path
        return None

    def fetch(self) -> Path:
        """The cached download of the model, downloading it (atomically) the first time.

        Raises
        ------
        BackboneUnavailableError
            When the file is not cached and cannot be downloaded; the message says :attr:`how_to`.
        """
        return _fetch(self.url, self.filename, how_to=self.how_to)


_VGGISH_HOW_TO = (
    "Download vggish_model.ckpt and vggish_pca_params.npz from the AudioSet release "
    "(https://storage.googleapis.com/audioset/vggish_model.ckpt, "
    "https://storage.googleapis.com/audioset/vggish_pca_params.npz) and pass "
    "AudioEmbedder('vggish', weights='/path/vggish_model.ckpt', pca_params='/path/vggish_pca_params.npz')."
)

OFFICIAL_MODELS: dict[str, OfficialModel] = {
    model.name: model
    for model in (
        OfficialModel(
            "mobilenet_v1_embedding",
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
            "https://github.com/google-coral/test_data/raw/master/"
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
            "ImageNet MobileNet v1 embedding (1024-d)",
            "Download it from google-coral/test_data and pass ImageEmbedder('/path/"
            "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite').",
        ),
        OfficialModel(
            "yamnet",
            "yamnet.tflite",
            "https://storage.googleapis.com/mediapipe-models/audio_classifier/yamnet/float32/latest/yamnet.tflite",
            "AudioSet YAMNet embedding (1024-d)",
            "Download yamnet.tflite (https://storage.googleapis.com/mediapipe-models/audio_classifier/yamnet/"
            "float32/latest/yamnet.tflite, or convert the official Keras YAMNet) and pass "
            "AudioEmbedder('/path/yamnet.tflite').",
        ),
        OfficialModel(
            "vggish",
            "vggish_model.ckpt",
            "https://storage.googleapis.com/audioset/vggish_model.ckpt",
            "AudioSet VGGish checkpoint (128-d embedding)",
            _VGGISH_HOW_TO,
        ),
        OfficialModel(
            "vggish_pca",
            "vggish_pca_params.npz",
            "https://storage.googleapis.com/audioset/vggish_pca_params.npz",
            "PCA whitening and quantisation parameters of the AudioSet VGGish release",
            _VGGISH_HOW_TO,
        ),
        OfficialModel(
            "blaze_face_short_range",
            "blaze_face_short_range.tflite",
            "https://storage.googleapis.com/mediapipe-models/face_detector/blaze_face_short_range/float16/latest/"
            "blaze_face_short_range.tflite",
            "MediaPipe BlazeFace short-range face detector",
            "Download it (or take face_detection_short_range.tflite from a mediapipe<=0.10.21 wheel) and pass "
            "FaceEmbedder(detector='/path/face_detection_short_range.tflite').",
            # The same detector as shipped inside mediapipe<=0.10.21 wheels, then the official download.
            local_names=("face_detection_short_range.tflite", "blaze_face_short_range.tflite"),
        ),
        OfficialModel(
            "fer_mini_xception",
            "fer2013_mini_XCEPTION.102-0.66.hdf5",
            "https://github.com/oarriaga/face_classification/raw/master/trained_models/emotion_models/"
            "fer2013_mini_XCEPTION.102-0.66.hdf5",
            "FER2013 mini-Xception expression scores (7 emotions)",
            "Download it from oarriaga/face_classification and pass FaceEmbedder(face_model='/path/file.hdf5').",
        ),
    )
}


def official_model(name: str) -> OfficialModel:
    """The registry entry ``name`` of :data:`OFFICIAL_MODELS`, with an error listing the known names."""
    try:
        return OFFICIAL_MODELS[name]
    except KeyError:
        raise KeyError(f"No official model named {name!r}; known: {sorted(OFFICIAL_MODELS)}.") from None
