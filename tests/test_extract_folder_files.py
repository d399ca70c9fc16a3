"""files.py: named errors for damaged feature files and failed writes, stale temporaries, hidden files."""

from __future__ import annotations

import errno
import io
import os
import zipfile

import numpy as np
import pytest

from sklearn_emotion import files
from sklearn_emotion.files import atomic_write_bytes, find_files, load_features, remove_temporaries, save_features


# ------------------------------------------------------------------------------ 10. damaged feature files
def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD = _npz_bytes(image=np.zeros((3, 2), np.float32), audio=np.zeros((3, 4), np.float32))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"the feature file is empty \(0 bytes\)"),
        (GOOD[: len(GOOD) // 2], r"damaged or truncated \.npz feature file"),
        (GOOD[:40], r"damaged or truncated \.npz feature file"),
        (b"Time,Valence,Arousal\n0,0.1,0.2\n", r"not an \.npz feature file \(a NumPy zip archive of arrays\)"),
        (_npz_bytes(image=np.zeros((0, 2), np.float32)), r"has no rows \(0 seconds\)"),
        (_npz_bytes(image=np.zeros((3, 2)), audio=np.zeros((4, 2))), r"different numbers of seconds"),
        (_npz_bytes(image=np.zeros(3)), r"must be 2-D"),
        (_npz_bytes(), r"holds no array"),
        (_npz_bytes(image=np.array([{"a": 1}], dtype=object)), r"not a feature file of numeric arrays"),
    ],
    ids=["empty", "truncated", "cut-header", "text", "no-rows", "lengths", "1-D", "no-array", "pickled"],
)
def test_every_bad_feature_file_is_a_value_error_naming_it(tmp_path, content, message):
    path = tmp_path / "movie.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as raised:
        load_features(path)
    assert str(path) in str(raised.value)
    assert "allow_pickle" not in str(raised.value) or "numeric arrays" in message


def test_a_single_npy_array_is_told_apart(tmp_path):
    path = tmp_path / "movie.npz"
    with path.open("wb") as handle:
        np.save(handle, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"movie\.npz: a single NumPy array \(\.npy\)"):
        load_features(path)


def test_a_zip_that_is_not_an_npz_is_refused(tmp_path):
    path = tmp_path / "movie.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"movie\.npz: not a feature file of numeric arrays"):
        load_features(path)


# ------------------------------------------------------------------------------ 11. failed writes name the file
def test_a_full_disk_names_the_file_keeps_errno_and_leaves_no_temporary(tmp_path, monkeypatch):
    (tmp_path / "movie.npz").write_bytes(GOOD)

    class FullDisk(io.FileIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as the system raises it: no file name

    monkeypatch.setattr(files.os, "fdopen", lambda handle, mode: FullDisk(handle, "wb"))
    with pytest.raises(OSError) as raised:
        save_features(tmp_path / "movie.npz", {"image": np.ones((5, 2), np.float32)})
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == os.fspath(tmp_path / "movie.npz")
    assert "No space left on device" in str(raised.value) and "movie.npz" in str(raised.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["movie.npz"]  # the temporary file is gone
    assert (tmp_path / "movie.npz").read_bytes() == GOOD  # the previous file is intact


def test_a_name_too_long_names_the_destination(tmp_path):
    path = tmp_path / ("m" * 300 + ".csv")
    with pytest.raises(OSError) as raised:
        atomic_write_bytes(path, lambda out: out.write(b"x"))
    assert raised.value.errno == errno.ENAMETOOLONG and raised.value.filename == os.fspath(path)
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_name_fits_wherever_the_destination_fits(tmp_path):
    path = tmp_path / ("m" * 251 + ".npz")  # 255 characters: the longest name most file systems take
    atomic_write_bytes(path, lambda out: out.write(b"x"))
    assert path.read_bytes() == b"x"


# ------------------------------------------------------------------------------ 14. stale temporaries
def test_remove_temporaries_removes_only_the_package_s_own(tmp_path):
    def kept_by_kill(name):  # what a process killed inside atomic_write_bytes leaves
        handle, temporary = files._create_beside(tmp_path / name)
        os.close(handle)
        return temporary

    stale = [kept_by_kill("movie.npz"), kept_by_kill("features.json"), kept_by_kill("x" * 250 + ".npz")]
    others = [tmp_path / n for n in ("notes.tmp", ".notes.tmp", ".a.0123456789abcdef.txt", "a.0123456789abcdef.tmp",
                                     ".a.0123456789ABCDEF.tmp", "movie.npz")]
    for path in others:
        path.write_text("someone's")
    assert sorted(remove_temporaries(tmp_path)) == sorted(stale)
    assert sorted(tmp_path.iterdir()) == sorted(others)
    assert remove_temporaries(tmp_path / "absent") == []


# ------------------------------------------------------------------------------ 15. hidden files
def test_folder_expansion_skips_hidden_files_but_takes_named_ones(tmp_path):
    for name in ("a.mp4", "._a.mp4", ".b.mp4", "c.MP4"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in find_files([tmp_path], (".mp4",), "video file")] == ["a.mp4", "c.MP4"]
    assert [p.name for p in find_files([tmp_path / "._a.mp4"], (".mp4",), "video file")] == ["._a.mp4"]
    (tmp_path / "a.mp4").unlink()
    (tmp_path / "c.MP4").unlink()
    with pytest.raises(FileNotFoundError, match="No video file"):  # only hidden ones: none
        find_files([tmp_path], (".mp4",), "video file")


@pytest.mark.parametrize("content, message", [(b"", "is empty"), (GOOD[:100], "damaged or truncated"),
                                              (_npz_bytes(image=np.zeros((0, 2), np.float32)), "has no rows")])
def test_fit_names_the_bad_feature_file(tmp_path, capsys, content, message):
    from sklearn_emotion.cli import main

    features, annotations = tmp_path / "features", tmp_path / "annotations"
    features.mkdir()
    annotations.mkdir()
    for movie in ("a", "b"):
        (features / f"{movie}.npz").write_bytes(_npz_bytes(image=np.zeros((3, 2), np.float32)))
        (annotations / f"{movie}.csv").write_text("Time,Valence,Arousal\n0,0,0\n1,0,0\n2,0,0\n")
    (features / "b.npz").write_bytes(content)
    code = main(["fit", os.fspath(features), os.fspath(annotations), "-o", os.fspath(tmp_path / "m.joblib")])
    err = capsys.readouterr().err
    assert code == 1 and f"{features / 'b.npz'}: " in err and message in err and "unexpected" not in err
