"""One base for the Keras sequence regressors: what it holds, what the estimators no longer repeat, no dead
code in the package, and ``sklearn-emotion fit --model tcn`` learning the viewers' std."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion import GRUMoERegressor, TCNRegressor
from sklearn_emotion.sequence_regressor import BaseSequenceRegressor

from sequence_helpers import make_std_movies

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_emotion"
ESTIMATORS = (GRUMoERegressor, TCNRegressor)

#: The methods both estimators share: defined once, in the base class.
SHARED_METHODS = (
    "fit", "predict", "save", "__getstate__", "__setstate__", "__sklearn_tags__",
    "_n_network_outputs", "_array_targets", "_movie_targets", "_check_movie_modalities", "_scaled_targets",
    "_scaled_with_std", "_early_stopping", "_validation_split", "_training_level", "_compiled_network",
    "_restored_network", "_train",
)

#: What each estimator writes itself (the hooks of the base class).
HOOKS = ("_training_data", "_training_batches", "_network_settings", "_build_network", "_predict_outputs")


def test_the_shared_methods_are_defined_in_the_base_only():
    missing = [name for name in SHARED_METHODS if name not in vars(BaseSequenceRegressor)]
    assert not missing, f"not defined in BaseSequenceRegressor: {missing}"
    for cls in ESTIMATORS:
        assert issubclass(cls, BaseSequenceRegressor)
        repeated = sorted(set(SHARED_METHODS) & set(vars(cls)))
        assert not repeated, f"{cls.__name__} defines again what the base holds: {repeated}"
        assert all(name in vars(cls) for name in HOOKS), f"{cls.__name__} lacks a hook"
    # a hook with a default: the GRU-MoE fills in the batch sizes of 0.1 files, the TCN has nothing to fill
    assert "_upgrade_state" in vars(BaseSequenceRegressor) and "_upgrade_state" not in vars(TCNRegressor)


def _significant_lines(path: Path) -> list[str]:
    """The file's lines, white space stripped, without blank lines and lines of brackets alone."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not re.fullmatch(r"[()\[\]{},:;]+", line)]


def shared_runs(a: list[str], b: list[str], length: int = 6) -> list[tuple[str, ...]]:
    """Runs of ``length`` consecutive lines of ``a`` that stand, consecutively, in ``b`` too."""
    in_b = {tuple(b[i:i + length]) for i in range(len(b) - length + 1)}
    return [tuple(a[i:i + length]) for i in range(len(a) - length + 1) if tuple(a[i:i + length]) in in_b]


def test_shared_runs_finds_a_copied_block():  # the check below can fail
    block = [f"line {i}" for i in range(6)]
    assert shared_runs(["a", *block, "b"], ["c", *block]) == [tuple(block)]
    assert shared_runs(["a", *block[:5], "b"], ["c", *block]) == []
    assert _significant_lines(Path(__file__))[0].startswith('"""One base')


def test_the_two_estimator_modules_share_no_run_of_six_lines():
    gru = _significant_lines(PACKAGE / "gru_moe" / "estimator.py")
    tcn = _significant_lines(PACKAGE / "tcn" / "estimator.py")
    runs = shared_runs(gru, tcn)
    assert not runs, "gru_moe/estimator.py and tcn/estimator.py share:\n" + "\n---\n".join("\n".join(r) for r in runs)


def unreachable_statements(source: str) -> list[int]:
    """Line numbers of statements that follow a ``return``, ``raise``, ``continue`` or ``break`` in the
    same block."""
    ends = (ast.Return, ast.Raise, ast.Continue, ast.Break)
    found = []
    for node in ast.walk(ast.parse(source)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for statement, following in zip(block, block[1:]):
                if isinstance(statement, ends):
                    found.append(following.lineno)
    return found


def test_unreachable_statements_finds_dead_code():  # the check below can fail
    assert unreachable_statements("def f(x):\n    return x\n    x += 1\n") == [3]
    assert unreachable_statements("def f(x):\n    if x:\n        raise ValueError\n    return x\n") == []
    assert unreachable_statements("for i in range(3):\n    if i:\n        continue\n        print(i)\n") == [4]


def test_no_statement_of_the_package_follows_a_return_or_raise():
    dead = [f"{path.relative_to(PACKAGE.parent)}:{line}" for path in sorted(PACKAGE.rglob("*.py"))
            for line in unreachable_statements(path.read_text(encoding="utf-8"))]
    assert not dead, "unreachable statements:\n" + "\n".join(dead)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_errors_and_warnings_name_the_estimator_they_serve(cls):
    # the epoch loop is shared: its error says which estimator diverged (the TCN's said GRUMoERegressor)
    from sklearn_emotion.sequence_regressor.training import train_epochs

    class Diverging:
        def train_on_batch(self, inputs, y):
            return np.nan

        def get_weights(self):
            return []

    class Batches(list):
        def on_epoch_end(self):
            pass

    with pytest.raises(FloatingPointError, match=f"^{cls.__name__}: the training loss became nan at epoch 1"):
        train_epochs(Diverging(), Batches([(None, np.zeros((2, 2)))]), None, epochs=3, patience=1,
                     early_stopping=True, name=cls.__name__)
    estimator = cls(early_stopping=True)
    with pytest.warns(UserWarning, match=f"^{cls.__name__}: early stopping on 1 held-out movie"):
        estimator._validation_split(5, np.random.RandomState(0))
    assert estimator.validation_size_ == 1


def test_the_parameters_and_defaults_are_those_of_0_2_plus_the_tcns_predict_std():
    # the CLI and saved model files rely on them
    assert GRUMoERegressor().get_params() == dict(
        modalities=None, rnn="gru", units=128, n_layers=1, n_experts=4, loss="cross_entropy",
        target_range=(-1.0, 1.0), l2=1e-5, dropout=0.0, batch_norm=False, batch_norm_inference="population",
        learning_rate=1e-3, batch_size="auto", block_size="auto", epochs=30, early_stopping="auto",
        validation_fraction=0.2, patience=5, random_state=None, verbose=0, predict_std=False)
    assert TCNRegressor().get_params() == dict(
        projection=64, filters=64, levels=3, kernel_size=9, causal=False, skip_connections=True, dropout=0.0,
        loss="cross_entropy", target_range=(-1.0, 1.0), l2=1e-4, learning_rate=1e-3, batch_size=8,
        crop_length=256, epochs=100, early_stopping="auto", validation_fraction=0.2, patience=10,
        random_state=None, verbose=0, predict_std=False)


@pytest.mark.slow
def test_fit_model_tcn_learns_the_std_and_predict_writes_it(tmp_path, capsys):
    # needs the CLI to pass predict_std to the TCN (the paper model's test is in test_cli_std.py)
    from sklearn_emotion.cli import main
    from sklearn_emotion.files import read_curves, save_features, write_curves
    from sklearn_emotion.persistence import load_model

    features, annotations = tmp_path / "features", tmp_path / "annotations"
    annotations.mkdir()
    for index, (movie, y) in enumerate(zip(*make_std_movies(3, seed=0, lengths=(25, 35)))):
        save_features(features / f"movie_{index}.npz", movie)
        write_curves(annotations / f"movie_{index}.csv", y[:, :2], std=y[:, 2:])
    model = tmp_path / "model.skops"
    tiny = ("--levels", "2", "--filters", "4", "--epochs", "2", "--no-progress")
    assert main(["fit", str(features), str(annotations), "-o", str(model), "--model", "tcn", *tiny]) == 0
    assert "with the viewers' standard deviation" in capsys.readouterr().out
    assert any(isinstance(step, TCNRegressor) and step.predict_std for step in _estimators(load_model(model)))
    assert main(["predict", str(model), str(features), "-o", str(tmp_path / "pred"), "--no-plot",
                 "--no-progress"]) == 0
    table = read_curves(tmp_path / "pred" / "movie_0.csv", with_std=True)
    assert table.shape[1] == 4 and np.isfinite(table).all() and (table[:, 2:] >= 0).all()


def _estimators(model):
    """Every estimator inside a loaded model (pipelines, smoothed regressors), depth first."""
    model = getattr(model, "estimator", model)  # a SavedModel: its estimator
    yield model
    for step in getattr(model, "steps", ()):
        yield from _estimators(step[1])
    for attribute in ("regressor_", "regressor"):
        if hasattr(model, attribute):
            yield from _estimators(getattr(model, attribute))
