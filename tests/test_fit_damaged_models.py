"""`load_model` says that a damaged or crafted model file is damaged, naming it (not version advice, not a
raw shape error at predict time)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from sklearn_emotion import PerSecondRegressor
from sklearn_emotion.persistence import SavedModel, load_model, save_model


def _model(path: Path) -> Path:
    rng = np.random.default_rng(0)
    movies = [{"image": rng.normal(size=(10, 3)).astype(np.float32)} for _ in range(2)]
    estimator = PerSecondRegressor(Ridge()).fit(movies, [rng.uniform(-1, 1, size=(10, 2)) for _ in range(2)])
    return save_model(path, SavedModel(estimator, {"image": 3}))


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the skops file ``source`` whose members ``change(name, bytes)`` rewrites (None: left out)."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in archive.namelist():
            content = change(name, archive.read(name))
            if content is not None:
                copy.writestr(name, content)
    target.write_bytes(out.getvalue())
    return target


def _wider_coefficients(name: str, content: bytes) -> bytes:
    if not name.endswith(".npy"):
        return content
    array = np.load(io.BytesIO(content))
    if array.shape != (2, 3):  # Ridge's coef_
        return content
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 5)))
    return buffer.getvalue()


def test_a_coefficient_of_the_wrong_shape_is_a_damaged_file_at_loading(tmp_path):
    crafted = _rewrite(_model(tmp_path / "model.skops"), tmp_path / "crafted.skops", _wider_coefficients)
    with pytest.raises(ValueError, match="is damaged") as raised:
        load_model(crafted)
    message = str(raised.value)
    assert message.startswith(f"{crafted} is damaged: its estimator does not predict a movie of the features it "
                              "records ({'image': 3})")
    assert "\n" not in message


def test_a_file_missing_a_part_is_damaged_and_version_advice_only_comes_with_another_version(tmp_path):
    from sklearn_emotion import __version__

    model = _model(tmp_path / "model.skops")
    dropped = next(name for name in zipfile.ZipFile(model).namelist() if name.endswith(".npy"))
    cut = _rewrite(model, tmp_path / "cut.skops", lambda name, content: None if name == dropped else content)
    with pytest.raises(ValueError) as raised:
        load_model(cut)
    assert str(raised.value).startswith(f"{cut} is damaged: saved by this version of sklearn-emotion ({__version__})")
    assert "cannot be loaded by" not in str(raised.value)

    def older(name: str, content: bytes) -> bytes | None:
        if name == "sklearn-emotion.json":
            return json.dumps({**json.loads(content), "package_version": "0.1.5"}).encode()
        return None if name == dropped else content

    old = _rewrite(model, tmp_path / "old.skops", older)
    with pytest.raises(ValueError, match=rf"old\.skops was saved by sklearn-emotion 0\.1\.5 and cannot be loaded by "
                                         rf"sklearn-emotion {__version__}"):
        load_model(old)


def test_an_intact_model_still_loads_and_predicts(tmp_path):
    model = load_model(_model(tmp_path / "model.skops"))
    assert model.estimator.predict([{"image": np.ones((4, 3), np.float32)}])[0].shape == (4, 2)


@pytest.mark.keras  # fits a GRU-MoE
def test_a_network_weight_of_the_wrong_shape_is_a_damaged_file(tmp_path):
    pytest.importorskip("tensorflow")
    from sklearn.pipeline import make_pipeline

    from sklearn_emotion import GRUMoERegressor, Windower

    rng = np.random.default_rng(0)
    network = make_pipeline(Windower(length=5), GRUMoERegressor(units=2, n_experts=2, epochs=1, random_state=0)).fit(
        [{"image": rng.normal(size=(10, 3)).astype(np.float32)} for _ in range(2)],
        [rng.uniform(-1, 1, size=(10, 2)) for _ in range(2)])
    model = save_model(tmp_path / "gru.skops", SavedModel(network, {"image": 3}))

    def taller_kernel(name: str, content: bytes) -> bytes:
        if not name.endswith(".npy"):
            return content
        array = np.load(io.BytesIO(content))
        if array.shape != (3, 6):  # the GRU's input kernel: 3 features -> 3 gates x 2 units
            return content
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((4, 6), array.dtype))
        return buffer.getvalue()

    crafted = _rewrite(model, tmp_path / "crafted.skops", taller_kernel)
    assert crafted.read_bytes() != model.read_bytes()
    with pytest.raises(ValueError, match=rf"^{crafted} is damaged: .*\(3, 6\).*\(4, 6\)"):
        load_model(crafted)
