"""Dataset loaders: real LIRIS-ACCEDE and emoMusic files (skipped when absent) and generated trees."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.data import as_targets
from sklearn_emotion.datasets import (
    DATA_ENV_VAR,
    AnnotationLengthWarning,
    MissingFeatureWarning,
    load_emomusic,
    load_liris_accede,
)

LIRIS_MISALIGNED = {
    "Big_Buck_Bunny": (598, 597),
    "Chatter": (511, 510),
    "Cloudland": (703, 702),
    "Islands": (175, 174),
    "Norm": (392, 391),
    "On_time": (313, 312),
    "Riding_The_Rails": (902, 901),
    "The_room_of_franz_kafka": (251, 258),
    "To_Claire_From_Sonny": (416, 415),
}


# --------------------------------------------------------------------------------------------
# LIRIS-ACCEDE: the real files
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def liris(shared_data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bunch = load_liris_accede(shared_data / "liris-accede-continuous")
    return bunch, [w for w in caught if issubclass(w.category, AnnotationLengthWarning)]


def test_liris_real_collection_facts(liris):
    bunch, _ = liris
    assert len(bunch.movies) == 30 == len(bunch.y) == len(bunch.std)
    assert int(bunch.lengths.sum()) == 26_566
    assert sum(len(curve) for curve in bunch.y) == 26_566
    assert bunch.lengths.min() == 119 and bunch.lengths.max() == 4_568
    as_targets(bunch.y, bunch.lengths)  # the package's data model accepts them
    valence = np.concatenate([curve[:, 0] for curve in bunch.y])
    arousal = np.concatenate([curve[:, 1] for curve in bunch.y])
    assert valence.min() == pytest.approx(-0.92, abs=0.005) and valence.max() == pytest.approx(0.85, abs=0.005)
    assert arousal.min() == pytest.approx(-0.74, abs=0.005) and arousal.max() == pytest.approx(0.96, abs=0.005)
    assert all(np.all(s >= 0) for s in bunch.std)


def test_liris_real_misaligned_movies_are_truncated_and_named(liris):
    bunch, caught = liris
    assert bunch.misaligned == LIRIS_MISALIGNED
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("9 LIRIS-ACCEDE movie(s)")
    for name, (n_valence, n_arousal) in LIRIS_MISALIGNED.items():
        assert f"{name} (valence {n_valence}, arousal {n_arousal} rows)" in message
        assert bunch.lengths[bunch.movies.index(name)] == min(n_valence, n_arousal)


def test_liris_real_values_match_the_files(liris, shared_data):
    bunch, _ = liris
    folder = shared_data / "liris-accede-continuous"
    index = bunch.movies.index("The_room_of_franz_kafka")
    arousal = np.loadtxt(folder / "The_room_of_franz_kafka_Arousal.txt", skiprows=1)
    valence = np.loadtxt(folder / "The_room_of_franz_kafka_Valence.txt", skiprows=1)
    np.testing.assert_array_equal(bunch.y[index][:, 1], arousal[:251, 1])
    np.testing.assert_array_equal(bunch.y[index][:, 0], valence[:, 1])
    np.testing.assert_array_equal(bunch.std[index][:, 1], arousal[:251, 2])


def test_liris_subset_and_env_default(shared_data, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(shared_data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither movie is misaligned: no warning
        bunch = load_liris_accede(movies=["Sintel", "Decay"])
    assert bunch.movies == ["Sintel", "Decay"]
    assert bunch.misaligned == {}
    with pytest.raises(FileNotFoundError, match="Nope"):
        load_liris_accede(movies=["Nope"])


# --------------------------------------------------------------------------------------------
# LIRIS-ACCEDE: generated files, malformed content
# --------------------------------------------------------------------------------------------
def _write_liris(folder: Path, name: str, valence: list[str], arousal: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for axis, rows in (("Valence", valence), ("Arousal", arousal)):
        (folder / f"{name}_{axis}.txt").write_text("Time\tMean\tStd\n" + "".join(r + "\n" for r in rows))


def _rows(values, std=0.1):
    return [f"{t}\t{v}\t{std}" for t, v in enumerate(values)]


def test_liris_generated_alignment(tmp_path):
    _write_liris(tmp_path, "A", _rows([0.1, 0.2, 0.3]), _rows([-0.1, -0.2]))
    _write_liris(tmp_path, "B", _rows([0.5, 0.5]), _rows([0.0, 0.1]))
    with pytest.warns(AnnotationLengthWarning, match=r"1 LIRIS.*A \(valence 3, arousal 2 rows\)") as record:
        bunch = load_liris_accede(tmp_path)
    assert "B (" not in str(record[0].message)
    assert bunch.movies == ["A", "B"]
    np.testing.assert_array_equal(bunch.y[0], [[0.1, -0.1], [0.2, -0.2]])
    np.testing.assert_array_equal(bunch.lengths, [2, 2])


def test_liris_official_zip_layout(tmp_path):
    _write_liris(tmp_path / "continuous-annotations", "A", _rows([0.1]), _rows([0.2]))
    assert load_liris_accede(tmp_path).movies == ["A"]


@pytest.mark.parametrize(
    "valence, message",
    [
        (["Time\tMean"], r"A_Valence\.txt, line 1: expected the header"),
        (["Time\tMean\tStd", "0\t0.1\t0.1", "1\tabc\t0.1"], r"A_Valence\.txt, line 3: Mean value 'abc'"),
        (["Time\tMean\tStd", "0\t0.1\t0.1", "2\t0.1\t0.1"], r"A_Valence\.txt, line 3: Time is 2 .* 1 was expected"),
        (["Time\tMean\tStd", "0\t0.1"], r"A_Valence\.txt, line 2: expected 3 values"),
        (["Time\tMean\tStd", "0\t1.5\t0.1"], r"A_Valence\.txt, line 2: Mean 1\.5 lies outside"),
        (["Time\tMean\tStd", "0\t0.5\t-0.1"], r"A_Valence\.txt, line 2: Std -0\.1 lies outside"),
        (["Time\tMean\tStd", "0\tnan\t0.1"], r"A_Valence\.txt, line 2: Mean value 'nan' is NaN"),
        (["Time\tMean\tStd"], r"A_Valence\.txt: the file has a header but no data row"),
    ],
)
def test_liris_malformed_file_errors_name_file_and_line(tmp_path, valence, message):
    tmp_path.joinpath("A_Valence.txt").write_text("\n".join(valence) + "\n")
    tmp_path.joinpath("A_Arousal.txt").write_text("Time\tMean\tStd\n0\t0.1\t0.1\n")
    with pytest.raises(ValueError, match=message):
        load_liris_accede(tmp_path)


def test_liris_missing_folder_arousal_or_root(tmp_path, monkeypatch):
    _write_liris(tmp_path, "A", _rows([0.1]), _rows([0.2]))
    (tmp_path / "A_Arousal.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"'A'.*A_Arousal\.txt"):
        load_liris_accede(tmp_path)
    with pytest.raises(FileNotFoundError, match="liris-accede.ec-lyon.fr"):
        load_liris_accede(tmp_path / "absent")
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    with pytest.raises(ValueError, match=DATA_ENV_VAR):
        load_liris_accede()


# --------------------------------------------------------------------------------------------
# emoMusic: the real files
# --------------------------------------------------------------------------------------------
def _read_wide(path: Path) -> dict[int, np.ndarray]:
    with path.open() as handle:
        rows = list(csv.reader(handle))
    return {int(r[0]): np.array(r[1:], dtype=float) for r in rows[1:]}


@pytest.fixture(scope="module")
def emomusic_root(shared_data):
    return shared_data / "emomusic"


def test_emomusic_real_1hz(emomusic_root):
    bunch = load_emomusic(emomusic_root)
    assert len(bunch.y) == 744 == len(bunch.song_ids) == len(bunch.audio_paths) == len(bunch.std)
    assert all(curve.shape == (30, 2) for curve in bunch.y)
    np.testing.assert_array_equal(bunch.times[0], np.arange(15, 45))
    raw_v = _read_wide(emomusic_root / "annotations" / "valence_cont_average.csv")
    raw_a = _read_wide(emomusic_root / "annotations" / "arousal_cont_average.csv")
    for i in (0, 100, 743):
        song = int(bunch.song_ids[i])
        # second 15 + t = mean of the samples at 15 + t and 15.5 + t (columns 2t, 2t + 1)
        np.testing.assert_allclose(bunch.y[i][:, 0], raw_v[song][:60].reshape(30, 2).mean(axis=1))
        np.testing.assert_allclose(bunch.y[i][:, 1], raw_a[song][:60].reshape(30, 2).mean(axis=1))
    with_audio = {int(s) for s, p in zip(bunch.song_ids, bunch.audio_paths) if p is not None}
    assert with_audio == {2, 3, 4, 5, 7, 8, 10, 12, 13, 17}
    assert all(p.is_file() and p.name == f"{s}.mp3" for s, p in zip(bunch.song_ids, bunch.audio_paths) if p)
    assert set(bunch.splits) == {"development", "evaluation"}


def test_emomusic_real_2hz_clip_origin_with_audio(emomusic_root):
    bunch = load_emomusic(emomusic_root, sampling_rate=2, time_origin="clip", require_audio=True)
    assert sorted(bunch.song_ids) == [2, 3, 4, 5, 7, 8, 10, 12, 13, 17]
    raw_a = _read_wide(emomusic_root / "annotations" / "arousal_cont_average.csv")
    for song, curve, times in zip(bunch.song_ids, bunch.y, bunch.times):
        assert curve.shape == (91, 2)
        np.testing.assert_array_equal(times, np.arange(91) / 2)
        assert np.isnan(curve[:30]).all() and not np.isnan(curve[30:]).any()
        np.testing.assert_array_equal(curve[30:, 1], raw_a[int(song)])


def test_emomusic_real_1hz_clip_origin_and_song_selection(emomusic_root):
    annotated = load_emomusic(emomusic_root, songs=[3, 2])
    clip = load_emomusic(emomusic_root, songs=[3, 2], time_origin="clip")
    assert list(clip.song_ids) == [3, 2]
    assert clip.y[0].shape == (45, 2)
    np.testing.assert_array_equal(clip.times[0], np.arange(45))
    assert np.isnan(clip.y[0][:15]).all()
    np.testing.assert_array_equal(clip.y[0][15:], annotated.y[0])
    with pytest.raises(FileNotFoundError, match=r"\[999999\]"):
        load_emomusic(emomusic_root, songs=[999999])


# --------------------------------------------------------------------------------------------
# emoMusic: generated files
# --------------------------------------------------------------------------------------------
def _write_emomusic(folder: Path, valence_rows: list[str], arousal_rows: list[str], header: str) -> None:
    (folder / "annotations").mkdir(parents=True, exist_ok=True)
    for axis, rows in (("valence", valence_rows), ("arousal", arousal_rows)):
        text = header + "\n" + "".join(r + "\n" for r in rows)
        (folder / "annotations" / f"{axis}_cont_average.csv").write_text(text)


HEADER = "song_id,sample_1000ms,sample_1500ms,sample_2000ms,sample_2500ms,sample_3000ms"


def test_emomusic_generated_resampling_nan_and_trailing(tmp_path):
    # song 7 stops early (DEAM style) and has an unannotated sample inside its first second
    _write_emomusic(
        tmp_path,
        ["1,0.1,0.3,0.5,0.7,0.9", "7,,0.2,0.4,,"],
        ["1,-0.1,-0.3,-0.5,-0.7,-0.9", "7,,0.6,0.2,,"],
        HEADER,
    )
    bunch = load_emomusic(tmp_path)
    assert bunch.std is None and bunch.audio_paths == [None, None] and bunch.splits == [None, None]
    np.testing.assert_allclose(bunch.y[0], [[0.2, -0.2], [0.6, -0.6]])
    np.testing.assert_array_equal(bunch.times[0], [1.0, 2.0])
    np.testing.assert_allclose(bunch.y[1], [[0.2, 0.6], [0.4, 0.2]])
    two = load_emomusic(tmp_path, sampling_rate=2, time_origin="clip")
    assert two.y[0].shape == (7, 2) and np.isnan(two.y[0][:2]).all()
    assert two.y[1].shape == (5, 2)  # trailing unannotated samples dropped
    np.testing.assert_array_equal(two.times[1], [0, 0.5, 1.0, 1.5, 2.0])


@pytest.mark.parametrize("valence_csv, message", [  # the valence file: its header, then one song
    ("song_id,sample_1000ms,sample_2000ms\n1,0.1,0.2", r"valence_cont_average\.csv, line 1: .*500 ms apart"),
    ("song_id,s1,s2\n1,0.1,0.2", r"valence_cont_average\.csv, line 1: column 's1'"),
    ("song_id,sample_1000ms,sample_1500ms\nx,0.1,0.2", r"valence_cont_average\.csv, line 2: song_id 'x'"),
    ("song_id,sample_1000ms,sample_1500ms\n1,0.1,oops", r"line 2: value 'oops' of column sample_1500ms"),
    ("song_id,sample_1000ms,sample_1500ms\n1,0.1,2.0", r"line 2: value 2\.0 of column sample_1500ms lies"),
])
def test_emomusic_malformed_errors_name_file_and_line(tmp_path, valence_csv, message):
    header, valence = valence_csv.split("\n")
    _write_emomusic(tmp_path, [valence], ["1,0.1,0.2"], header)
    with pytest.raises(ValueError, match=message):
        load_emomusic(tmp_path)


def test_emomusic_parameter_and_consistency_errors(tmp_path):
    _write_emomusic(tmp_path, ["1,0.1,0.2"], ["2,0.1,0.2"], "song_id,sample_1000ms,sample_1500ms")
    with pytest.raises(ValueError, match=r"list different songs \(only in valence: \[1\]"):
        load_emomusic(tmp_path)
    with pytest.raises(ValueError, match="sampling_rate"):
        load_emomusic(tmp_path, sampling_rate=4)
    with pytest.raises(ValueError, match="time_origin"):
        load_emomusic(tmp_path, time_origin="movie")
    with pytest.raises(FileNotFoundError, match="cvml.unige.ch"):
        load_emomusic(tmp_path / "absent")


# --------------------------------------------------------------------------------------------
# MediaEval 2018: a small tree in the organisers' layout, generated here
# --------------------------------------------------------------------------------------------
DESCRIPTORS = {"cl": 2, "fc6": 3}
AUDIO_ATTRIBUTES = ["pcm_loudness_sma_maxPos", "F0final_sma_range"]


def _visual_value(movie: int, descriptor: str, t: int) -> list[float]:
    offset = 0.0 if descriptor == "cl" else 0.5
    return [movie * 100 + t + offset + j / 10 for j in range(DESCRIPTORS[descriptor])]


def _audio_value(movie: int, t: int) -> list[float]:
    return [-(movie * 100 + t), 1000.0 + t]


def _arff(values, extra: str = "") -> str:
    attributes = "".join(f"@attribute {name} numeric\n" for name in AUDIO_ATTRIBUTES)
    cells = ",".join(v if isinstance(v, str) else f"{v:.6e}" for v in values)
    return (
        "@relation openSMILE_features\n\n@attribute name string\n" + attributes + extra
        + "@attribute class numeric\n\n@data\n\n'unknown'," + cells + ",?\n"
    )


def _write_mediaeval(root: Path, movies: dict[int, tuple[int, int | None]], separator: str = "-") -> Path:
    """``movies``: id -> (feature seconds, annotation rows or None)."""
    for movie, (n_features, n_annotated) in movies.items():
        part = "TestSet" if movie >= 54 else "DevSet-Part1"
        name = f"MEDIAEVAL18_{movie:02d}"
        if n_annotated is not None:
            folder = root / f"MEDIAEVAL18-{part}-Valence_Arousal-annotations" / "annotations"
            folder.mkdir(parents=True, exist_ok=True)
            rows = "".join(f"{t}\t{0.01 * t + movie / 100:.4f}\t{-0.01 * t:.4f}\n" for t in range(n_annotated))
            (folder / f"{name}_Valence-Arousal.txt").write_text("Time\tValence\tArousal\n" + rows)
        for descriptor in DESCRIPTORS:
            folder = root / f"MEDIAEVAL18-{part}-Visual_features" / "visual_features" / name / descriptor
            folder.mkdir(parents=True, exist_ok=True)
            for t in range(n_features):
                values = ",".join(repr(v) for v in _visual_value(movie, descriptor, t))
                (folder / f"{name}{separator}{t + 1:05d}_{descriptor}.txt").write_text(values + "\n")
        folder = root / f"MEDIAEVAL18-{part}-Audio_features" / "audio_features" / name
        folder.mkdir(parents=True, exist_ok=True)
        for t in range(n_features):
            (folder / f"{name}_{t + 1:05d}.csv").write_text(_arff(_audio_value(movie, t)))
    return root


def _visual_file(root: Path, movie: int, descriptor: str, t: int) -> Path:
    return next(root.rglob(f"MEDIAEVAL18_{movie:02d}-{t + 1:05d}_{descriptor}.txt"))


@pytest.fixture
def mediaeval_tree(tmp_path):
    return _write_mediaeval(tmp_path / "me18", {0: (4, 4), 1: (3, 4), 54: (3, None)})


def _load_mediaeval(root, **kwargs):
    kwargs.setdefault("visual_descriptors", tuple(DESCRIPTORS))
    from sklearn_emotion.datasets import load_mediaeval2018

    return load_mediaeval2018(root, **kwargs)


def test_mediaeval_development_values_and_alignment(mediaeval_tree):
    with pytest.warns(AnnotationLengthWarning, match=r"1 MediaEval.*MEDIAEVAL18_01 \(visual 3, audio 3, annotations 4 rows\)"):
        bunch = _load_mediaeval(mediaeval_tree)
    assert bunch.ids == ["MEDIAEVAL18_00", "MEDIAEVAL18_01"]
    np.testing.assert_array_equal(bunch.lengths, [4, 3])
    assert bunch.truncated == {"MEDIAEVAL18_01": {"visual": 3, "audio": 3, "annotations": 4}}
    assert bunch.feature_names["visual"] == ["cl_0", "cl_1", "fc6_0", "fc6_1", "fc6_2"]
    assert bunch.feature_names["audio"] == AUDIO_ATTRIBUTES
    from sklearn_emotion.data import as_movies

    movies = as_movies(bunch.X)
    as_targets(bunch.y, [len(m["visual"]) for m in movies])
    for movie, features, targets in zip((0, 1), bunch.X, bunch.y):
        for t in range(len(targets)):
            expected = _visual_value(movie, "cl", t) + _visual_value(movie, "fc6", t)
            np.testing.assert_allclose(features["visual"][t], expected, rtol=1e-6)
            np.testing.assert_allclose(features["audio"][t], _audio_value(movie, t), rtol=1e-6)
            np.testing.assert_allclose(targets[t], [0.01 * t + movie / 100, -0.01 * t], atol=1e-4)
        assert features["visual"].dtype == np.float32


def test_mediaeval_test_subset_without_annotations(mediaeval_tree):
    with pytest.raises(FileNotFoundError, match=r"MEDIAEVAL18_54: no annotation file MEDIAEVAL18_54_Valence-Arousal\.txt"):
        _load_mediaeval(mediaeval_tree, subset="test")
    bunch = _load_mediaeval(mediaeval_tree, subset="test", require_annotations=False)
    assert bunch.ids == ["MEDIAEVAL18_54"] and bunch.annotation_files == [None]
    assert bunch.y[0].shape == (3, 2) and np.isnan(bunch.y[0]).all()


def test_mediaeval_selection_and_feature_choice(mediaeval_tree):
    bunch = _load_mediaeval(mediaeval_tree, subset="all", ids=["MEDIAEVAL18_00", 54], features=("audio",),
                            require_annotations=False)
    assert bunch.ids == ["MEDIAEVAL18_00", "MEDIAEVAL18_54"] and list(bunch.X[0]) == ["audio"]
    only_y = _load_mediaeval(mediaeval_tree, ids=[0], features=())
    assert only_y.X is None and only_y.y[0].shape == (4, 2)
    with pytest.raises(ValueError, match=r"\['MEDIAEVAL18_54'\] are not in the 'development' subset"):
        _load_mediaeval(mediaeval_tree, ids=[54])
    with pytest.raises(FileNotFoundError, match=r"MEDIAEVAL18_00: no sc feature file \(MEDIAEVAL18_00-<sssss>_sc\.txt\)"):
        _load_mediaeval(mediaeval_tree, ids=[0], visual_descriptors=("cl", "sc"))


@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_mediaeval_missing_seconds_policies(mediaeval_tree, damage):
    path = _visual_file(mediaeval_tree, 0, "cl", 2)
    path.unlink() if damage == "delete" else path.write_text("")
    with pytest.raises(ValueError, match=r"MEDIAEVAL18_00 cl: 1 second\(s\) .* second 2 .*MEDIAEVAL18_00-00003_cl\.txt"):
        _load_mediaeval(mediaeval_tree, ids=[0])
    with pytest.warns(MissingFeatureWarning, match=r"left as NaN.*MEDIAEVAL18_00 cl: 1 second"):
        nan = _load_mediaeval(mediaeval_tree, ids=[0], missing="nan")
    assert np.isnan(nan.X[0]["visual"][2, :2]).all() and not np.isnan(nan.X[0]["visual"][2, 2:]).any()
    with pytest.warns(MissingFeatureWarning, match="previous second"):
        filled = _load_mediaeval(mediaeval_tree, ids=[0], missing="ffill")
    np.testing.assert_array_equal(filled.X[0]["visual"][2, :2], filled.X[0]["visual"][1, :2])


def test_mediaeval_underscore_separator_and_cache(tmp_path):
    root = _write_mediaeval(tmp_path / "me18", {3: (2, 2)}, separator="_")
    cache = tmp_path / "cache"
    first = _load_mediaeval(root, cache_dir=cache)
    assert sorted(p.name for p in cache.iterdir()) == [
        "MEDIAEVAL18_03_official_audio.npz", "MEDIAEVAL18_03_official_cl.npz", "MEDIAEVAL18_03_official_fc6.npz"
    ]
    for path in root.rglob("*_0000?_cl.txt"):
        path.unlink()  # the cache now answers for the cl descriptor
    second = _load_mediaeval(root, cache_dir=cache)
    np.testing.assert_array_equal(first.X[0]["visual"], second.X[0]["visual"])
    assert second.feature_names == first.feature_names
    with pytest.raises(FileNotFoundError, match="no cl feature file"):
        _load_mediaeval(root)
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary file left behind


@pytest.mark.parametrize(
    "target, content, message",
    [
        ("annotation", "Time\tValence\tArousal\n0\t0.1\t0.1\n1\tx\t0.1\n", r"_Valence-Arousal\.txt, line 3: Valence value 'x'"),
        ("annotation", "Time\tValence\tArousal\n1\t0.1\t0.1\n", r"_Valence-Arousal\.txt, line 2: Time is 1 .* 0 was expected"),
        ("annotation", "Time\tMean\tStd\n0\t0.1\t0.1\n", r"_Valence-Arousal\.txt, line 1: expected the header"),
        ("annotation", "Time\tValence\tArousal\n0\t0.1\t-1.5\n", r"_Valence-Arousal\.txt, line 2: Arousal -1\.5 lies outside"),
        ("visual", "0.1,zz\n", r"MEDIAEVAL18_00-00002_cl\.txt, line 1: 'zz' is not a number"),
        ("visual", "0.1,0.2,0.3\n", r"MEDIAEVAL18_00-00002_cl\.txt: 3 values, but .*MEDIAEVAL18_00-00001_cl\.txt has 2"),
        ("visual", "0.1\n0.2\n", r"MEDIAEVAL18_00-00002_cl\.txt: expected one line"),
        ("audio", _arff([1.0, "?"]), r"MEDIAEVAL18_00_00002\.csv, line \d+: attribute 'F0final_sma_range' has non-numeric value '\?'"),
        ("audio", _arff([1.0, 2.0]).replace("@data", ""), r"MEDIAEVAL18_00_00002\.csv, line \d+: data line before the @data"),
        ("audio", _arff([1.0]), r"MEDIAEVAL18_00_00002\.csv, line \d+: 3 values but 4 @attribute"),
    ],
)
def test_mediaeval_malformed_files_are_named(mediaeval_tree, target, content, message):
    if target == "annotation":
        path = next(mediaeval_tree.rglob("MEDIAEVAL18_00_Valence-Arousal.txt"))
    elif target == "visual":
        path = _visual_file(mediaeval_tree, 0, "cl", 1)
    else:
        path = next(mediaeval_tree.rglob("MEDIAEVAL18_00_00002.csv"))
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        _load_mediaeval(mediaeval_tree, ids=[0])


def test_mediaeval_csv_layout(tmp_path):
    root = tmp_path / "me18"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "MEDIAEVAL18_02_Valence-Arousal.txt").write_text(
        "Time\tValence\tArousal\n0\t0.1\t0.2\n1\t0.3\t0.4\n2\t0.5\t0.6\n"
    )
    (root / "image").mkdir()
    (root / "image" / "MEDIAEVAL18_02.csv").write_text("a,b\n1,2\n\n5,6\n")
    with pytest.raises(ValueError, match=r"image\\?/MEDIAEVAL18_02\.csv: row of second 1 empty|MEDIAEVAL18_02\.csv: row of second 1"):
        _load_mediaeval(root, layout="csv", features=("image",))
    with pytest.warns(MissingFeatureWarning):
        bunch = _load_mediaeval(root, layout="csv", features=("image",), missing="ffill")
    assert bunch.feature_names == {"image": ["a", "b"]}
    np.testing.assert_array_equal(bunch.X[0]["image"], [[1, 2], [1, 2], [5, 6]])
    np.testing.assert_allclose(bunch.y[0], [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    with pytest.raises(ValueError, match="layout='official'"):
        _load_mediaeval(root, features=("image",))


def test_mediaeval_parameter_errors(mediaeval_tree, tmp_path):
    for kwargs, message in [
        ({"subset": "train"}, "subset"),
        ({"layout": "hdf5"}, "layout"),
        ({"missing": "zero"}, "missing"),
        ({"ids": ["MOVIE_1"]}, "not a MediaEval 2018 movie id"),
        ({"ids": [70]}, "between 0 and 65"),
    ]:
        with pytest.raises(ValueError, match=message):
            _load_mediaeval(mediaeval_tree, **kwargs)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No MediaEval 2018 movie"):
        _load_mediaeval(tmp_path / "empty")


def test_mediaeval_audio_offset_reads_file_k_as_another_second(mediaeval_tree, tmp_path):
    files = [_audio_value(0, k - 1) for k in range(1, 5)]  # MEDIAEVAL18_00_0000k.csv, k = 1 ... 4
    default = _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",))
    np.testing.assert_allclose(default.X[0]["audio"], files, rtol=1e-6)  # file k = second [k-1, k)
    # audio_offset=1: file k = second [k, k+1); second 0 repeats file 1; file 4 (second 4) has no annotation.
    with pytest.warns(AnnotationLengthWarning, match=r"MEDIAEVAL18_00 \(audio 5, annotations 4 rows\)"):
        later = _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",), audio_offset=1)
    np.testing.assert_allclose(later.X[0]["audio"], [files[0]] + files[:3], rtol=1e-6)
    np.testing.assert_array_equal(later.y[0], default.y[0])
    # audio_offset=-1: file k = second [k-2, k-1); file 1 is dropped and the movie ends a second earlier.
    with pytest.warns(AnnotationLengthWarning, match=r"MEDIAEVAL18_00 \(audio 3, annotations 4 rows\)"):
        earlier = _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",), audio_offset=-1)
    np.testing.assert_allclose(earlier.X[0]["audio"], files[1:], rtol=1e-6)
    np.testing.assert_array_equal(earlier.y[0], default.y[0][:3])
    # The visual files keep file k = second [k-1, k) whatever the audio offset.
    with pytest.warns(AnnotationLengthWarning):
        both = _load_mediaeval(mediaeval_tree, ids=[0], audio_offset=1)
    np.testing.assert_allclose(both.X[0]["visual"][:, :2], [_visual_value(0, "cl", t) for t in range(4)], rtol=1e-6)
    # The parsed files are cached before the offset: one cache serves every offset.
    cache = tmp_path / "cache"
    _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",), cache_dir=cache)
    with pytest.warns(AnnotationLengthWarning):
        cached = _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",), cache_dir=cache, audio_offset=-1)
    np.testing.assert_array_equal(cached.X[0]["audio"], earlier.X[0]["audio"])
    for bad in (0.5, True, 11, "1"):
        with pytest.raises(ValueError, match="audio_offset must be a whole number"):
            _load_mediaeval(mediaeval_tree, audio_offset=bad)
    with pytest.raises(ValueError, match="audio_offset applies to the official"):
        _load_mediaeval(mediaeval_tree, layout="csv", features=("audio",), audio_offset=1)
    with pytest.raises(ValueError, match=r"MEDIAEVAL18_00 audio: 4 audio file\(s\), none left"):
        _load_mediaeval(mediaeval_tree, ids=[0], features=("audio",), audio_offset=-4)


def test_emomusic_songs_info_splits_and_errors(tmp_path):
    _write_emomusic(tmp_path, ["1,0.1,0.2", "2,0.3,0.4"], ["1,0.1,0.2", "2,0.3,0.4"], "song_id,sample_1000ms,sample_1500ms")
    info = tmp_path / "annotations" / "songs_info.csv"
    info.write_text('"song_id","file_name","Mediaeval 2013 set"\n1,"1.mp3","\tdevelopment\t"\n2,"2.mp3","evaluation"\n')
    assert load_emomusic(tmp_path).splits == ["development", "evaluation"]
    info.write_text('"song_id","Mediaeval 2013 set"\n1,"development"\nx,"evaluation"\n')
    with pytest.raises(ValueError, match=r"songs_info\.csv, line 3: song_id 'x'"):
        load_emomusic(tmp_path)


# --------------------------------------------------------------------------------------------
# Four-column targets: valence, arousal and the viewers' standard deviation of each (with_std)
# --------------------------------------------------------------------------------------------
def test_liris_with_std_gives_four_column_targets(tmp_path):
    _write_liris(tmp_path, "A", _rows([0.1, 0.2, 0.3], std=0.25), _rows([-0.1, -0.2], std=0.4))
    with pytest.warns(AnnotationLengthWarning):
        plain = load_liris_accede(tmp_path)
    with pytest.warns(AnnotationLengthWarning):
        four = load_liris_accede(tmp_path, with_std=True)
    np.testing.assert_array_equal(four.y[0], [[0.1, -0.1, 0.25, 0.4], [0.2, -0.2, 0.25, 0.4]])
    np.testing.assert_array_equal(four.y[0], np.hstack([plain.y[0], plain.std[0]]))
    assert as_targets(four.y, four.lengths, with_std=True)[0].shape == (2, 4)


def test_liris_real_with_std(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnnotationLengthWarning)
        four = load_liris_accede(shared_data / "liris-accede-continuous", movies=["Sintel", "Decay"], with_std=True)
    assert [y.shape[1] for y in four.y] == [4, 4]
    for y, std in zip(four.y, four.std):
        np.testing.assert_array_equal(y[:, 2:], std)
        assert (std >= 0).all() and std.max() < 1


def test_emomusic_with_std_generated_and_missing(tmp_path):
    _write_emomusic(tmp_path, ["1,0.1,0.3,0.5,0.7,0.9"], ["1,-0.1,-0.3,-0.5,-0.7,-0.9"], HEADER)
    with pytest.raises(FileNotFoundError, match=r"valence_cont_std\.csv"):
        load_emomusic(tmp_path, with_std=True)
    for axis, row in (("valence", "1,0.2,0.4,0.2,0.4,0.2"), ("arousal", "1,0.1,0.1,0.3,0.3,0.5")):
        (tmp_path / "annotations" / f"{axis}_cont_std.csv").write_text(HEADER + "\n" + row + "\n")
    four = load_emomusic(tmp_path, with_std=True)
    np.testing.assert_allclose(four.y[0], [[0.2, -0.2, 0.3, 0.1], [0.6, -0.6, 0.3, 0.3]])
    clip = load_emomusic(tmp_path, with_std=True, time_origin="clip")
    assert clip.y[0].shape == (3, 4) and np.isnan(clip.y[0][0]).all()
    np.testing.assert_allclose(clip.y[0][1:], four.y[0])


def test_emomusic_real_with_std(emomusic_root):
    four = load_emomusic(emomusic_root, require_audio=True, with_std=True)
    assert len(four.y) == 10 and all(y.shape == (30, 4) for y in four.y)
    for y, std in zip(four.y, four.std):
        np.testing.assert_array_equal(y[:, 2:], std)
        assert (std > 0).all()


def test_make_feature_corpus_writes_learnable_pairs(tmp_path):
    from sklearn_emotion.datasets import make_feature_corpus
    from sklearn_emotion.files import load_features, read_curves

    features, annotations = make_feature_corpus(tmp_path / "corpus", n_movies=3, seconds=12, n_features=4,
                                                random_state=1)
    assert (features, annotations) == (tmp_path / "corpus" / "features", tmp_path / "corpus" / "annotations")
    assert sorted(p.name for p in features.iterdir()) == ["movie_0.npz", "movie_1.npz", "movie_2.npz"]
    for index in range(3):
        image = load_features(features / f"movie_{index}.npz")["image"]
        curves = read_curves(annotations / f"movie_{index}.csv")
        assert image.shape == (12, 4) and curves.shape == (12, 2)
        # The annotations are 0.3 x the first two features plus noise of std 0.05 (written to 6 decimals).
        assert np.abs(curves - np.clip(0.3 * image[:, :2], -1, 1)).max() < 0.25
        assert np.corrcoef(curves[:, 0], image[:, 0])[0, 1] > 0.9
    again, _ = make_feature_corpus(tmp_path / "again", n_movies=3, seconds=12, n_features=4, random_state=1)
    np.testing.assert_array_equal(load_features(again / "movie_2.npz")["image"],
                                  load_features(features / "movie_2.npz")["image"])


def test_make_feature_corpus_rejects_one_feature(tmp_path):
    from sklearn_emotion.datasets import make_feature_corpus

    with pytest.raises(ValueError, match="n_features"):
        make_feature_corpus(tmp_path, n_features=1)
