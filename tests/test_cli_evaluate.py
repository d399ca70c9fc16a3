"""``sklearn-emotion evaluate``: skipped movies, all-NaN and scale errors, per-movie rows, plots, model names."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.reporting import scores_title as plot_title
from sklearn_emotion.files import read_annotations, read_curves, write_curves
from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.prediction_info import (
    PREDICTION_INFO_FILE,
    prediction_model_name,
    read_prediction_info,
    write_prediction_info,
)
from sklearn_emotion.reporting import TABLE_COLUMNS

REPO_DIR = Path(__file__).resolve().parents[1]
PREFIX = "sklearn-emotion evaluate: "


# ------------------------------------------------------------------------------------ helpers
def _write_annotations(path: Path, curves: np.ndarray) -> Path:
    lines = ["Time\tValence\tArousal"] + [f"{t}\t{v!r}\t{a!r}" for t, (v, a) in enumerate(curves.tolist())]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _corpus(folder: Path, lengths=(30, 24, 36), seed: int = 0, scale=None) -> tuple[Path, Path]:
    """``pred/<movie>.csv`` and ``ann/<movie>_Valence-Arousal.txt``: noisy predictions of smooth curves.

    Movie ``m1`` has 5 unannotated seconds; ``scale`` maps the [-1, 1] annotations to another scale.
    """
    rng = np.random.default_rng(seed)
    predictions, annotations = folder / "pred", folder / "ann"
    for index, n in enumerate(lengths):
        truth = np.tanh(np.cumsum(rng.normal(0, 0.25, size=(n, 2)), axis=0))
        write_curves(predictions / f"m{index}.csv", np.clip(truth + rng.normal(0, 0.2, size=(n, 2)), -1, 1))
        if index == 1:
            truth[5:10] = np.nan
        _write_annotations(annotations / f"m{index}_Valence-Arousal.txt", truth if scale is None else scale(truth))
    return predictions, annotations


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["evaluate", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _table_rows(text: str) -> dict[str, list[str]]:
    """First cell -> other cells of every Markdown table row printed (header and separators excluded)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith(("| Run ", "| Movie ")):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def _expected(annotations: Path, predictions: Path, movies: list[str]) -> tuple[list, list]:
    truth = [read_annotations(annotations, movie) for movie in movies]
    predicted = [read_curves(predictions / f"{movie}.csv") for movie in movies]
    return truth, predicted


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


# ------------------------------------------------------------------------------------ per-movie rows
def test_per_movie_rows_are_the_metrics_of_each_movie(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    code, out, err = _run(capsys, predictions, annotations, "--per-movie", "-o", tmp_path / "table.md")
    assert code == 0, err
    rows = _table_rows(out)
    truth, predicted = _expected(annotations, predictions, ["m0", "m1", "m2"])
    for index, (t, p) in enumerate(zip(truth, predicted)):
        scores = mediaeval_scores([t], [p])
        annotated = int((~np.isnan(t)).any(axis=1).sum())
        assert rows[f"m{index}"] == [f"{scores[c]:.4f}" for c in TABLE_COLUMNS] + [str(len(t)), str(annotated)]
    summary = mediaeval_scores(truth, predicted)
    assert rows["pred"] == [f"{summary[c]:.4f}" for c in TABLE_COLUMNS]
    assert rows["m1"][-2:] == ["24", "19"]  # 5 unannotated seconds
    # The summary table comes first; the per-movie table follows under a heading naming the row.
    assert out.index("| Run ") < out.index("Per movie, pred:") < out.index("| Movie ")
    assert "| Movie " in (tmp_path / "table.md").read_text()
    code, out, _ = _run(capsys, predictions, annotations)
    assert code == 0 and "| Movie " not in out and "m0" not in _table_rows(out)


def test_undefined_pearson_is_named_in_one_warning(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    write_curves(predictions / "m2.csv", np.full((36, 2), 0.1))  # constant prediction: r undefined
    code, out, err = _run(capsys, predictions, annotations, "--per-movie")
    assert code == 0
    assert err.count("\n") == 1 and err.startswith(PREFIX + "warning: pred: Pearson's r is undefined for 1 movie")
    assert err.rstrip().endswith(": m2.")
    rows = _table_rows(out)
    assert rows["m2"][1] == "nan" and rows["m2"][3] == "nan" and rows["m0"][1] != "nan"


# ------------------------------------------------------------------------------------ skipped movies and errors
def test_movie_without_annotations_is_skipped_with_a_warning(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    (annotations / "m0_Valence-Arousal.txt").unlink()
    code, out, err = _run(capsys, predictions, annotations, "--per-movie")
    assert code == 0
    warning = f"{PREFIX}warning: pred: skipped 1 movie(s) without an annotation file in {annotations}: m0."
    assert err.splitlines() == [warning]
    truth, predicted = _expected(annotations, predictions, ["m1", "m2"])
    summary = mediaeval_scores(truth, predicted)
    rows = _table_rows(out)
    assert rows["pred"] == [f"{summary[c]:.4f}" for c in TABLE_COLUMNS]
    assert "m0" not in rows and {"m1", "m2"} <= set(rows)
    assert "pred: 2 movie(s), 60 seconds" in out


def test_movie_with_all_nan_annotations_is_skipped_with_a_warning(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    _write_annotations(annotations / "m2_Valence-Arousal.txt", np.full((36, 2), np.nan))
    code, out, err = _run(capsys, predictions, annotations)
    assert code == 0
    assert "skipped 1 movie(s) whose annotations are all NaN" in err and err.rstrip().endswith(": m2.")
    truth, predicted = _expected(annotations, predictions, ["m0", "m1"])
    assert _table_rows(out)["pred"] == [f"{mediaeval_scores(truth, predicted)[c]:.4f}" for c in TABLE_COLUMNS]


def test_all_nan_annotations_are_a_one_line_error(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path, lengths=(20, 25))
    for index, n in enumerate((20, 25)):
        _write_annotations(annotations / f"m{index}_Valence-Arousal.txt", np.full((n, 2), np.nan))
    code, out, err = _run(capsys, predictions, annotations)
    assert code == 1 and "| Run" not in out and "nan" not in out
    assert err.count("\n") == 1
    assert err.startswith(PREFIX + "error: no movie of ") and "annotations all NaN for m0, m1" in err


def test_no_annotation_at_all_is_a_one_line_error(tmp_path, capsys):
    predictions, _ = _corpus(tmp_path, lengths=(20,))
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, predictions, tmp_path / "empty")
    assert code == 1 and err.count("\n") == 1 and "no annotation file in" in err and "for m0" in err
    code, _, err = _run(capsys, predictions, tmp_path / "absent")
    assert code == 1 and err == f"{PREFIX}error: Annotation folder not found: {tmp_path / 'absent'}\n"


def test_too_long_predictions_are_an_error_naming_the_movie(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    write_curves(predictions / "m1.csv", np.zeros((24 + 3, 2)))
    code, _, err = _run(capsys, predictions, annotations)
    assert code == 1 and "movie m1: 27 predicted seconds but 24 annotated" in err
    code, _, _ = _run(capsys, predictions, annotations, "--max-length-difference", "3")
    assert code == 0


def test_annotations_on_another_scale_are_an_error(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path, scale=lambda curves: 5 + 4 * curves)  # 1-9 scale
    code, out, err = _run(capsys, predictions, annotations)
    assert code == 1 and "| Run" not in out and err.count("\n") == 1
    assert "annotations are not on the scale of the predictions" in err and "[-1, 1]" in err and "1-9" in err
    # Predictions on the same 1-9 scale are compared as they are.
    for path in predictions.glob("*.csv"):
        write_curves(path, 5 + 4 * read_curves(path))
    code, _, err = _run(capsys, predictions, annotations)
    assert code == 0, err


def test_folders_of_the_same_name_and_nan_predictions_are_errors(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    other = tmp_path / "other" / "pred"
    write_curves(other / "m0.csv", np.zeros((30, 2)))
    code, _, err = _run(capsys, predictions, other, annotations)
    assert code == 1 and "several PREDICTIONS folders are named pred" in err
    (predictions / "m1.csv").write_text("Time,Valence,Arousal\n0,0.1,0.2\n1,nan,0.2\n")
    code, _, err = _run(capsys, predictions, annotations)
    assert code == 1 and "m1.csv, line 3: Valence value 'nan'" in err and "nan is not accepted" in err
    (predictions / "m1.csv").write_text("Time,Valence,Arousal\n0,0.1,0.2\n1,inf,0.2\n")
    code, _, err = _run(capsys, predictions, annotations)
    # the message tells the truth: an inf is not to be replaced by nan here
    assert code == 1 and "m1.csv, line 3: Valence value 'inf' is infinite" in err and "nan is not accepted either" in err


# ------------------------------------------------------------------------------------ plots and model names
def test_plots_one_png_per_movie_and_folder(tmp_path, capsys):
    predictions, annotations = _corpus(tmp_path)
    baseline = tmp_path / "baseline"
    for movie, n in (("m0", 30), ("m1", 24)):
        write_curves(baseline / f"{movie}.csv", np.zeros((n, 2)) + 0.05 * np.arange(n)[:, None] / n)
    (annotations / "m2_Valence-Arousal.txt").unlink()  # m2 is skipped: no plot
    plots = tmp_path / "plots"
    code, out, err = _run(capsys, predictions, baseline, annotations, "--plots", plots)
    assert code == 0, err
    written = sorted(p.relative_to(plots).as_posix() for p in plots.rglob("*") if p.is_file())
    assert written == ["baseline/m0.png", "baseline/m1.png", "pred/m0.png", "pred/m1.png"]
    for path in plots.rglob("*.png"):
        assert _png_size(path) == (1000, 550) and path.stat().st_size > 20_000
    assert f"written to {plots / 'pred'}, {plots / 'baseline'}." in out


def test_plot_titles_name_the_model_of_predictions_json(tmp_path, capsys, monkeypatch):
    import sklearn_emotion.plotting

    calls = []
    monkeypatch.setattr(sklearn_emotion.plotting, "plot_curves", lambda path, curves, **kw: calls.append((path, curves, kw)))
    predictions, annotations = _corpus(tmp_path, lengths=(30, 24))
    write_prediction_info(predictions, "GRU+MoE (model.joblib)", tmp_path / "model.joblib")
    code, _, _ = _run(capsys, predictions, annotations, "--plots", tmp_path / "plots")
    assert code == 0 and len(calls) == 2
    path, curves, kw = calls[1]
    truth, predicted = _expected(annotations, predictions, ["m1"])
    assert path == tmp_path / "plots" / "pred" / "m1.png"
    assert kw["title"] == plot_title("m1", "GRU+MoE (model.joblib)", mediaeval_scores(truth, predicted))
    assert kw["title"].startswith("m1 - GRU+MoE (model.joblib)\n")
    assert list(curves) == ["annotation", "GRU+MoE (model.joblib)"]
    assert kw["roles"] == {"annotation": "annotation", "GRU+MoE (model.joblib)": "model"}
    np.testing.assert_array_equal(curves["annotation"], truth[0])  # NaN seconds kept: gaps in the plot
    # Without predictions.json, the folder's name.
    (predictions / PREDICTION_INFO_FILE).unlink()
    calls.clear()
    code, _, _ = _run(capsys, predictions, annotations, "--plots", tmp_path / "plots")
    assert code == 0 and calls[0][2]["title"].startswith("m0 - pred\n")


def test_plot_title_shows_the_scores():
    scores = {"Valence MSE": 0.012345, "Valence PCC": 0.51234, "Arousal MSE": 0.2, "Arousal PCC": float("nan")}
    assert plot_title("film", "baseline", scores) == (
        "film - baseline\nMSE: valence 0.0123, arousal 0.2000   Pearson r: valence 0.512, arousal undefined"
    )


def test_prediction_info_round_trip_and_errors(tmp_path):
    folder = tmp_path / "pred"
    assert read_prediction_info(folder) is None
    assert prediction_model_name(folder) == "pred"
    path = write_prediction_info(folder, "  my model ", "model.joblib")
    assert path == folder / "predictions.json"
    info = read_prediction_info(folder)
    assert info["model"] == "my model" and info["model_file"] == os.fspath(Path("model.joblib").resolve())
    assert info["format"] == "sklearn-emotion predictions" and info["version"] == 2
    write_curves(folder / "film.csv", np.zeros((3, 2)))
    assert prediction_model_name(folder / "film.csv") == prediction_model_name(folder) == "my model"
    with pytest.raises(ValueError, match="must not be empty"):
        write_prediction_info(folder, " ")
    path.write_text('{"model": 3}')
    with pytest.raises(ValueError, match=r"predictions\.json.*non-empty \"model\""):
        read_prediction_info(folder)
    path.write_text("{oops")
    with pytest.raises(ValueError, match="not a readable JSON file"):
        prediction_model_name(folder)


def test_malformed_predictions_json_warns_and_uses_the_folder_name(tmp_path, capsys, monkeypatch):
    import sklearn_emotion.plotting

    titles = []
    monkeypatch.setattr(sklearn_emotion.plotting, "plot_curves", lambda path, curves, **kw: titles.append(kw["title"]))
    predictions, annotations = _corpus(tmp_path, lengths=(20,))
    (predictions / PREDICTION_INFO_FILE).write_text("{oops")
    code, _, err = _run(capsys, predictions, annotations, "--plots", tmp_path / "plots")
    assert code == 0 and titles[0].startswith("m0 - pred\n")
    assert err.startswith(PREFIX + "warning: ") and "predictions.json: not a readable JSON file" in err


# ------------------------------------------------------------------------------------ role colours
def _has_colour(png: Path, colour: str) -> bool:
    import matplotlib.colors
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[..., :3] * 255).round().astype(int)
    target = np.array([round(255 * c) for c in matplotlib.colors.to_rgb(colour)])
    return bool((np.abs(pixels - target).max(axis=-1) <= 2).any())


def test_plot_colours_are_fixed_by_role(tmp_path):
    from sklearn_emotion.plotting import ROLE_COLOURS, plot_curves

    assert ROLE_COLOURS == {"annotation": "tab:blue", "model": "tab:orange", "baseline": "tab:green"}
    t = np.linspace(0, 6, 40)
    wave = np.column_stack([np.sin(t), np.cos(t)]) * 0.8
    # The roles decide, not the order: the baseline first, then the annotation (with gaps).
    annotation = wave.copy()
    annotation[10:15] = np.nan
    both = plot_curves(tmp_path / "both.png", {"ridge": -wave, "truth": annotation},
                       roles={"ridge": "baseline", "truth": "annotation"})
    assert _has_colour(both, "tab:green") and _has_colour(both, "tab:blue")
    assert not _has_colour(both, "tab:orange")
    alone = plot_curves(tmp_path / "model.png", {"predicted": wave}, roles={"predicted": "model"})
    assert _has_colour(alone, "tab:orange") and not _has_colour(alone, "tab:blue")
    # A curve without a role takes no role's colour.
    other = plot_curves(tmp_path / "other.png", {"something": wave})
    assert not any(_has_colour(other, c) for c in ROLE_COLOURS.values())
    with pytest.raises(ValueError, match="must be one of"):
        plot_curves(tmp_path / "bad.png", {"x": wave}, roles={"x": "truth"})
    with pytest.raises(ValueError, match="not among the curves"):
        plot_curves(tmp_path / "bad.png", {"x": wave}, roles={"y": "model"})


# ------------------------------------------------------------------------------------ the real command
@pytest.mark.subprocess
def test_evaluate_in_a_new_process(tmp_path):
    predictions, annotations = _corpus(tmp_path)
    (annotations / "m1_Valence-Arousal.txt").unlink()
    plots = tmp_path / "plots"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        [str(REPO_DIR), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_emotion", "evaluate", str(predictions), str(annotations), "--per-movie",
         "--plots", str(plots)],
        check=False, capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"{PREFIX}warning: pred: skipped 1 movie(s) without an annotation file in {annotations}: m1."]
    rows = _table_rows(result.stdout)
    assert {"pred", "m0", "m2"} <= set(rows) and "m1" not in rows
    assert sorted(p.name for p in (plots / "pred").iterdir()) == ["m0.png", "m2.png"]
    assert _png_size(plots / "pred" / "m0.png") == (1000, 550)
