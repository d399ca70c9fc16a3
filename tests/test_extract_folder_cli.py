"""`sklearn-emotion extract` and its folder: other settings, OS errors, long names, stale temporaries, hidden files."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_cli_extract import _manifest, _movie, _run, weight_free  # noqa: E402,F401  (weight_free: a fixture)

from sklearn_emotion import feature_folder  # noqa: E402
from sklearn_emotion.cli import main  # noqa: E402
from sklearn_emotion.files import load_features  # noqa: E402
from sklearn_emotion.media.decoding import DEFAULT_FRAME_SELECTION  # noqa: E402

OTHER = ("--audio", "none")  # other settings than the weight-free default (colour-layout + descriptors)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return [_movie(folder / f"movie_{i}.mp4", 4 + i, 300.0 + 40 * i) for i in range(3)]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.npz"))}


# ------------------------------------------------------------------------------ 1. other settings, same folder
def test_a_run_with_other_settings_into_a_folder_being_filled_is_refused(weight_free, corpus, capsys, monkeypatch):
    """While run A fills F (one movie saved, more to come), run B with other settings into F is refused."""
    movies = weight_free / "movies"
    movies.mkdir()
    for movie in corpus:
        shutil.copy(movie, movies)
    save, second = feature_folder.FeatureFolder.save, {}

    def save_then_start_another_run(self, movie, *args, **kwargs):
        save(self, movie, *args, **kwargs)
        if not second:  # between A's first and second movie
            second["code"] = main([
                "extract", os.fspath(movies), "-o", "features", *OTHER, "--no-progress"])
            second["output"] = capsys.readouterr()
            second["after"] = _snapshot(weight_free / "features")

    monkeypatch.setattr(feature_folder.FeatureFolder, "save", save_then_start_another_run)
    code, out, err = _run(capsys, "extract", movies, "-o", "features")
    assert second["code"] == 1, second["output"]
    assert "other settings" in second["output"].err and "--overwrite" in second["output"].err
    assert list(second["after"]) == ["movie_0.npz"]  # B wrote nothing
    assert code == 0, err
    assert sorted(_manifest(weight_free / "features")["movies"]) == [m.stem for m in corpus]
    for movie in corpus:  # every movie has A's features (image and audio), none B's
        assert sorted(load_features(weight_free / "features" / f"{movie.stem}.npz")) == ["audio", "image"]


def test_a_folder_without_features_json_is_judged_by_its_records(weight_free, corpus, capsys):
    code, _, err = _run(capsys, "extract", corpus[0], "-o", "features")
    assert code == 0, err
    folder = weight_free / "features"
    (folder / "features.json").unlink()  # e.g. a run killed before it wrote it
    before = _snapshot(folder)
    code, out, err = _run(capsys, "extract", corpus[0], corpus[1], "-o", "features", *OTHER)
    assert code == 1 and "has no (readable) features.json" in err and "other settings" in err and "--overwrite" in err
    assert "Extracting" not in out
    assert _snapshot(folder) == before  # nothing overwritten, nothing added
    # The same settings resume (the record counts), and write the manifest again.
    code, out, err = _run(capsys, "extract", corpus[0], corpus[1], "-o", "features")
    assert code == 0 and "1 movie(s) already extracted" in out, err
    assert sorted(_manifest(folder)["movies"]) == [corpus[0].stem, corpus[1].stem]


def test_mixed_or_unrecorded_feature_files_are_refused_unless_overwrite(weight_free, corpus, capsys):
    folder = weight_free / "features"
    assert _run(capsys, "extract", corpus[0], "-o", "features")[0] == 0
    (folder / "features.json").unlink()
    np.savez(folder / "hand_made.npz", image=np.zeros((3, 2), np.float32))  # no record: settings unknown
    code, _, err = _run(capsys, "extract", corpus[0], "-o", "features")
    assert code == 1 and "unknown settings" in err
    code, out, err = _run(capsys, "extract", corpus[1], "-o", "features", *OTHER, "--overwrite")
    assert code == 0, err
    assert _manifest(folder)["feature_spec"] == {"image": {"backbone": "colour-layout",
                                                           "frame_selection": DEFAULT_FRAME_SELECTION}}
    assert list(_manifest(folder)["movies"]) == [corpus[1].stem]


def test_the_settings_are_recorded_before_the_first_movie_and_checked_per_movie(tmp_path):
    """A run whose folder was taken over (--overwrite) under it fails each movie it has left, saving none."""
    spec_a, spec_b = ({"image": {"backbone": name, "frame_selection": "exact"}} for name in "ab")
    run_a, run_b = feature_folder.FeatureFolder(tmp_path), feature_folder.FeatureFolder(tmp_path)
    run_a.claim(spec_a, "error")
    assert feature_folder.read_folder_settings(tmp_path) == {"feature_spec": spec_a, "missing_audio": "error"}
    features = {"image": np.ones((3, 2), np.float32)}
    run_a.save("one", features, source=tmp_path / "one.mp4", content="1", spec=spec_a)
    with pytest.raises(feature_folder.FolderSettingsError, match="other settings"):
        run_b.claim(spec_b, "silence")
    run_b.claim(spec_b, "silence", overwrite=True)
    with pytest.raises(feature_folder.FolderSettingsError, match=r"took the folder over while two was extracted"):
        run_a.save("two", features, source=tmp_path / "two.mp4", content="2", spec=spec_a)
    assert not (tmp_path / "two.npz").exists() and run_a.record("two") is None
    assert run_a.write_manifest(spec_a)["movies"].keys() == {"one"}  # counted, but B's manifest stays
    assert feature_folder.read_folder_settings(tmp_path)["feature_spec"] == spec_b


# ------------------------------------------------------------------------------ 11. OS errors
def test_an_existing_file_as_output_is_one_clear_error(weight_free, corpus, capsys):
    (weight_free / "taken").write_text("not a folder")
    code, out, err = _run(capsys, "extract", corpus[0], "-o", "taken")
    assert code == 1 and "taken: a file of that name exists" in err and "Errno" not in err
    code, out, err = _run(capsys, "extract", corpus[0], "-o", "taken/features")  # a file in the way
    assert code == 1 and "taken" in err and "Extracting" not in out


def test_a_read_only_output_folder_is_found_before_any_movie(weight_free, corpus, capsys, monkeypatch):
    """Root ignores permissions, so the refusal of the system is faked where files are created."""
    import sklearn_emotion.extraction as extraction
    import sklearn_emotion.files as files

    create = files._create_beside

    def read_only(path):
        if "features" in path.parts:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path.parent))
        return create(path)

    monkeypatch.setattr(files, "_create_beside", read_only)
    monkeypatch.setattr(extraction, "feature_union", lambda *a, **k: pytest.fail("extracted before the check"))
    code, out, err = _run(capsys, "extract", corpus[0], "-o", "features")
    assert code == 1 and "Permission denied" in err and "cannot write into the folder" in err and "features" in err
    assert "Extracting" not in out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_output_folder(weight_free, corpus, capsys):
    (weight_free / "features").mkdir(mode=0o555)
    code, out, err = _run(capsys, "extract", corpus[0], "-o", "features")
    assert code == 1 and "Permission denied" in err and "Extracting" not in out


@contextlib.contextmanager
def _tmpfs(where, options, why_skipped):
    """A tmpfs mounted at ``where`` with ``options`` (root only, where mounting is allowed), unmounted after."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(f"mounting a tmpfs needs root; {why_skipped}")
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", os.fspath(where)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", os.fspath(where)], check=False)


@pytest.fixture
def full_disk(tmp_path):
    """A real full file system: a 256 KiB tmpfs filled to the last byte."""
    with _tmpfs(tmp_path / "tiny", "size=256k", "test_a_full_disk_names_the_file... fakes ENOSPC everywhere") as disk:
        (disk / "features").mkdir()
        handle = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        with pytest.raises(OSError):
            while True:
                os.write(handle, b"\0" * 512)
        os.close(handle)
        yield disk


def test_a_really_full_disk_fails_each_movie_alone_naming_the_file(weight_free, corpus, capsys, full_disk):
    output = full_disk / "features"
    # No room for the settings recorded before the first movie: an error before anything is extracted.
    code, out, err = _run(capsys, "extract", corpus[0], corpus[1], "-o", output)
    assert code == 1 and f"No space left on device: '{output / 'features.json'}'" in err and "Extracting" not in out
    # Room for the settings (one 4 KiB page) but not for a movie: each movie fails alone, naming its file.
    filler = full_disk / "filler"
    os.truncate(filler, filler.stat().st_size - 4096)
    code, out, err = _run(capsys, "extract", corpus[0], corpus[1], "-o", output)
    assert code == 1 and "Extracting 2 movie(s)" in out and "2 movie(s) failed" in err, err
    for movie in corpus[:2]:
        assert f"No space left on device: '{output / movie.stem}.npz'" in err
    assert not [p for p in output.rglob("*") if p.name.endswith(".tmp")]  # no temporary file left behind
    filler.unlink()
    code, out, err = _run(capsys, "extract", corpus[0], corpus[1], "-o", output)
    assert code == 0 and "Features of 2 of 2 movie(s)" in out, err


def test_a_read_only_file_system_even_for_root(weight_free, corpus, capsys, tmp_path):
    """The real refusal of the system, which root gets too: a tmpfs mounted read-only (root only)."""
    covered = "test_a_really_read_only_output_folder covers other users"
    with _tmpfs(tmp_path / "read_only", "ro,size=64k", covered) as disk:
        code, out, err = _run(capsys, "extract", corpus[0], "-o", disk / "features")
        assert code == 1 and "Read-only file system" in err and os.fspath(disk / "features") in err
        assert "Extracting" not in out
        code, out, err = _run(capsys, "extract", corpus[0], "-o", disk)  # the folder exists, its files cannot
        assert code == 1 and "Read-only file system" in err and "cannot write into the folder" in err
        assert "Extracting" not in out


# ------------------------------------------------------------------------------ 12. a name too long
def test_a_movie_whose_name_is_too_long_fails_alone(weight_free, corpus, capsys):
    movies = weight_free / "movies"
    movies.mkdir()
    shutil.copy(corpus[0], movies)
    long = movies / ("m" * 251 + ".mp4")  # fits, but its record <name>.json does not (256 characters)
    shutil.copy(corpus[1], long)
    code, out, err = _run(capsys, "extract", movies, "-o", "features")
    assert code == 1, err
    assert "1 movie(s) failed" in err and long.name in err and "File name too long" in err
    assert "Features of 1 of 2 movie(s)" in out
    folder = weight_free / "features"
    assert [p.name for p in folder.glob("*.npz")] == [f"{corpus[0].stem}.npz"]  # no feature file without a record
    assert list(_manifest(folder)["movies"]) == [corpus[0].stem]


# ------------------------------------------------------------------------------ 14. stale temporaries
def test_stale_temporary_files_are_removed_on_the_next_run(weight_free, corpus, capsys):
    folder = weight_free / "features"
    assert _run(capsys, "extract", corpus[0], "-o", "features")[0] == 0
    mine = [folder / "notes.tmp", folder / ".notes.tmp", folder / ".x.0123456789abcdef.txt"]
    for path in mine:
        path.write_text("not the package's")
    for movies in ([corpus[0], corpus[1]], [corpus[0]]):  # a run with movies to extract, then one with none
        stale = [folder / f".{corpus[2].stem}.npz.0123456789abcdef.tmp", folder / ".features.json.fedcba9876543210.tmp",
                 folder / ".records" / f".{corpus[2].stem}.json.00112233aabbccdd.tmp"]
        for path in stale:
            path.write_bytes(b"half a file")  # what a SIGKILL during a write leaves
        code, _, err = _run(capsys, "extract", *movies, "-o", "features")
        assert code == 0, err
        assert not any(path.exists() for path in stale)
        assert all(path.exists() for path in mine)


# ------------------------------------------------------------------------------ 15. hidden files
def test_hidden_files_of_a_folder_are_not_movies(weight_free, corpus, capsys):
    movies = weight_free / "movies"
    movies.mkdir()
    shutil.copy(corpus[0], movies)
    (movies / f"._{corpus[0].name}").write_bytes(b"\x00\x05\x16\x07" + bytes(100))  # macOS AppleDouble
    shutil.copy(corpus[1], movies / ".hidden.mp4")
    code, out, err = _run(capsys, "extract", movies, "-o", "features")
    assert code == 0 and "Features of 1 of 1 movie(s)" in out, err
    code, out, err = _run(capsys, "extract", movies / ".hidden.mp4", "-o", "features")  # named: taken
    assert code == 0 and (weight_free / "features" / ".hidden.npz").is_file(), err
