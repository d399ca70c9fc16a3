"""ModalityUnion: image + audio + face features of real video files, in a Pipeline."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("mediapipe")
pytest.importorskip("skimage")

from media_videos import photo, tone, write_video  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from sklearn_emotion.data import as_movies  # noqa: E402
from sklearn_emotion.media import AudioEmbedder, FaceEmbedder, ImageEmbedder, ModalityUnion  # noqa: E402
from sklearn_emotion.media.stages import extract_movie  # noqa: E402

SIZE = (240, 240)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "media.md"


@pytest.fixture(scope="module")
def photos():
    return [photo(name, SIZE) for name in ("astronaut", "chelsea", "coffee", "astronaut")]


@pytest.fixture(scope="module")
def movies(tmp_path_factory, photos):
    folder = tmp_path_factory.mktemp("union")
    return {
        # 4 s of video; audio 4.5 s (4 whole seconds), 5.3 s (5 whole seconds) and 7.2 s.
        "same": write_video(folder / "same.mp4", photos, audio=tone(4.5, 16000)),
        "longer_audio": write_video(folder / "longer.mkv", photos, audio=tone(5.3, 16000, frequency=880)),
        "much_longer_audio": write_video(folder / "much_longer.mkv", photos, audio=tone(7.2, 16000)),
    }


@pytest.fixture(scope="module")
def union(shared_weights):
    return ModalityUnion(
        [
            ("image", ImageEmbedder(str(shared_weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"))),
            ("audio", AudioEmbedder(str(shared_weights / "yamnet.tflite"))),
            (
                "face",
                FaceEmbedder(
                    str(shared_weights / "face_detection_short_range.tflite"),
                    str(shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5"),
                ),
            ),
        ]
    )


def test_modalities_of_equal_length(union, movies):
    result = clone(union).fit_transform([movies["same"], movies["longer_audio"]])
    assert len(result) == 2
    for movie in result:
        assert list(movie) == ["image", "audio", "face"]
        assert movie["image"].shape == (4, 1024)
        assert movie["audio"].shape == (4, 1024)  # the 5th audio second of "longer" is truncated
        assert movie["face"].shape == (4, 2 * (6 + 7))
    # The package's data model accepts the result as is.
    assert len(as_movies(result)) == 2
    # The astronaut seconds have a face, the cat and the cup none.
    assert result[0]["face"][:, 0].tolist() == [1.0, 0.0, 0.0, 1.0]


def test_large_length_difference_is_an_error(union, movies):
    with pytest.raises(ValueError, match=r"much_longer.mkv: modalities differ by 3 s.*'audio': 7"):
        clone(union).fit_transform([movies["same"], movies["much_longer_audio"]])
    tolerant = clone(union).set_params(max_length_difference=3)
    (movie,) = tolerant.fit_transform([movies["much_longer_audio"]])
    assert movie["audio"].shape[0] == movie["image"].shape[0] == 4


def test_pipeline_from_video_files(union, movies):
    from sklearn_emotion import PerSecondRegressor

    files = [movies["same"], movies["longer_audio"]]
    y = [np.linspace(-0.5, 0.5, 8).reshape(4, 2), np.linspace(0.5, -0.5, 8).reshape(4, 2)]
    pipeline = Pipeline([("features", clone(union)), ("model", PerSecondRegressor(Ridge(alpha=1.0)))])
    predictions = pipeline.fit(files, y).predict(files)
    assert [p.shape for p in predictions] == [(4, 2), (4, 2)]
    assert np.isfinite(np.concatenate(predictions)).all()


def test_params_names_and_validation(union, movies):
    params = union.get_params()
    assert "image__backbone" in params and "face__n_faces" in params
    fitted = clone(union).set_params(face__n_faces=1, audio="drop").fit([movies["same"]])
    names = fitted.get_feature_names_out()
    assert len(names) == 1024 + 13
    assert names[0] == "image__image_0" and names[-1] == "face__face0_emb_6"
    assert fitted.transform([movies["same"]])[0]["face"].shape == (4, 13)
    with pytest.raises(ValueError, match="unique"):
        ModalityUnion([("a", ImageEmbedder()), ("a", AudioEmbedder())]).fit([movies["same"]])
    with pytest.raises(ValueError, match="'__'"):
        ModalityUnion([("a__b", ImageEmbedder())]).fit([movies["same"]])


def docs_example() -> str:
    """The ```python block of docs/media.md's "Writing your own embedder"."""
    section = DOCS.read_text(encoding="utf-8").split("## Writing your own embedder\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"^```python\n(.*?)^```$", section, flags=re.M | re.S).group(1)


def test_the_documented_custom_embedder_joins_a_union(movies, tmp_path, monkeypatch):
    from sklearn_emotion.media import union as union_module

    shutil.copy(movies["same"], tmp_path / "movie.mp4")
    monkeypatch.chdir(tmp_path)
    passes = []

    def one_pass(movie, stages, **kwargs):
        passes.append(sorted(stages))
        return extract_movie(movie, stages, **kwargs)

    monkeypatch.setattr(union_module, "extract_movie", one_pass)
    namespace: dict = {"__name__": "docs_media_example"}
    exec(compile(docs_example(), str(DOCS), "exec", dont_inherit=True), namespace)  # as a user's script
    movie, ColourEmbedder = namespace["movie"], namespace["ColourEmbedder"]
    assert movie["colour"].shape == (4, 3) and movie["audio"].shape == (4, 112)
    assert passes == [["audio", "colour"]]  # both modalities on one decoding pass
    # The union's one decoding pass gives what the embedder computes alone, and the photos' colours.
    (alone,) = ColourEmbedder().transform(["movie.mp4"])
    np.testing.assert_allclose(movie["colour"], alone, atol=1e-6)
    assert movie["colour"][1].tolist() != movie["colour"][2].tolist()  # the cat and the cup
    assert ((movie["colour"] > 0) & (movie["colour"] < 1)).all()
    # feature_cache: the union stores the custom modality and reads it back.
    cached = ModalityUnion([("colour", ColourEmbedder(cache_dir=tmp_path / "cache"))])
    cached.fit_transform(["movie.mp4"])
    (entry,) = (tmp_path / "cache").glob("*.npy")
    np.save(entry, np.full((4, 3), 7.0, dtype=np.float32))
    assert cached.transform(["movie.mp4"])[0]["colour"].tolist() == [[7.0] * 3] * 4
    assert ColourEmbedder(cache_dir=tmp_path / "cache", side=8).feature_cache()[1]["side"] == 8


def test_open_stage_is_the_contract():
    from sklearn_emotion.media import MediaEmbedder

    with pytest.raises(NotImplementedError, match="MediaEmbedder must implement open_stage"):
        MediaEmbedder().open_stage()
    assert MediaEmbedder().feature_cache() is None
