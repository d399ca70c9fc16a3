"""Raters' traces and their merge (issue 21): trace files, per-second means, mean/std across raters,
normalisation, lag compensation, and `sklearn-emotion annotations merge` on a folder."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pytest

from sklearn_emotion.annotation import merge_raters, read_trace, shift_earlier, trace_to_seconds, write_trace
from sklearn_emotion.cli import main
from sklearn_emotion.files import read_annotations, read_curves, write_curves
from sklearn_emotion.workflows.annotations import merge_annotation_folder


# ------------------------------------------------------------------------------------ trace files
def test_a_trace_round_trips_with_nan_for_a_dimension_not_rated(tmp_path):
    trace = np.array([[0.05, 0.1, np.nan], [0.5, 0.3, 0.2], [1.25, -1.0, 1.0], [3.9, 0.5, np.nan]])
    path = write_trace(tmp_path / "alice" / "movie.trace.csv", trace)
    assert path.read_text().splitlines()[:2] == ["video_time,valence,arousal", "0.050000,0.100000,nan"]
    np.testing.assert_array_equal(read_trace(path), trace)
    assert read_trace(write_trace(tmp_path / "empty.trace.csv", np.zeros((0, 3)))).shape == (0, 3)


@pytest.mark.parametrize("body, message", [
    ("video_time,valence\n", "line 1: expected the header 'video_time valence arousal'"),
    ("video_time,valence,arousal\n0.1,0.2,0.3\n0.2,x,0.3\n", "line 3: valence value 'x' is not a number"),
    ("video_time,valence,arousal\n-0.1,0.2,0.3\n", "line 2: video_time '-0.1' must be a finite"),
    ("video_time,valence,arousal\nnan,0.2,0.3\n", "line 2: video_time 'nan' must be a finite"),
    ("video_time,valence,arousal\n0.1,0.2,1.5\n", "line 2: arousal value '1.5' lies outside"),
    ("video_time,valence,arousal\n0.1,0.2\n", "line 2: expected 3 values"),
])
def test_a_malformed_trace_is_an_error_naming_file_and_line(tmp_path, body, message):
    path = tmp_path / "bad.trace.csv"
    path.write_text(body)
    with pytest.raises(ValueError, match=message) as error:
        read_trace(path)
    assert str(path) in str(error.value)


def test_trace_to_seconds_is_the_mean_of_the_samples_of_each_second():
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 7.5, 200))
    values = rng.uniform(-1, 1, (200, 2))
    values[rng.random((200, 2)) < 0.2] = np.nan
    values[(times >= 3) & (times < 4), 1] = np.nan  # second 3's arousal not rated
    trace = np.column_stack([times, values])
    seconds = trace_to_seconds(trace)
    assert seconds.shape == (8, 2)
    for t in range(8):
        for d in range(2):
            inside = values[(times >= t) & (times < t + 1), d]
            inside = inside[~np.isnan(inside)]
            expected = inside.mean() if len(inside) else np.nan
            np.testing.assert_allclose(seconds[t, d], expected, equal_nan=True)
    assert np.isnan(seconds[3, 1])
    padded = trace_to_seconds(trace, duration=10.2)  # the 10 whole seconds, the unplayed ones NaN
    assert padded.shape == (10, 2) and np.isnan(padded[8:]).all()
    np.testing.assert_array_equal(padded[:8], seconds)
    assert trace_to_seconds(trace, duration=5.0).shape == (5, 2)  # samples at or after 5 s ignored


def test_the_per_second_file_keeps_unrated_seconds_as_nan(tmp_path):
    seconds = np.array([[0.2, np.nan], [np.nan, np.nan], [-0.5, 0.25]])
    path = write_curves(tmp_path / "alice" / "movie.csv", seconds)
    assert path.read_text().splitlines()[0] == "Time,Valence,Arousal"
    np.testing.assert_array_equal(read_curves(path), seconds)


# ------------------------------------------------------------------------------------ merge_raters
def _raters(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    raters = {name: rng.uniform(-1, 1, (seconds, 2)) for name, seconds in (("alice", 40), ("bob", 35), ("carol", 40))}
    raters["carol"][5:9, 0] = np.nan  # a pause
    raters["bob"][0:3] = np.nan
    return raters


def test_mean_and_std_equal_a_direct_numpy_computation():
    raters = _raters()
    merged = merge_raters(raters)
    stacked = np.full((40, 3, 2), np.nan)  # raters of different lengths padded with NaN
    for column, values in enumerate(raters.values()):
        stacked[: len(values), column] = values
    counts = (~np.isnan(stacked)).sum(axis=1)
    with warnings.catch_warnings():  # nanstd of one value: "Degrees of freedom <= 0"
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(stacked, axis=1)
        std = np.where(counts >= 2, np.nanstd(stacked, axis=1, ddof=1), np.nan)
    assert merged.raters == ("alice", "bob", "carol")
    np.testing.assert_allclose(merged.mean, mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(merged.std, std, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(merged.n_rated, counts)
    assert np.isnan(merged.std[35:, :]).sum() == 0 and counts[35:].min() == 2  # bob stopped at 35 s
    np.testing.assert_allclose(merged.curves, np.hstack([mean, std]), atol=1e-12)
    assert merged.lags is None and set(merged.agreement) == {"valence", "arousal"}


def test_a_second_rated_by_one_rater_has_a_mean_but_no_std_and_one_rater_is_refused():
    a, b = np.array([[0.2, 0.1], [0.4, np.nan]]), np.array([[0.4, 0.3], [np.nan, np.nan]])
    merged = merge_raters([a, b])
    np.testing.assert_allclose(merged.mean, [[0.3, 0.2], [0.4, np.nan]])
    np.testing.assert_allclose(merged.std, [[np.sqrt(0.02), np.sqrt(0.02)], [np.nan, np.nan]])
    with pytest.raises(ValueError, match="at least 2 raters, got 1 .alice."):
        merge_raters({"alice": a})


def test_normalisation_per_rater():
    rng = np.random.default_rng(1)
    truth = rng.normal(0, 0.2, (60, 2))
    raters = {"low": truth - 0.3, "high": 2 * truth + 0.4}
    centred = merge_raters(raters, normalize="center")
    for column in range(2):
        assert np.nanmean(centred.ratings[:, column], axis=0) == pytest.approx([0, 0], abs=1e-12)
    zscored = merge_raters(raters, normalize="zscore")
    np.testing.assert_allclose(zscored.ratings[:, 0], zscored.ratings[:, 1], atol=1e-12)  # same curve, other scale
    assert zscored.std == pytest.approx(np.zeros((60, 2)), abs=1e-12)
    # the agreement is the raters' own, before normalising: the offsets and scales it would hide stay visible
    raw = merge_raters(raters).agreement
    assert zscored.agreement == raw and centred.agreement == raw
    assert raw["valence"]["ICC(2,1)"] < 0.9 and raw["valence"]["mean_pearson"] == pytest.approx(1.0)
    assert raw["valence"]["mean_ccc"] < 0.9
    lagged = {name: np.vstack([np.full((2 * i, 2), np.nan), values[: 60 - 2 * i]]) for i, (name, values)
              in enumerate(raters.items())}
    assert merge_raters(lagged, normalize="zscore", max_lag=4).agreement == merge_raters(lagged, max_lag=4).agreement
    with pytest.raises(ValueError, match="rater flat's valence is constant"):
        merge_raters({"flat": np.zeros((10, 2)), "other": truth[:10]}, normalize="zscore")
    with pytest.raises(ValueError, match="normalize must be one of"):
        merge_raters(raters, normalize="minmax")


def test_shift_earlier_moves_a_late_rating_back():
    values = np.array([0.0, 1.0, 2.0, 3.0, np.nan, 5.0])
    np.testing.assert_array_equal(shift_earlier(values, 2), [2.0, 3.0, np.nan, 5.0, np.nan, np.nan])
    np.testing.assert_array_equal(shift_earlier(values, 0.5), [0.5, 1.5, 2.5, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(shift_earlier(values, 0), values)


def test_lag_compensation_aligns_late_raters_and_reports_their_lags():
    rng = np.random.default_rng(2)
    curve = np.cumsum(rng.normal(0, 0.05, (200, 2)), axis=0)
    raters = {}
    for name, lag in (("early", 0), ("late", 3), ("later", 5)):
        late = np.full((200, 2), np.nan)
        late[lag:] = curve[: 200 - lag]
        raters[name] = late + rng.normal(0, 0.01, (200, 2))
    merged = merge_raters(raters, max_lag=8)
    np.testing.assert_allclose(merged.lags, [[0, 0], [3, 3], [5, 5]], atol=0.3)
    unshifted = merge_raters(raters)
    # aligned, the raters disagree only by their noise
    assert np.nanmean(merged.std) < 0.03 < np.nanmean(unshifted.std)
    assert merged.agreement["arousal"]["ICC(2,1)"] > unshifted.agreement["arousal"]["ICC(2,1)"]


def test_a_rater_who_rated_one_dimension_only_is_left_out_of_the_other():
    rng = np.random.default_rng(4)
    curve = np.cumsum(rng.normal(0, 0.05, (120, 2)), axis=0)
    both = {name: np.vstack([np.full((lag, 2), np.nan), curve[: 120 - lag]]) + rng.normal(0, 0.01, (120, 2))
            for name, lag in (("a", 0), ("b", 2))}
    valence_only = np.vstack([np.full((3, 2), np.nan), curve[:117]]) + rng.normal(0, 0.01, (120, 2))
    valence_only[:, 1] = np.nan  # annotate --dimension valence
    merged = merge_raters({**both, "v": valence_only}, max_lag=6)
    np.testing.assert_allclose(merged.lags[:, 0], [0, 2, 3], atol=0.3)
    assert np.isnan(merged.lags[2, 1]) and merged.lags[1, 1] == pytest.approx(2, abs=0.3)
    assert merged.agreement["arousal"]["ICC(3,k)"] > 0.9  # the two raters of arousal
    assert np.isnan(merged.rater_correlations[2, 1]) and merged.rater_correlations[2, 0] > 0.9
    assert merged.n_rated[10:110, 1].max() == 2


# ------------------------------------------------------------------------------------ the folder and the command
def _folder(tmp_path, lags=(0, 0, 0), seconds=50, movies=("m1", "m2")):
    rng = np.random.default_rng(3)
    folder = tmp_path / "ratings"
    truths = {}
    for movie in movies:
        t = np.arange(seconds)
        truths[movie] = np.column_stack([0.6 * np.sin(t / 6 + rng.uniform(0, 3)), 0.5 * np.cos(t / 8)])
        for rater, lag in zip(("alice", "bob", "carol"), lags):
            values = np.full((seconds, 2), np.nan)
            values[lag:] = truths[movie][: seconds - lag] + rng.normal(0, 0.03, (seconds - lag, 2))
            write_curves(folder / rater / f"{movie}.csv", np.clip(values, -1, 1))
            write_trace(folder / rater / f"{movie}.trace.csv", np.array([[0.5, 0.1, 0.1]]))  # not read by merge
    (folder / "bob" / "m1.journal").write_text("{}\n")
    return folder, truths


def test_merge_writes_annotations_that_fit_reads_with_their_std(tmp_path):
    folder, truths = _folder(tmp_path)
    lines = []
    merged = merge_annotation_folder(folder, tmp_path / "annotations", echo=lines.append)
    assert sorted(merged) == ["m1", "m2"]
    for movie, truth in truths.items():
        annotated = read_annotations(tmp_path / "annotations", movie, with_std=True)  # as fit reads it
        assert annotated.shape == (50, 4)
        np.testing.assert_allclose(annotated[:, :2], merged[movie].mean, atol=1e-6)
        np.testing.assert_allclose(annotated[:, 2:], merged[movie].std, atol=1e-6)
        assert np.abs(annotated[:, :2] - truth).max() < 0.1  # the mean of 3 noisy raters follows the truth
    header = (tmp_path / "annotations" / "agreement.csv").read_text().splitlines()
    # the ICC columns hold commas: quoted (pandas.read_csv and csv.reader read them as one column each)
    assert header[0].startswith('movie,dimension,raters,seconds,"ICC(1,1)","ICC(2,1)",') and len(header) == 5
    assert header[1].startswith("m1,valence,3,50,0.9")
    raters = (tmp_path / "annotations" / "raters.csv").read_text().splitlines()
    assert raters[0] == "movie,dimension,rater,correlation,lag" and len(raters) == 1 + 2 * 2 * 3
    assert any("ICC(3,k)" in line for line in lines) and not any("below" in line for line in lines)
    assert "Agreement of the ratings as rated (shifted by their lags, not normalised):" in lines


def test_a_rater_who_ignored_the_movie_is_named(tmp_path):
    folder, _ = _folder(tmp_path, movies=("m1",))
    write_curves(folder / "dave" / "m1.csv", np.random.default_rng(9).uniform(-1, 1, (50, 2)))
    lines = []
    merge_annotation_folder(folder, tmp_path / "out", min_correlation=0.3, echo=lines.append)
    low = [line for line in lines if "below 0.3" in line]
    assert len(low) == 1 and "m1 valence: dave" in low[0] and "m1 arousal: dave" in low[0] and "alice" not in low[0]


def test_the_command_merges_with_lags(tmp_path, capsys):
    folder, _ = _folder(tmp_path, lags=(0, 2, 4), seconds=120)
    code = main(["annotations", "merge", os.fspath(folder), "-o", os.fspath(tmp_path / "out"), "--max-lag", "6",
                 "--normalize", "center"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"Lags \(s\) m1 valence: alice 0\.00, bob [12]\.\d\d, carol [34]\.\d\d", out), out
    lags = np.array([row.split(",")[4] for row in (tmp_path / "out" / "raters.csv").read_text().splitlines()[1:]],
                    dtype=float).reshape(2, 2, 3)  # movie, dimension, rater
    np.testing.assert_allclose(lags, np.broadcast_to([0, 2, 4], lags.shape), atol=0.5)
    assert read_curves(tmp_path / "out" / "m2.csv", with_std=True).shape == (120, 4)


@pytest.mark.parametrize("setup, message", [
    (lambda folder: None, "Annotation folder not found"),
    (lambda folder: (folder / "alice").mkdir(parents=True), "No rater folders in"),
    (lambda folder: write_curves(folder / "alice" / "m1.csv", np.zeros((5, 2))), "rated by a single rater"),
    (lambda folder: [write_curves(folder / r / "agreement.csv", np.zeros((5, 2))) for r in ("a", "b")],
     r"movie\(s\) named \['agreement'\]"),
    (lambda folder: [(folder / r).mkdir(parents=True) or (folder / r / "m1.csv").write_text(
        "Time,Valence,Arousal\n0,x,1\n") for r in ("a", "b")], "m1.csv, line 2: Valence value 'x' is not a number"),
])
def test_problems_are_one_error_line_naming_the_folder_or_file(tmp_path, capsys, setup, message):
    folder = tmp_path / "ratings"
    setup(folder)
    code = main(["annotations", "merge", os.fspath(folder), "-o", os.fspath(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("sklearn-emotion annotations: error: ")
    assert str(folder) in err and re.search(message, err), err
    assert not (tmp_path / "out").exists()  # nothing written


def test_an_output_inside_the_ratings_folder_is_refused(tmp_path):
    folder, _ = _folder(tmp_path, movies=("m1",))
    with pytest.raises(ValueError, match="inside .* would read it as a rater"):
        merge_annotation_folder(folder, folder / "merged", echo=lambda *_: None)
    assert not (folder / "merged").exists()


def test_help_documents_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["annotations", "merge", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--normalize {none,center,zscore}", "--max-lag S", "Valence_std,Arousal_std", "ICC(2,k)",
                  "Shrout & Fleiss 1979", "--min-correlation", "positive = later", "not normalised"):
        assert words in text, words


@pytest.mark.parametrize("options, message", [
    ({"max_lag": 5}, r"valence: the lag of rater\(s\) carol to the others cannot be estimated"),
    ({"max_lag": 60}, r"valence: the lag of rater\(s\) carol to the others cannot be estimated"),
    ({"normalize": "zscore"}, "rater carol's valence is constant"),
])
def test_a_movie_that_cannot_be_merged_is_named_with_its_files_and_rater(tmp_path, options, message):
    curve = np.cumsum(np.random.default_rng(0).normal(size=(40, 2)), axis=0) / 20
    folder = tmp_path / "ratings"
    write_curves(folder / "alice" / "film one.csv", np.clip(curve, -1, 1))
    write_curves(folder / "bob" / "film one.csv", np.clip(curve + 0.01, -1, 1))
    carol = np.full((40, 2), np.nan)
    carol[:5] = 0.1  # rated 5 seconds, then stopped
    write_curves(folder / "carol" / "film one.csv", carol)
    with pytest.raises(ValueError, match=message) as error:
        merge_annotation_folder(folder, tmp_path / "out", echo=lambda *_: None, **options)
    assert str(error.value).startswith("film one (") and str(folder / "carol" / "film one.csv") in str(error.value)
    assert not (tmp_path / "out").exists()


def test_the_tables_quote_movie_and_rater_names_with_commas_and_quotes(tmp_path):
    import csv

    movies = ("Hello, World", 'say "hi"')
    folder, _ = _folder(tmp_path, movies=movies)
    (folder / "bob").rename(folder / "bob, jr")
    merge_annotation_folder(folder, tmp_path / "out", echo=lambda *_: None)
    with open(tmp_path / "out" / "agreement.csv", newline="") as stream:
        agreement_table = list(csv.reader(stream))
    with open(tmp_path / "out" / "raters.csv", newline="") as stream:
        raters_table = list(csv.reader(stream))
    assert {len(row) for row in agreement_table} == {13} and {len(row) for row in raters_table} == {5}
    assert [row[0] for row in agreement_table[1:]] == [movies[0]] * 2 + [movies[1]] * 2
    assert {row[2] for row in raters_table[1:]} == {"alice", "bob, jr", "carol"}


@pytest.mark.parametrize("movie", ["Big_Buck_Bunny", "Chatter"])
def test_merging_lagged_raters_of_a_real_curve_equals_numpy_and_follows_the_curve(shared_data, movie):
    # issue 21: real LIRIS-ACCEDE curves, three raters lagging 0, 2 and 4 s with white noise of std 0.01
    from sklearn_emotion.files import read_mean_std_pair

    truth = read_mean_std_pair(shared_data / "liris-accede-continuous", movie)[0][:, :2]
    seconds = np.arange(len(truth), dtype=float)
    rng = np.random.default_rng(21)
    raters = {name: np.column_stack([np.interp(seconds - lag, seconds, truth[:, d], left=np.nan) for d in range(2)])
                    + rng.normal(0, 0.01, truth.shape) for name, lag in (("a", 0.0), ("b", 2.0), ("c", 4.0))}
    merged = merge_raters(raters, max_lag=8)
    np.testing.assert_allclose(merged.lags, [[0, 0], [2, 2], [4, 4]], atol=0.5)
    # the same merge by hand: each rater moved earlier by its estimated lag (np.interp), then NumPy's nanmean/nanstd
    shifted = np.stack([np.column_stack([np.interp(seconds + merged.lags[r, d], seconds, values[:, d], right=np.nan)
                                         for d in range(2)]) for r, values in enumerate(raters.values())], axis=1)
    np.testing.assert_array_equal(np.isnan(merged.ratings), np.isnan(shifted))
    counts = (~np.isnan(shifted)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(shifted, axis=1)
        std = np.where(counts >= 2, np.nanstd(shifted, axis=1, ddof=1), np.nan)
    np.testing.assert_allclose(merged.mean, mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(merged.std, std, rtol=0, atol=1e-12)
    # aligned with the earliest rater, the mean follows the true curve within the noise left by 3 raters (0.01 / sqrt(3))
    all_rated = counts.min(axis=1) == 3
    error = merged.mean[all_rated] - truth[all_rated]
    assert all_rated.sum() >= len(truth) - 6 and np.sqrt(np.mean(error ** 2)) < 0.008 and np.abs(error).max() < 0.04
    unshifted = merge_raters(raters)
    # aligned, the raters differ by their noise only (the std of 3 draws of std 0.01 averages 0.0089); not aligned, more
    assert np.nanmean(merged.std) < 0.0105 < 0.013 < np.nanmean(unshifted.std)
