"""The default model learns on small corpora: budget sized to the corpus, start at the mean, honest stopping."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_emotion import ButterworthSmoother, GRUMoERegressor, SmoothedRegressor, Windower


def user_guide_movies(lengths=(90, 120, 75, 140, 100, 110)):
    """The data of docs/user_guide.md: curves that integrate two audio columns."""
    rng = np.random.default_rng(0)
    X = [{"image": rng.standard_normal((n, 16), dtype=np.float32),
          "audio": rng.standard_normal((n, 4), dtype=np.float32)} for n in lengths]
    y = [np.tanh(np.cumsum(m["audio"][:, :2], axis=0) / 20) for m in X]
    return X, y


def pooled_mse(y, predictions):
    return float(np.mean(np.concatenate([(p - t) ** 2 for p, t in zip(predictions, y)])))


@pytest.mark.keras
def test_default_fit_on_two_movies_beats_the_constant_on_their_seconds():
    # Regression test: with the paper's batch of 512, two movies gave 1 update per epoch and a
    # near-flat curve worse than the mean.  Every parameter at its default but the seed.
    X, y = user_guide_movies(lengths=(100, 130))
    model = make_pipeline(Windower(length=60),
                          SmoothedRegressor(GRUMoERegressor(random_state=0), ButterworthSmoother()))
    predictions = model.fit(X, y).predict(X)
    level = np.concatenate(y).mean(axis=0)
    constant = pooled_mse(y, [np.tile(level, (len(t), 1)) for t in y])
    assert pooled_mse(y, predictions) < 0.5 * constant
    network = model[-1].regressor_
    assert network.batch_size_ == 32 and network.block_size_ == 8
    assert network.stopping_ == "loss" and network.validation_size_ == 0   # 2 movies: none held out
    assert "training loss" in network.stopping_summary_


@pytest.mark.keras
def test_untrained_network_starts_at_the_training_mean():
    X, y = user_guide_movies(lengths=(70, 80, 90))
    y = [0.55 + 0.1 * t for t in y]                 # mean far from the middle of [-1, 1]
    model = make_pipeline(Windower(length=20), GRUMoERegressor(
        units=8, epochs=1, learning_rate=1e-9, early_stopping=False, random_state=0))
    predicted = np.concatenate(model.fit(X, y).predict(X))
    level = np.concatenate(y).mean(axis=0)
    assert np.abs(predicted.mean(axis=0) - level).max() < 0.05
    # before: the sigmoid experts and half-open gates started near 0.35 on the [0, 1] scale, i.e. -0.3


def test_start_at_level_sets_each_output_level():
    from sklearn_emotion.gru_moe.network import GRUMoENetwork

    network = GRUMoENetwork([("image", 3)], 5, "gru", {"image": 4}, {"image": 1}, 3, 2, 0.0, 0.0, False,
                            "population", seed=0)
    network.build_for_blocks(1)
    network.start_at_level([0.2, 0.9])
    inputs = {"image": np.zeros((1, 5, 3), np.float32), "step_mask": np.ones((1, 5), np.float32),
              "window_mask": np.ones((1, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(network(inputs)), [[0.2, 0.9]], atol=1e-5)
    with pytest.raises(ValueError, match="2 values"):
        network.start_at_level([0.5])


@pytest.mark.keras
def test_auto_early_stopping_holds_out_movies_only_when_there_are_enough():
    X, y = user_guide_movies(lengths=(40,) * 15)
    windows = Windower(length=10).fit_transform(X)
    fitted = GRUMoERegressor(units=4, epochs=2, random_state=0).fit(windows, y)
    assert fitted.validation_size_ == 3 and fitted.stopping_ == "val_loss"
    assert "the loss of 3 movie(s) held out" in fitted.stopping_summary_

    few = Windower(length=10).fit_transform(X[:5])
    fitted = GRUMoERegressor(units=4, epochs=2, random_state=0).fit(few, y[:5])
    assert fitted.validation_size_ == 0 and fitted.stopping_ == "loss" and "val_loss" not in fitted.history_


@pytest.mark.keras
def test_forced_early_stopping_on_one_movie_warns():
    X, y = user_guide_movies(lengths=(40,) * 5)
    windows = Windower(length=10).fit_transform(X)
    with pytest.warns(UserWarning, match="1 held-out movie"):
        fitted = GRUMoERegressor(units=4, epochs=2, early_stopping=True, random_state=0).fit(windows, y)
    assert fitted.validation_size_ == 1 and fitted.stopping_ == "val_loss"


@pytest.mark.keras
@pytest.mark.parametrize("off", [False, np.False_])
def test_no_early_stopping_runs_every_epoch_and_keeps_the_last(off):
    X, y = user_guide_movies(lengths=(40,) * 3)
    windows = Windower(length=10).fit_transform(X)
    fitted = GRUMoERegressor(units=4, epochs=3, early_stopping=off, random_state=0).fit(windows, y)
    assert fitted.n_epochs_ == 3 and fitted.best_epoch_ == 3 and fitted.stopping_ == "epochs"


@pytest.mark.keras
def test_verbose_reports_the_kept_epoch(capsys):
    X, y = user_guide_movies(lengths=(40,) * 3)
    windows = Windower(length=10).fit_transform(X)
    GRUMoERegressor(units=4, epochs=2, verbose=1, random_state=0).fit(windows, y)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "kept the weights of its best epoch" in out


@pytest.mark.keras
def test_barely_trained_model_warns(monkeypatch):
    # A validation loss that only rises: the best epoch is the first, and the user is told.
    X, y = user_guide_movies(lengths=(40,) * 15)
    windows = Windower(length=10).fit_transform(X)
    from sklearn_emotion.sequence_regressor import training

    losses = iter([0.1, 0.2, 0.3, 0.4])
    real = training.mean_loss

    def rising(step, batches):
        value = real(step, batches)
        return next(losses) if batches.shuffle is False else value

    monkeypatch.setattr(training, "mean_loss", rising)
    with pytest.warns(UserWarning, match="best validation epoch was epoch 1"):
        fitted = GRUMoERegressor(units=4, epochs=4, patience=3, random_state=0).fit(windows, y)
    assert fitted.best_epoch_ == 1 and fitted.n_epochs_ == 4


@pytest.mark.parametrize("n_windows, batch, block", [(300, 32, 8), (3200, 100, 12), (26566, 512, 64)])
def test_auto_batch_scales_with_the_corpus(n_windows, batch, block):
    model = GRUMoERegressor()
    model._resolve_layout(n_windows)
    assert (model.batch_size_, model.block_size_) == (batch, block)
    paper = GRUMoERegressor(batch_size=512, block_size=64)
    paper._resolve_layout(n_windows)
    assert (paper.batch_size_, paper.block_size_) == (512, 64)


@pytest.mark.keras
def test_user_guide_model_fits_its_example_data():
    X, y = user_guide_movies()
    model = make_pipeline(Windower(length=60), SmoothedRegressor(
        GRUMoERegressor(random_state=0), ButterworthSmoother()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)           # no warning on the guide's own example
        predictions = model.fit(X, y).predict(X)
    variance = float(np.concatenate(y).var(axis=0).mean())
    assert pooled_mse(y, predictions) < 0.5 * variance


@pytest.mark.keras
def test_random_state_none_leaves_numpy_global_state_alone():
    X, y = user_guide_movies(lengths=(30, 30))
    windows = Windower(length=5).fit_transform(X)
    before = np.random.get_state()[1].copy(), np.random.get_state()[2]
    GRUMoERegressor(units=2, epochs=1, random_state=None).fit(windows, y)
    after = np.random.get_state()
    assert np.array_equal(before[0], after[1]) and before[1] == after[2]


@pytest.mark.keras
def test_refit_on_movies_forgets_the_plain_array_width():
    rng = np.random.default_rng(0)
    model = GRUMoERegressor(units=2, epochs=1, target_range="auto", random_state=0)
    model.fit(rng.normal(size=(40, 3, 5)), rng.normal(size=40))
    assert model.n_features_in_ == 5
    X, y = user_guide_movies(lengths=(30, 30))
    model.fit(Windower(length=3).fit_transform(X), y)
    assert not hasattr(model, "n_features_in_")
