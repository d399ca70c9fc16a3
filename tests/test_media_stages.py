"""One decoding pass per movie: frame sets, stages run in threads, and ModalityUnion built on them.

Decodings are counted by wrapping :func:`sklearn_emotion.media.decoding._iter_selected_frames` (every
video decoding pass goes through it, whoever starts it, whatever its frame selection) and ``decoding._open`` (every container
opened, video or audio).  Both are looked up as module globals at call time, so the wrappers see
the calls made from the stages' threads too; joblib's default backend with ``n_jobs=None`` runs in
this process.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
import types
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("skimage")

from media_videos import photo, read_index, tone, write_video  # noqa: E402
from sklearn.base import clone  # noqa: E402

from sklearn_emotion.media import AudioEmbedder, FaceEmbedder, ImageEmbedder, ModalityUnion  # noqa: E402
from sklearn_emotion.media import decoding, stages  # noqa: E402
from sklearn_emotion.media.audio import SilenceWarning, audio_backbone, audio_stage  # noqa: E402
from sklearn_emotion.media.decoding import (  # noqa: E402
    FrameRequest,
    MediaDecodeError,
    MissingStreamError,
    iter_frame_sets,
    iter_frames,
)
from sklearn_emotion.media.stages import QUEUED_BATCHES, AudioStage, VideoStage, extract_movie  # noqa: E402

SIZE = (160, 120)
FPS = 5
RATE = 16000


@pytest.fixture(scope="module")
def photos():
    return [photo(name, SIZE) for name in ("astronaut", "chelsea", "coffee")]


@pytest.fixture(scope="module")
def clips(tmp_path_factory, photos):
    """Two 3 s movies with a sound track (3 whole seconds of each modality) and a mute one."""
    folder = tmp_path_factory.mktemp("stages")
    return {
        "first": write_video(folder / "first.mp4", photos, fps=FPS, audio=tone(3.3, RATE)),
        "second": write_video(folder / "second.mkv", photos[::-1], fps=FPS, audio=tone(3.3, RATE, frequency=880)),
        "mute": write_video(folder / "mute.mp4", photos[1:] + photos[:1], fps=FPS),
    }


@pytest.fixture(scope="module")
def colour_layout():
    pytest.importorskip("keras")
    from sklearn_emotion.extraction import colour_layout_model

    return colour_layout_model()


def weight_free_union(colour_layout, **audio_params):
    """Image (weight-free Keras colour layout) + audio (descriptors) embedders in a union."""
    return ModalityUnion(
        [
            ("image", ImageEmbedder(colour_layout, preprocessing="unit", batch_size=2)),
            ("audio", AudioEmbedder("descriptors", batch_size=2, **audio_params)),
        ]
    )


@pytest.fixture
def decodings(monkeypatch):
    """Counters by file: ``"video"`` decoding passes and ``"open"`` containers opened."""
    counts = {"video": Counter(), "open": Counter()}
    lock = threading.Lock()
    real_open, real_chosen = decoding._open, decoding._iter_selected_frames

    def counting_open(path):
        with lock:
            counts["open"][os.fspath(path)] += 1
        return real_open(path)

    def counting_chosen(path, check_truncation, frame_selection):
        with lock:
            counts["video"][os.fspath(path)] += 1
        yield from real_chosen(path, check_truncation, frame_selection)

    monkeypatch.setattr(decoding, "_open", counting_open)
    monkeypatch.setattr(decoding, "_iter_selected_frames", counting_chosen)
    return counts


def stage_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("sklearn-emotion")]


def assert_same_movies(actual, expected):
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert list(got) == list(want)
        for modality in want:
            np.testing.assert_array_equal(got[modality], want[modality])


# -- iter_frame_sets ------------------------------------------------------------------------------
@pytest.mark.parametrize("rotation", [None, 90])
def test_frame_sets_equal_single_requests_from_one_opening(tmp_path, photos, decodings, rotation):
    path = write_video(tmp_path / "movie.mp4", photos, fps=FPS, rotation=rotation)
    requests = {
        "squash": FrameRequest(size=(64, 48)),
        "shrink": FrameRequest(max_side=80),
        "native": FrameRequest(),
        "bicubic": FrameRequest(size=(50, 30), interpolation="BICUBIC"),
    }
    sets = list(iter_frame_sets(path, requests))
    assert decodings["open"][str(path)] == 1 and decodings["video"][str(path)] == 1
    assert [t for t, _ in sets] == list(range(len(photos)))
    assert all(list(frames) == list(requests) for _, frames in sets)

    for key, request in requests.items():
        alone = list(iter_frames(path, size=request.size, max_side=request.max_side,
                                 interpolation=request.interpolation))
        assert [t for t, _ in alone] == [t for t, _ in sets]
        for (_, frame), (_, frames) in zip(alone, sets):
            assert frames[key].dtype == np.uint8
            np.testing.assert_array_equal(frames[key], frame)
    assert decodings["open"][str(path)] == 1 + len(requests)

    first = sets[0][1]
    upright = SIZE[::-1] if rotation else SIZE  # (width, height) after the display rotation
    assert first["native"].shape == (upright[1], upright[0], 3)
    assert first["squash"].shape == (48, 64, 3)
    assert first["bicubic"].shape == (30, 50, 3)
    assert first["shrink"].shape == (upright[1] // 2, upright[0] // 2, 3)  # longer side 160 -> 80
    if rotation is None:  # every size is converted from the frame on screen at t + 0.5 s
        assert [read_index(frames["native"]) for _, frames in sets] == [FPS * t + 2 for t in range(len(photos))]
        assert [read_index(frames["squash"]) for _, frames in sets] == [FPS * t + 2 for t in range(len(photos))]


# -- ModalityUnion: the same features, one decoding --------------------------------------------
@pytest.mark.slow  # the real models, TensorFlow's included
def test_union_equals_each_embedder_and_decodes_each_movie_once(tmp_path, shared_weights, decodings):
    pytest.importorskip("mediapipe")
    pytest.importorskip("ai_edge_litert")
    faces = [photo(name, (320, 240)) for name in ("astronaut", "coffee", "astronaut")]
    movies = [
        str(write_video(tmp_path / "a.mp4", faces, fps=FPS, audio=tone(3.3, RATE))),
        str(write_video(tmp_path / "b.mkv", faces[::-1], fps=FPS, audio=tone(3.4, RATE, frequency=880))),
    ]
    embedders = [
        ("image", ImageEmbedder(str(shared_weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"),
                                batch_size=2)),
        (
            "face",
            FaceEmbedder(
                str(shared_weights / "face_detection_short_range.tflite"),
                str(shared_weights / "fer2013_mini_XCEPTION.102-0.66.hdf5"),
                max_side=160,  # a second frame size, besides the image network's 224 x 224
                batch_size=2,
            ),
        ),
        ("audio", AudioEmbedder(str(shared_weights / "yamnet.tflite"), batch_size=2)),
    ]
    alone = {name: clone(embedder).transform(movies) for name, embedder in embedders}
    # Each visual embedder on its own decodes every movie: two passes per movie.
    assert decodings["video"] == Counter({movie: 2 for movie in movies})
    decodings["video"].clear()
    decodings["open"].clear()

    union = ModalityUnion(embedders)
    result = union.fit_transform(movies)
    # Together: one video decoding pass per movie (plus the audio stage's own container, one header
    # read: the declared durations are checked against the length rule before decoding, and the fast
    # frame selection's reading of the packets before it decodes).
    assert decodings["video"] == Counter({movie: 1 for movie in movies})
    assert decodings["open"] == Counter({movie: 4 for movie in movies})

    for index, movie in enumerate(result):
        assert list(movie) == ["image", "face", "audio"]
        for name in movie:
            # Identical frames, batches and models: bit-identical features (not merely close).
            assert movie[name].shape == alone[name][index].shape == (3, movie[name].shape[1])
            np.testing.assert_array_equal(movie[name], alone[name][index])
    assert alone["face"][0][:, 0].tolist() == [1.0, 0.0, 1.0]  # the astronaut's face is found

    decodings["video"].clear()
    assert_same_movies(union.transform(movies), result)
    assert decodings["video"] == Counter({movie: 1 for movie in movies})


# -- failures ----------------------------------------------------------------------------------
def test_corrupt_movie_is_reported_and_the_others_go_on(tmp_path, clips, colour_layout):
    whole = write_video(tmp_path / "whole.mp4", [photo("chelsea", SIZE)] * 6, fps=FPS, audio=tone(6, RATE))
    data = whole.read_bytes()
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(data[: len(data) // 2])
    movies = [str(clips["first"]), str(corrupt), str(clips["second"])]
    union = weight_free_union(colour_layout).fit([movies[0]])
    expected = union.transform([movies[0], movies[2]])

    results = list(union.iter_transform(movies, on_error="return"))
    assert sorted(index for index, _ in results) == [0, 1, 2]
    results = dict(results)
    error = results[1]
    assert isinstance(error, MediaDecodeError)
    assert str(corrupt) in str(error)
    assert_same_movies([results[0], results[2]], expected)

    with pytest.raises(MediaDecodeError, match=re.escape(str(corrupt))):
        union.transform(movies)
    with pytest.raises(ValueError, match="on_error"):
        list(union.iter_transform(movies, on_error="skip"))


class _FirstBatchOnly:
    """A video embed that fails on its second batch, after letting the audio stage start."""

    def __init__(self, audio_started: threading.Event):
        self.calls = 0
        self.failed = threading.Event()
        self.audio_started = audio_started
        self.error = RuntimeError("embedding broke on the second batch")

    def __call__(self, batch):
        self.calls += 1
        if self.calls == 2:
            assert self.audio_started.wait(20)
            self.failed.set()
            raise self.error
        return np.zeros((len(batch), 3), np.float32)


class _SlowDescriptors:
    """The audio descriptors, waiting for the video stage to fail before embedding the 2nd second."""

    def __init__(self, started: threading.Event, video_failed: threading.Event):
        self.model = audio_backbone("descriptors")
        self.window = self.model.window
        self.dim = self.model.dim
        self.started, self.video_failed = started, video_failed
        self.seconds = 0

    def embed(self, windows):
        if self.seconds == 1:
            self.started.set()
            self.video_failed.wait(20)
        time.sleep(0.05)  # a stage that is not stopped would take 40 * 0.05 s more
        self.seconds += len(windows)
        return self.model.embed(windows)


def test_failing_stage_stops_the_others(tmp_path):
    seconds = 40
    movie = write_video(tmp_path / "long.mkv", [photo("coffee", (64, 48))] * seconds, fps=2,
                        audio=tone(seconds, RATE))
    audio_started = threading.Event()
    video_embed = _FirstBatchOnly(audio_started)
    audio_model = _SlowDescriptors(audio_started, video_embed.failed)
    stage_set = {
        "image": VideoStage(FrameRequest(size=(32, 32)), video_embed, 2),
        "audio": audio_stage(audio_model, batch_size=1),
    }
    assert isinstance(stage_set["audio"], AudioStage)
    start = time.monotonic()
    with pytest.raises(RuntimeError) as caught:
        extract_movie(movie, stage_set)
    elapsed = time.monotonic() - start
    assert caught.value is video_embed.error
    assert caught.value.__notes__ == [f"(while extracting the image features of {movie})"]
    assert video_embed.calls == 2  # no further batch after the failure
    assert audio_model.seconds < 5  # the audio stage was stopped, not run to its 40th second
    assert elapsed < 20
    for thread in stage_threads():
        thread.join(5)
    assert not stage_threads()


def test_decoding_error_names_the_movie_and_stops_the_stages(tmp_path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 8192, dtype=np.uint8).tobytes())
    embedded = []
    stage_set = {"image": VideoStage(FrameRequest(size=(32, 32)), embedded.append, 2)}
    with pytest.raises(MediaDecodeError, match=re.escape(str(garbage))):
        extract_movie(garbage, stage_set)
    assert embedded == []
    assert not [thread for thread in stage_threads() if thread.is_alive()]


@pytest.mark.slow
def test_mute_movie_in_a_union(clips, colour_layout):
    mute, good = str(clips["mute"]), str(clips["first"])
    union = weight_free_union(colour_layout).fit([good])
    results = dict(union.iter_transform([mute, good], on_error="return"))
    assert isinstance(results[0], MissingStreamError)
    assert mute in str(results[0]) and "missing_audio='silence'" in str(results[0])
    assert results[1]["image"].shape == (3, 51) and results[1]["audio"].shape == (3, 112)

    silence = weight_free_union(colour_layout, missing_audio="silence").fit([good])
    # Emitted in the audio stage's thread, recorded with the movie and said again in the caller.
    with pytest.warns(SilenceWarning, match=re.escape(mute) + r" has no audio track.*3 s"):
        (movie,) = silence.transform([mute])
    assert movie["audio"].shape == (3, 112)
    np.testing.assert_array_equal(movie["audio"], np.repeat(movie["audio"][:1], 3, axis=0))


@pytest.mark.subprocess  # two worker processes (Python interpreters)
def test_a_silent_movie_is_said_once_from_process_workers(clips, colour_layout):
    """Process workers' own warnings would never reach the caller: the union says them again."""
    mute, good = str(clips["mute"]), str(clips["first"])
    silence = weight_free_union(colour_layout, missing_audio="silence").fit([good])
    with pytest.warns(SilenceWarning, match=re.escape(mute)) as caught:
        silence.set_params(n_jobs=2).transform([mute, good])
    assert sum(issubclass(w.category, SilenceWarning) for w in caught) == 1


# -- cache, parallel movies ----------------------------------------------------------------------
def test_cached_modalities_are_not_decoded_again(tmp_path, clips, colour_layout, decodings):
    movies = [str(clips["first"]), str(clips["second"])]
    union = ModalityUnion(
        [
            ("image", ImageEmbedder(colour_layout, preprocessing="unit", cache_dir=tmp_path / "cache")),
            ("audio", AudioEmbedder("descriptors", cache_dir=tmp_path / "cache")),
        ]
    )
    first = union.fit_transform(movies)
    assert decodings["video"] == Counter({movie: 1 for movie in movies})
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 4
    decodings["video"].clear()
    decodings["open"].clear()

    assert_same_movies(union.transform(movies), first)
    assert not decodings["video"] and not decodings["open"]  # every modality came from the cache

    # Only the image cached: the audio is computed, and no video is decoded for it.
    partly = ModalityUnion(
        [
            ("image", ImageEmbedder(colour_layout, preprocessing="unit", cache_dir=tmp_path / "cache")),
            ("audio", AudioEmbedder("descriptors", cache_dir=None)),
        ]
    ).fit(movies[:1])
    decodings["open"].clear()
    assert_same_movies(partly.transform(movies), first)
    assert not decodings["video"]
    assert decodings["open"] == Counter({movie: 1 for movie in movies})


@pytest.mark.subprocess  # two worker processes (Python interpreters)
def test_parallel_movies_give_the_same_features(clips, colour_layout):
    movies = [str(clips["first"]), str(clips["second"]), str(clips["second"])]
    union = weight_free_union(colour_layout)
    sequential = clone(union).fit_transform(movies)
    parallel = clone(union).set_params(n_jobs=2).fit(movies[:1])
    assert_same_movies(parallel.transform(movies), sequential)
    assert sorted(index for index, _ in parallel.iter_transform(movies)) == [0, 1, 2]


# -- bounded memory ------------------------------------------------------------------------------
def test_decoder_runs_at_most_the_queue_ahead(tmp_path, monkeypatch):
    seconds, batch_size = 30, 2
    movie = write_video(tmp_path / "long.mkv", [photo("chelsea", (64, 48))] * seconds, fps=2)
    bound = QUEUED_BATCHES * batch_size
    sizes = []

    class RecordingQueue(queue.Queue):
        def _put(self, item):
            super()._put(item)
            sizes.append((self.maxsize, self._qsize()))

    monkeypatch.setattr(stages, "queue", types.SimpleNamespace(Queue=RecordingQueue, Full=queue.Full,
                                                               Empty=queue.Empty))
    decoded = []
    real_sets = stages.iter_frame_sets

    def counted_sets(*args, **kwargs):
        for item in real_sets(*args, **kwargs):
            decoded.append(item[0])
            yield item

    monkeypatch.setattr(stages, "iter_frame_sets", counted_sets)
    embedded = []
    ahead = []

    def blocking_embed(batch):
        if not embedded:
            # Wait until the decoder has filled the queue, then give it time to go further (it must
            # not: it may hold this batch, a full queue and one frame waiting to be put).
            deadline = time.monotonic() + 20
            while not any(size == bound for _, size in sizes) and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.5)
        ahead.append(len(decoded) - len(embedded))
        embedded.extend(batch)
        return np.zeros((len(batch), 1), np.float32)

    result = extract_movie(movie, {"image": VideoStage(FrameRequest(size=(16, 16)), blocking_embed, batch_size)})
    assert result["image"].shape == (seconds, 1)
    assert len(decoded) == len(embedded) == seconds
    # While the first batch was embedded, the decoder stopped at most a full queue (and the frame it
    # was putting) ahead, and likewise at every later batch.
    assert ahead[0] <= batch_size + bound + 1
    assert max(ahead) <= batch_size + bound + 1
    assert {maxsize for maxsize, _ in sizes} == {bound}
    assert max(size for _, size in sizes) == bound  # the queue filled up, never beyond
