"""The on-disk feature cache: keyed by content and parameters, atomic, used by every embedder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")

from media_videos import photo, tone, write_video  # noqa: E402

import sklearn_emotion  # noqa: E402
from sklearn_emotion.media import AudioEmbedder, ImageEmbedder  # noqa: E402
from sklearn_emotion.media.cache import FeatureCache, content_digest  # noqa: E402


@pytest.fixture(scope="module")
def movies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    photos = [photo(name, (160, 120)) for name in ("chelsea", "coffee")]
    first = write_video(folder / "first.mp4", photos, audio=tone(2, 16000))
    second = write_video(folder / "second.mp4", photos[::-1], audio=tone(2, 16000, frequency=880))
    return first, second


@pytest.fixture(scope="module")
def extractor(shared_weights):
    return str(shared_weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")


def entries(folder):
    return sorted(p.name for p in folder.glob("*.npy"))


def test_cache_is_written_then_read(tmp_path, movies, extractor):
    embedder = ImageEmbedder(extractor, cache_dir=tmp_path)
    (computed,) = embedder.transform([movies[0]])
    (entry,) = entries(tmp_path)
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no temporary file
    np.testing.assert_array_equal(np.load(tmp_path / entry), computed)
    # Prove the second call reads the entry: overwrite it and get the overwritten values back.
    np.save(tmp_path / entry, computed + 1)
    (cached,) = embedder.transform([movies[0]])
    np.testing.assert_array_equal(cached, computed + 1)


def test_key_follows_content_not_name(tmp_path, movies, extractor):
    cache = tmp_path / "cache"
    embedder = ImageEmbedder(extractor, cache_dir=cache)
    copy = tmp_path / "renamed.mp4"
    shutil.copy(movies[0], copy)
    embedder.transform([movies[0]])
    embedder.transform([copy])
    assert len(entries(cache)) == 1
    assert content_digest(copy) == content_digest(movies[0])
    embedder.transform([movies[1]])
    assert len(entries(cache)) == 2


def test_key_follows_output_changing_parameters(tmp_path, movies, extractor, shared_weights):
    ImageEmbedder(extractor, cache_dir=tmp_path, batch_size=1).transform([movies[0]])
    ImageEmbedder(extractor, cache_dir=tmp_path, batch_size=7).transform([movies[0]])
    assert len(entries(tmp_path)) == 1  # batching does not change the features
    classifier = str(shared_weights / "mobilenet_v2_1.0_224_quant.tflite")
    ImageEmbedder(classifier, cache_dir=tmp_path).transform([movies[0]])
    ImageEmbedder(classifier, output="MobilenetV2/Logits/AvgPool", cache_dir=tmp_path).transform([movies[0]])
    assert len(entries(tmp_path)) == 3


def test_unreadable_entry_is_recomputed(tmp_path, movies):
    embedder = AudioEmbedder("descriptors", cache_dir=tmp_path)
    (computed,) = embedder.transform([movies[0]])
    (entry,) = entries(tmp_path)
    (tmp_path / entry).write_bytes(b"half a file")
    (again,) = embedder.transform([movies[0]])
    np.testing.assert_array_equal(again, computed)
    np.testing.assert_array_equal(np.load(tmp_path / entry), computed)


@pytest.mark.subprocess  # two worker processes (Python interpreters)
def test_parallel_workers_share_the_cache(tmp_path, movies, extractor):
    embedder = ImageEmbedder(extractor, cache_dir=tmp_path, n_jobs=2)
    first = embedder.transform(list(movies))
    assert len(entries(tmp_path)) == 2
    second = ImageEmbedder(extractor, cache_dir=tmp_path).transform(list(movies))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_decoded_inputs_are_keyed_by_value(tmp_path):
    cache = FeatureCache(tmp_path)
    waveform = np.zeros(16000, np.float32)
    assert cache.key((waveform, 16000), {"a": 1}) == cache.key((waveform.copy(), 16000), {"a": 1})
    assert cache.key((waveform, 16000), {"a": 1}) != cache.key((waveform + 1, 16000), {"a": 1})
    assert cache.key((waveform, 16000), {"a": 1}) != cache.key((waveform, 16000), {"a": 2})


def test_progress_bars(movies, capsys):
    AudioEmbedder("descriptors", progress=True).transform(list(movies))
    assert "AudioEmbedder: movies" in capsys.readouterr().err


def test_top_level_names():
    assert sklearn_emotion.ImageEmbedder is ImageEmbedder
    assert sklearn_emotion.AudioEmbedder is AudioEmbedder
    assert sklearn_emotion.FaceEmbedder.__name__ == "FaceEmbedder"
    assert sklearn_emotion.ModalityUnion.__name__ == "ModalityUnion"
