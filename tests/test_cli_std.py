"""`fit` learns the viewers' std when the annotations give it; `predict` writes it and draws a band."""

from __future__ import annotations

import numpy as np
import pytest

from sklearn_emotion.cli import main
from sklearn_emotion.files import read_curves, save_features, write_curves


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


TINY_NETWORK = ("--window", "5", "--units", "4", "--epochs", "2", "--batch-size", "32", "--no-progress")


@pytest.mark.keras
def test_fit_uses_the_std_columns_and_predict_writes_them_with_a_band(tmp_path, capsys):
    rng = np.random.default_rng(0)
    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir()
    for index in range(3):
        n = int(rng.integers(25, 35))
        drivers = np.cumsum(rng.normal(0, 0.2, size=(n, 3)), axis=0)
        save_features(features / f"movie_{index}.npz", {"image": drivers.astype(np.float32)})
        std = 0.3 + 0.1 * np.tanh(drivers[:, 2:3]) * np.ones((n, 2))
        write_curves(annotations / f"movie_{index}.csv", np.tanh(drivers[:, :2] / 2), std=std)
    model = tmp_path / "model.skops"
    code, out, _ = _run(capsys, "fit", features, annotations, "-o", model, *TINY_NETWORK)
    assert code == 0 and "with the viewers' standard deviation" in out
    code, out, _ = _run(capsys, "predict", model, features, "-o", tmp_path / "pred", "--no-progress")
    assert code == 0 and "and the viewers' standard deviation" in out
    header = (tmp_path / "pred" / "movie_0.csv").read_text().splitlines()[0]
    assert header == "Time,Valence,Arousal,Valence_std,Arousal_std"
    table = read_curves(tmp_path / "pred" / "movie_0.csv", with_std=True)
    assert np.isfinite(table).all() and (table[:, 2:] >= 0).all()
    assert (tmp_path / "pred" / "movie_0.png").stat().st_size > 10_000
    # --ignore-std (and the baseline) train on the means only: the old three-column output
    plain = tmp_path / "plain.skops"
    code, out, _ = _run(capsys, "fit", features, annotations, "-o", plain, "--ignore-std", *TINY_NETWORK)
    assert code == 0 and "standard deviation" not in out
    code, _, _ = _run(capsys, "predict", plain, features, "-o", tmp_path / "plain-pred", "--no-plot", "--no-progress")
    assert (tmp_path / "plain-pred" / "movie_0.csv").read_text().startswith("Time,Valence,Arousal\n")
    code, _, _ = _run(capsys, "evaluate", tmp_path / "pred", annotations)  # std columns are ignored there
    assert code == 0


def test_plot_bands_are_checked(tmp_path):
    import pytest

    from sklearn_emotion.plotting import plot_curves

    wave = np.c_[np.sin(np.arange(50) / 5), np.cos(np.arange(50) / 5)] * 0.5
    path = plot_curves(tmp_path / "band.png", {"predicted": wave}, bands={"predicted": np.full((50, 2), 0.2)})
    plain = plot_curves(tmp_path / "plain.png", {"predicted": wave})
    assert path.read_bytes() != plain.read_bytes()
    with pytest.raises(ValueError, match="bands name curve 'other'"):
        plot_curves(tmp_path / "bad.png", {"predicted": wave}, bands={"other": wave})
    with pytest.raises(ValueError, match="the band of 'predicted' has shape"):
        plot_curves(tmp_path / "bad.png", {"predicted": wave}, bands={"predicted": wave[:3]})
