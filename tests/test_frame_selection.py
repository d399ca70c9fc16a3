"""frame_selection="fast": fewer frames decoded, each second's frame the decoded one nearest the exact rule's.

The movies are real small encodes: x264 with its default settings (B-frames, a non-reference frame
every other frame) and x265 with its own (open GOPs), 25 fps so that the exact rule's frame (``t + 0.5`` s = frame ``25 t + 12``)
is a non-reference B-frame in some seconds; an intra-only MJPEG stream; an IPPP stream with short
GOPs (no B-frames).  Every frame carries its index (``media_videos.read_index``), so the tests see
which frame was chosen.
"""

from __future__ import annotations

import argparse
import json
import pickle
from fractions import Fraction

import numpy as np
import pytest
from media_videos import paint_index, photo, read_index
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_emotion.extraction import (
    build_embedders,
    default_feature_spec,
    recorded_feature_spec,
    with_frame_selection,
)
from sklearn_emotion.feature_folder import FeatureFolder, FolderSettingsError, read_folder_settings
from sklearn_emotion.media import FaceEmbedder, ImageEmbedder
from sklearn_emotion.media.decoding import (
    DEFAULT_FRAME_SELECTION,
    FrameRequest,
    MediaDecodeError,
    check_frame_selection,
    frame_selection_report,
    iter_frame_sets,
    iter_frames,
)
from sklearn_emotion.media.stages import VideoStage, extract_movie
from sklearn_emotion.model_files import resolve_feature_spec

FPS = 25
SECONDS = 10
SIZE = (320, 240)


def _encode(path, codec, *, fps=FPS, seconds=SECONDS, options=None, pix_fmt="yuv420p"):
    """``seconds`` of photos (a new one each 2 s, with a slow drift) with each frame's index painted in."""
    import av

    photos = [photo(name, SIZE) for name in ("astronaut", "chelsea", "coffee")]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = *SIZE, pix_fmt
        if options:
            stream.options = options
        for index in range(seconds * fps):
            image = np.roll(photos[(index // (2 * fps)) % 3], index, axis=1)  # motion: every frame differs
            frame = av.VideoFrame.from_ndarray(paint_index(image, index), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def movies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frame-selection")
    return {
        "bframes": _encode(folder / "bframes.mp4", "libx264"),  # x264 defaults: medium, 3 B-frames, pyramid
        "hevc": _encode(folder / "hevc.mp4", "libx265", seconds=4, options={"x265-params": "log-level=error"}),
        "intra": _encode(folder / "intra.avi", "mjpeg", pix_fmt="yuvj420p"),
        "short_gops": _encode(folder / "short_gops.mp4", "libx264", options={"bf": "0", "g": "5"}),
    }


def _indices(path, frame_selection):
    return [read_index(frame) for _, frame in iter_frames(path, frame_selection=frame_selection)]


def _decoded_indices(path):
    """The frames the decoder makes when it skips non-reference frames (PyAV alone, for comparison)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        return [read_index(frame.to_ndarray(format="rgb24")) for frame in container.decode(stream)]


def _remux(source, path, *, skip=0, blank=(), format=None):
    """``source``'s video packets copied into ``path`` (no re-encoding).

    The first ``skip`` packets (decode order) are dropped: a stream-copied cut or a recording that
    starts mid-GOP.  The packets numbered (from 1) in ``blank`` keep their times and flags but carry a
    filler NAL unit instead of their picture: damage that the demuxer still lists.
    """
    import av

    with av.open(str(source)) as src, av.open(str(path), "w", format=format) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        packets = [packet for packet in src.demux(src.streams.video[0]) if packet.dts is not None]
        for number, packet in enumerate(packets[skip:], start=skip + 1):
            if number in blank:
                filler = av.Packet(b"\x00\x00\x00\x03\x0c\xff\x80")
                filler.pts, filler.dts, filler.duration = packet.pts, packet.dts, packet.duration
                filler.time_base, filler.is_keyframe, packet = packet.time_base, packet.is_keyframe, filler
            packet.stream = stream
            dst.mux(packet)
    return path


def test_fast_decodes_fewer_frames_and_chooses_the_nearest_decoded_one(movies):
    path = movies["bframes"]
    exact, fast = _indices(path, "exact"), _indices(path, "fast")
    assert exact == [FPS * t + FPS // 2 for t in range(SECONDS)]  # the frame on screen at t + 0.5
    report = frame_selection_report(path, "fast")
    assert report.n_seconds == len(fast) == SECONDS and report.n_frames == FPS * SECONDS
    assert report.n_decoded < 0.7 * report.n_frames  # about half the frames are never decoded
    decoded = _decoded_indices(path)
    assert len(decoded) < 0.7 * report.n_frames
    for t, (want, got) in enumerate(zip(exact, fast)):
        nearest = min(decoded, key=lambda index: (abs(index - want), index))  # earlier one on a tie
        assert got == nearest, f"second {t}: chose frame {got}, the nearest decoded to {want} is {nearest}"
    np.testing.assert_allclose(report.offsets, (np.asarray(fast) - exact) / FPS, atol=1e-9)
    assert report.max_offset <= 1 / FPS + 1e-9 and np.any(report.offsets != 0)  # some targets were skipped
    assert frame_selection_report(path, "exact").n_decoded == FPS * SECONDS


def test_hevc_with_its_default_open_gops_gets_the_nearest_decoded_frames(movies):
    path = movies["hevc"]
    exact, fast = _indices(path, "exact"), _indices(path, "fast")
    decoded = _decoded_indices(path)
    assert len(decoded) < 0.8 * FPS * 4
    assert fast == [min(decoded, key=lambda index: (abs(index - want), index)) for want in exact]
    assert frame_selection_report(path, "fast").max_offset <= 2 / FPS + 1e-9


@pytest.mark.parametrize("suffix", [".mp4", ".ts"])
def test_a_movie_starting_mid_gop_counts_its_seconds_from_the_first_decoded_frame(tmp_path, suffix):
    # x264 with B-frames, a keyframe every 2 s, the first 20 packets dropped: frames 20-49 cannot be
    # decoded, exact starts at frame 50 (its second 0 is frame 62) and so must fast.
    source = _encode(tmp_path / "source.mp4", "libx264", options={"g": "50"})
    path = _remux(source, tmp_path / f"cut{suffix}", skip=20, format="mpegts" if suffix == ".ts" else None)
    exact, fast = _indices(path, "exact"), _indices(path, "fast")
    assert exact == [50 + FPS * t + FPS // 2 for t in range(SECONDS - 2)]
    assert len(fast) == len(exact)
    decoded = _decoded_indices(path)
    largest_gap = int(np.max(np.diff(sorted(decoded))))
    for t, (want, got) in enumerate(zip(exact, fast)):
        nearest = min(decoded, key=lambda index: (abs(index - want), index))
        assert got == nearest, f"second {t}: chose frame {got}, the nearest decoded to {want} is {nearest}"
        assert abs(got - want) <= largest_gap / 2
    report = frame_selection_report(path, "fast")
    assert report.n_seconds == len(exact) and report.n_frames == FPS * SECONDS - 50


def test_a_plan_whose_start_is_not_the_first_decoded_frame_is_made_again_from_it(movies, monkeypatch):
    # Packets may claim a start that the decoder does not give (leading frames shown before the first
    # keyframe that do or do not decode, a keyframe flag on a picture that cannot start decoding): a plan
    # counting from 2 frames too early must be replaced by one counting from the first decoded frame.
    from sklearn_emotion.media import decoding

    path = movies["bframes"]
    expected = _indices(path, "fast")

    def early(*args):
        timeline = packet_timeline(*args)
        return decoding._plan(str(path), timeline.packets, timeline.start - 2 / FPS)

    packet_timeline = decoding._packet_timeline
    monkeypatch.setattr(decoding, "_packet_timeline", early)
    assert _indices(path, "fast") == expected


def test_a_tail_that_does_not_decode_is_an_error_not_a_repeated_frame(movies, tmp_path):
    # The packets of frames 120-249 are listed (times, durations) but hold no picture.
    path = _remux(movies["bframes"], tmp_path / "damaged.mp4", blank=range(121, FPS * SECONDS + 1))
    for selection in ("exact", "fast"):
        seconds = []
        with pytest.raises(MediaDecodeError, match=r"damaged\.mp4"):
            for t, _ in iter_frames(path, frame_selection=selection):
                seconds.append(t)
        assert len(seconds) <= 120 // FPS + 1, f"{selection} went on past the decoded frames: {seconds}"
    with pytest.raises(MediaDecodeError, match=r"damaged\.mp4 looks truncated.*stopped at 4\.\d+ s.*second 5"):
        list(iter_frames(path, frame_selection="fast"))


def test_fast_frames_are_converted_like_exact_ones(movies):
    """Same sizes and rotation handling; where fast chose the exact frame, the pixels are identical."""
    path = movies["bframes"]
    requests = {"small": FrameRequest(size=(64, 48)), "native": FrameRequest()}
    exact = list(iter_frame_sets(path, requests, frame_selection="exact"))
    fast = list(iter_frame_sets(path, requests, frame_selection="fast"))
    assert [t for t, _ in fast] == [t for t, _ in exact] == list(range(SECONDS))
    same = 0
    for (_, a), (_, b) in zip(exact, fast):
        assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}
        if read_index(a["native"]) == read_index(b["native"]):
            np.testing.assert_array_equal(a["small"], b["small"])
            same += 1
    assert same >= SECONDS // 2


def test_an_intra_only_stream_decodes_only_the_chosen_frames(movies):
    path = movies["intra"]
    assert _indices(path, "fast") == _indices(path, "exact")
    report = frame_selection_report(path, "fast")
    assert report.n_decoded == SECONDS and report.max_offset == 0  # no GOP without a chosen frame is decoded
    for (_, a), (_, b) in zip(iter_frames(path), iter_frames(path, frame_selection="fast")):
        np.testing.assert_array_equal(a, b)


def test_short_gops_without_b_frames_are_skipped_whole_and_give_the_exact_frames(movies):
    path = movies["short_gops"]
    report = frame_selection_report(path, "fast")
    assert report.max_offset == 0 and report.n_decoded < 0.75 * report.n_frames
    for (_, a), (_, b) in zip(iter_frames(path), iter_frames(path, frame_selection="fast")):
        np.testing.assert_array_equal(a, b)  # decoding a closed GOP from its keyframe gives the same pixels


def test_an_unknown_frame_selection_is_refused(movies):
    with pytest.raises(ValueError, match="frame_selection must be one of"):
        next(iter_frames(movies["bframes"], frame_selection="quick"))
    with pytest.raises(InvalidParameterError, match="frame_selection"):
        ImageEmbedder("x.tflite", frame_selection="quick").fit([])
    with pytest.raises(ValueError, match="frame_selection must be one of"):
        with_frame_selection({"image": {}}, "quick")
    assert check_frame_selection("exact") == "exact"  # the one check both use
    with pytest.raises(ValueError, match=r"must be one of \('fast', 'exact'\), got 'quick'"):
        check_frame_selection("quick")


def test_stages_asking_for_different_selections_get_one_pass_each(movies):
    path = movies["bframes"]

    def stage(selection):
        return VideoStage(FrameRequest(size=(64, 48)), lambda batch: np.asarray([[read_index(f)] for f in batch]), 4,
                          selection)

    features = extract_movie(path, {"exact": stage("exact"), "fast": stage("fast")})
    assert features["exact"][:, 0].tolist() == _indices(path, "exact")
    assert features["fast"][:, 0].tolist() == _indices(path, "fast")
    assert stage("fast").features(path)[:, 0].tolist() == _indices(path, "fast")


def test_the_embedders_store_the_setting_and_read_0_2_pickles_as_exact():
    embedder = ImageEmbedder("x.tflite")
    assert embedder.frame_selection == DEFAULT_FRAME_SELECTION
    assert FaceEmbedder().get_params()["frame_selection"] == DEFAULT_FRAME_SELECTION
    state = dict(embedder.__getstate__())
    del state["frame_selection"]  # as pickled by 0.2
    old = ImageEmbedder.__new__(ImageEmbedder)
    old.__setstate__(state)
    assert old.frame_selection == "exact"
    assert pickle.loads(pickle.dumps(embedder)).frame_selection == DEFAULT_FRAME_SELECTION


def test_exact_keeps_the_feature_cache_keys_of_0_2_and_fast_gets_its_own(tmp_path):
    from sklearn_emotion.media.backbones import describe_spec
    from sklearn_emotion.media.cache import FeatureCache

    # sklearn-emotion 0.2 (43d6c47) described an ImageEmbedder by its class and these parameters.
    described_by_0_2 = {"class": "sklearn_emotion.media.image.ImageEmbedder", "backbone": describe_spec("x.tflite"),
                        "weights": "imagenet", "output": None, "preprocessing": "auto"}
    exact = ImageEmbedder("x.tflite", frame_selection="exact", cache_dir=tmp_path)
    fast = ImageEmbedder("x.tflite", frame_selection="fast", cache_dir=tmp_path)
    assert exact.cache_description() == described_by_0_2
    assert fast.cache_description() == {**described_by_0_2, "frame_selection": "fast"}
    movie = tmp_path / "movie.mp4"
    movie.write_bytes(b"a movie")
    cache = FeatureCache(tmp_path)
    assert cache.key(movie, exact.cache_description()) == cache.key(movie, described_by_0_2)
    assert cache.key(movie, fast.cache_description()) != cache.key(movie, described_by_0_2)
    face_exact, face_fast = FaceEmbedder(frame_selection="exact"), FaceEmbedder(frame_selection="fast")
    assert "frame_selection" not in face_exact.cache_description()
    assert face_fast.cache_description() == {**face_exact.cache_description(), "frame_selection": "fast"}


def test_the_specification_records_the_setting_and_reads_0_2_as_exact(tmp_path):
    spec, _ = default_feature_spec(tmp_path, frame_selection="exact")
    assert spec["image"]["frame_selection"] == "exact" and "frame_selection" not in spec["audio"]
    assert default_feature_spec(tmp_path)[0]["image"]["frame_selection"] == DEFAULT_FRAME_SELECTION
    old = {"image": {"backbone": "colour-layout"}, "faces": {"kind": "face", "detector": "d.tflite"},
           "audio": {"backbone": "descriptors"}}
    read = recorded_feature_spec(old)
    assert read["image"]["frame_selection"] == read["faces"]["frame_selection"] == "exact"
    assert read["audio"] == old["audio"]
    assert recorded_feature_spec(with_frame_selection(old, "fast"))["image"]["frame_selection"] == "fast"
    assert build_embedders({"face": {"detector": "d.tflite"}})["face"].frame_selection == "exact"
    # A model saved by 0.2 extracts new videos as its training movies were.
    assert resolve_feature_spec({"image": {"backbone": "colour-layout"}})["image"]["frame_selection"] == "exact"


def test_a_folder_of_0_2_is_exact_and_is_not_mixed_with_fast(tmp_path):
    old = {"image": {"backbone": "colour-layout"}}
    features = {"image": np.zeros((3, 51), np.float32)}
    (tmp_path / "a.npz").write_bytes(b"")
    (tmp_path / "features.json").write_text(json.dumps({"feature_spec": old, "movies": {}}))
    assert read_folder_settings(tmp_path)["feature_spec"] == {"image": {**old["image"], "frame_selection": "exact"}}
    folder = FeatureFolder(tmp_path)
    assert folder.refusal(with_frame_selection(old, "exact")) is None  # resumed: the same settings
    refusal = folder.refusal(with_frame_selection(old, "fast"))
    assert isinstance(refusal, FolderSettingsError) and "'frame_selection': 'exact'" in str(refusal)
    with pytest.raises(FolderSettingsError):
        folder.claim(with_frame_selection(old, "fast"))
    folder.claim(with_frame_selection(old, "exact"))
    folder.save("b", features, source=tmp_path / "b.mp4", content="c", spec=old)
    assert folder.record("b")["feature_spec"]["image"]["frame_selection"] == "exact"
    assert folder.is_done("b", "c", with_frame_selection(old, "exact"))
    assert not folder.is_done("b", "c", with_frame_selection(old, "fast"))


def test_the_extract_command_has_the_option():
    from sklearn_emotion.cli._features import add_feature_options, feature_spec_from_args

    parser = argparse.ArgumentParser()
    add_feature_options(parser)
    args = parser.parse_args(["--frame-selection", "exact", "--image", "colour-layout", "--audio", "none",
                              "--face", "none"])
    spec, _ = feature_spec_from_args(args)
    assert spec == {"image": {"backbone": "colour-layout", "frame_selection": "exact"}}
    assert parser.parse_args([]).frame_selection == DEFAULT_FRAME_SELECTION
    with pytest.raises(SystemExit):
        parser.parse_args(["--frame-selection", "quick"])
