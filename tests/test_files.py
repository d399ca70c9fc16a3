"""The one I/O module: atomic writes (permissions, failures), the per-second table parser, alignment."""

from __future__ import annotations

import os
import stat
import warnings

import numpy as np
import pytest

from sklearn_emotion.datasets import AnnotationLengthWarning
from sklearn_emotion.files import (
    CURVE_STD_COLUMNS,
    LengthMismatchWarning,
    align_lengths,
    atomic_write_bytes,
    read_annotations,
    read_curves,
    read_table,
    truncate_to_shortest,
    warn_truncated,
    write_curves,
)


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield lambda value: os.umask(value)
    os.umask(previous)


# ------------------------------------------------------------------------------------ atomic writes
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_write_gives_the_permissions_of_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    path = atomic_write_bytes(tmp_path / "new" / "file.bin", lambda out: out.write(b"abc"))
    assert path.read_bytes() == b"abc"
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_saved_models_are_readable_by_the_group_under_umask_022(tmp_path, umask):
    from sklearn_emotion.persistence import write_joblib

    umask(0o022)
    path = write_joblib(tmp_path / "model.joblib", {"a": 1})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"old")

    def fail(out):
        out.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write_bytes(path, fail)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    atomic_write_bytes(path, lambda out: out.write(b"new"))
    assert path.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


# ------------------------------------------------------------------------------------ tables
def test_the_nan_policy_is_explicit(tmp_path):
    path = tmp_path / "m_Valence-Arousal.txt"
    path.write_text("Time\tValence\tArousal\n0\t0.1\tnan\n1\t0.2\t0.3\n")
    table = read_table(path, nan="allow")
    assert table.shape == (2, 2) and np.isnan(table[0, 1]) and table[1, 1] == 0.3
    np.testing.assert_array_equal(read_curves(path), table)
    with pytest.raises(ValueError, match=r"m_Valence-Arousal\.txt, line 2: Arousal value 'nan' is NaN; each value "
                                         r"must be a finite number \(.*nan is not accepted"):
        read_table(path, nan="reject")
    with pytest.raises(TypeError):
        read_table(path)  # no default: every caller says what NaN means in its files
    with pytest.raises(ValueError, match="nan must be 'allow' or 'reject'"):
        read_table(path, nan="ignore")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"line 1: expected the header 'Time Mean Std', the file is empty"),
        ("Time Valence Arousal\n", r"line 1: expected the header 'Time Mean Std', got 'Time Valence Arousal'"),
        ("time,mean,std\n0,0.1,0.2\nnan,0.1,0.2\n", r"line 3: Time is nan .* so 1 was expected"),
        ("Time;Mean;Std\n0;inf;0.2\n",
         r"line 2: Mean value 'inf' is infinite; each value must be a finite number, or nan for a second without"),
        ("Time Mean Std\n0 0.1\n", r"line 2: expected 3 values \(Time, Mean, Std\), got 2"),
        ("Time Mean Std\n\n", r"t\.txt: the file has a header but no data row"),
    ],
)
def test_table_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "t.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_table(path, ("Time", "Mean", "Std"), nan="allow")


def test_infinity_is_refused_even_where_nan_is_allowed(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Time,Valence,Arousal\n0,-inf,0.1\n")
    with pytest.raises(ValueError, match=r"p\.csv, line 2: Valence value '-inf' is infinite; each value must be a "
                                         r"finite number, or nan for a second without a value\.$"):
        read_curves(path)
    # Where NaN is refused too (e.g. predictions to score), the message does not suggest it.
    with pytest.raises(ValueError, match=r"line 2: Valence value '-inf' is infinite; .*nan is not accepted either"):
        read_curves(path, nan="reject")
    path.write_text("Time,Valence,Arousal\n0,nan,0.1\n")
    assert np.isnan(read_curves(path)[0, 0])
    with pytest.raises(ValueError, match=r"line 2: Valence value 'nan' is NaN; each value must be a finite number"):
        read_curves(path, nan="reject")
    with pytest.raises(FileNotFoundError, match=r"absent\.csv"):
        read_curves(tmp_path / "absent.csv")


def test_curve_tables_with_the_viewers_std_round_trip(tmp_path):
    curves = np.array([[0.1, -0.2], [0.3, np.nan], [-0.5, 0.4]])
    std = np.array([[0.2, 0.3], [0.25, np.nan], [0.0, 0.5]])
    path = write_curves(tmp_path / "m.csv", curves, std=std)
    assert path.read_text().splitlines()[:2] == ["Time,Valence,Arousal,Valence_std,Arousal_std",
                                                 "0,0.100000,-0.200000,0.200000,0.300000"]
    np.testing.assert_array_equal(read_curves(path, with_std=True), np.hstack([curves, std]))
    np.testing.assert_array_equal(read_curves(path), curves)             # the std columns are optional
    np.testing.assert_array_equal(read_annotations(tmp_path, "m", with_std=True), np.hstack([curves, std]))
    four = write_curves(tmp_path / "four.csv", np.hstack([curves, std]))  # a (T, 4) array: the same table
    assert four.read_text() == path.read_text()
    plain = write_curves(tmp_path / "plain.csv", curves)                 # without std: the header of old
    assert plain.read_text().splitlines()[0] == "Time,Valence,Arousal"
    both = read_curves(plain, with_std=True)
    np.testing.assert_array_equal(both[:, :2], curves)
    assert both.shape == (3, 4) and np.isnan(both[:, 2:]).all()
    tab = tmp_path / "t.txt"
    tab.write_text("time\tvalence\tarousal\tvalence_std\tarousal_std\n0\t0.1\t0.2\t0.3\t0.4\n")  # case-insensitive
    np.testing.assert_array_equal(read_curves(tab, with_std=True), [[0.1, 0.2, 0.3, 0.4]])
    assert CURVE_STD_COLUMNS == ("Time", "Valence", "Arousal", "Valence_std", "Arousal_std")


def test_std_columns_errors(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("Time,Valence,Arousal,Valence_std,Arousal_std\n0,0.1,0.2,0.3,0.4\n\n1,0.1,0.2,0.3,-0.4\n")
    with pytest.raises(ValueError, match=r"n\.csv, line 4: Arousal_std value -0.4 is negative"):
        read_curves(path)
    short = tmp_path / "s.csv"
    short.write_text("Time,Valence,Arousal,Valence_std,Arousal_std\n0,0.1,0.2,0.3\n")
    with pytest.raises(ValueError, match=r"s\.csv, line 2: expected 5 values"):
        read_curves(short)
    with pytest.raises(ValueError, match="std must have the shape of"):
        write_curves(tmp_path / "w.csv", np.zeros((3, 2)), std=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="a standard deviation is negative"):
        write_curves(tmp_path / "w.csv", np.zeros((3, 2)), std=-np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(T, 2\) or \(T, 4\)"):
        write_curves(tmp_path / "w.csv", np.zeros((3, 3)))


# ------------------------------------------------------------------------------------ alignment
def test_one_warning_class_under_both_names():
    assert AnnotationLengthWarning is LengthMismatchWarning
    with pytest.warns(AnnotationLengthWarning, match=r"^2 LIRIS movie\(s\) .*: A \(valence 3, arousal 2 rows\); B"):
        warn_truncated({"A": {"valence": 3, "arousal": 2}, "B": {"valence": 1, "arousal": 4}}, "LIRIS")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_truncated({})  # nothing truncated, nothing said


def test_truncate_to_shortest_cuts_arrays_and_movies():
    movie = {"image": np.arange(10).reshape(5, 2), "audio": np.arange(5)[:, None]}
    cut, lengths = truncate_to_shortest({"features": movie, "annotations": np.zeros((3, 2))})
    assert lengths == {"features": 5, "annotations": 3}
    assert {k: v.shape for k, v in cut["features"].items()} == {"image": (3, 2), "audio": (3, 1)}
    np.testing.assert_array_equal(cut["features"]["image"], movie["image"][:3])
    same, none = truncate_to_shortest({"a": np.ones((4, 1)), "b": np.ones((4, 2))})
    assert none == {} and same["b"].shape == (4, 2)


def test_align_lengths_names_each_movie_with_both_lengths():
    movies = [{"image": np.ones((6, 2))}, {"image": np.ones((4, 2))}]
    targets = [np.zeros((5, 2)), np.zeros((4, 2))]
    with pytest.warns(LengthMismatchWarning, match=r"^1 movie\(s\) .*: m0 \(features 6, annotations 5 rows\)\.$"):
        out_movies, out_targets = align_lengths(["m0", "m1"], movies, targets)
    assert [len(m["image"]) for m in out_movies] == [5, 4] and [len(t) for t in out_targets] == [5, 4]
