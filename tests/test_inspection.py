"""modality_contributions: exact Shapley values of the modalities, per second (issue 22)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline

from sklearn_emotion import PerSecondRegressor, SmoothedRegressor, make_baseline_pipeline
from sklearn_emotion.inspection import MAX_MODALITIES, MissingTrainingMeansWarning, modality_contributions
from sklearn_emotion.preprocessing import MovieStandardScaler
from sklearn_emotion.smoothing import ButterworthSmoother


def three_modality_movies(n_movies=5, seed=0, lengths=(40, 70)):
    """Movies of image (3), audio (2) and face (4) float32 features; valence driven by image and face
    (with an interaction), arousal by audio."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n_movies):
        n = int(rng.integers(*lengths))
        # float32, as the models read them: expected values computed here see the same inputs.
        movie = {name: rng.normal(size=(n, width)).astype(np.float32)
                 for name, width in (("image", 3), ("audio", 2), ("face", 4))}
        valence = np.tanh(0.8 * movie["image"][:, 0] + 0.5 * movie["face"][:, 1] * movie["image"][:, 1])
        arousal = np.tanh(0.9 * movie["audio"][:, 0] - 0.2 * movie["face"][:, 0])
        X.append(movie)
        y.append(np.c_[valence, arousal])
    return X, y


def assert_efficiency(result, model, X, atol=1e-10):
    """The contributions of every second sum to the prediction minus the all-absent prediction."""
    predicted = model.predict(X)
    for i, (contributions, absent) in enumerate(zip(result.contributions, result.baseline_prediction)):
        np.testing.assert_allclose(contributions.sum(axis=1), predicted[i] - absent, atol=atol,
                                   err_msg=f"movie {i}")
        np.testing.assert_allclose(result.prediction[i], predicted[i], atol=atol)


def brute_force_shapley(model, movie, baseline, names):
    """Shapley values from the permutation definition (average marginal gain over the M! orders)."""
    def value(present):
        variant = {name: movie[name] if name in present
                   else np.tile(baseline[name].astype(np.float32), (len(movie[name]), 1))
                   for name in names}
        return model.predict([variant])[0]

    phi = {name: 0.0 for name in names}
    orders = list(itertools.permutations(names))
    for order in orders:
        present = set()
        for name in order:
            before = value(present)
            present.add(name)
            phi[name] = phi[name] + (value(present) - before) / len(orders)
    return np.stack([phi[name] for name in names], axis=1)


def test_efficiency_identity_per_second_ridge():
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    result = modality_contributions(model, X)
    assert result.modalities == ["image", "audio", "face"]
    assert [c.shape for c in result.contributions] == [(len(m["image"]), 3, 2) for m in X]
    assert all(c.dtype == np.float64 for c in result.contributions)
    assert_efficiency(result, model, X)
    # The all-absent prediction is the prediction of the baseline movie: constant over the seconds.
    assert np.ptp(result.baseline_prediction[0], axis=0).max() < 1e-12


def test_matches_the_permutation_definition_on_a_nonlinear_model():
    """Not only efficiency: each value is the average marginal gain over the orders of the modalities
    (a nonlinear per-second model with interactions between modalities)."""
    from sklearn.neural_network import MLPRegressor

    X, y = three_modality_movies(n_movies=3)
    model = PerSecondRegressor(MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0)).fit(X, y)
    result = modality_contributions(model, X[:1])
    expected = brute_force_shapley(model, X[0], result.baseline, result.modalities)
    np.testing.assert_allclose(result.contributions[0], expected, atol=1e-6)  # float32 predictions
    assert np.abs(expected).max() > 0.01  # the check is not between zeros


def test_linear_model_contribution_is_the_modalitys_own_term():
    """For a model linear in the features, modality m's value is exactly coef_m . (x_m - baseline_m)."""
    X, y = three_modality_movies()
    model = PerSecondRegressor(LinearRegression()).fit(X, y)
    result = modality_contributions(model, X[:2])
    coef = model.estimator_.coef_  # (2, 9): image 0-2, audio 3-4, face 5-8
    columns = {"image": slice(0, 3), "audio": slice(3, 5), "face": slice(5, 9)}
    for movie, contributions in zip(X[:2], result.contributions):
        for j, name in enumerate(result.modalities):
            absent = result.baseline[name].astype(np.float32)  # the models read float32 features
            expected = (movie[name] - absent.astype(np.float64)) @ coef[:, columns[name]].T
            np.testing.assert_allclose(contributions[:, j], expected, atol=1e-6)


def test_default_baseline_is_the_training_seconds_mean():
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    result = modality_contributions(model, X[:1])
    for name in result.modalities:
        every_second = np.concatenate([movie[name] for movie in X])  # each second weighted equally
        np.testing.assert_allclose(result.baseline[name], every_second.mean(axis=0), rtol=1e-6, atol=1e-7)


def test_too_many_modalities_refused():
    rng = np.random.default_rng(0)
    names = [f"m{i}" for i in range(MAX_MODALITIES + 1)]
    X = [{name: rng.normal(size=(20, 1)) for name in names} for _ in range(2)]
    y = [rng.normal(size=(20, 2)) for _ in range(2)]
    model = PerSecondRegressor(Ridge()).fit(X, y)
    with pytest.raises(ValueError, match=r"7 modalities .* 2\*\*7 = 128 predictions .* at most 6"):
        modality_contributions(model, X)


def test_modality_order_of_x_does_not_matter():
    """X's mappings in another order: the same values, in the model's order."""
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    reordered = [{name: movie[name] for name in ("face", "image", "audio")} for movie in X[:2]]
    expected, found = modality_contributions(model, X[:2]), modality_contributions(model, reordered)
    assert found.modalities == ["image", "audio", "face"]
    for a, b in zip(expected.contributions, found.contributions):
        np.testing.assert_array_equal(a, b)


def test_contributions_follow_the_names_when_the_model_is_fitted_in_another_order():
    """A model fitted on the modalities in another order: the values follow the names, not the positions."""
    X, y = three_modality_movies()
    order = ("face", "image", "audio")
    permuted = [{name: movie[name] for name in order} for movie in X]
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    permuted_model = make_baseline_pipeline(alpha=1.0).fit(permuted, y)
    expected, found = modality_contributions(model, X[:2]), modality_contributions(permuted_model, X[:2])
    assert found.modalities == list(order)
    for a, b in zip(expected.contributions, found.contributions):
        for j, name in enumerate(found.modalities):
            np.testing.assert_allclose(b[:, j], a[:, expected.modalities.index(name)], atol=1e-6)
    # The modalities differ: a wrong assignment would not pass the check above.
    assert np.abs(expected.contributions[0][:, 0] - expected.contributions[0][:, 2]).max() > 0.1


def test_model_trained_on_two_modalities():
    """Valence driven by image alone, arousal by audio alone: each output's contributions go to its modality."""
    rng = np.random.default_rng(1)
    X = [{"image": rng.normal(size=(60, 3)).astype(np.float32), "audio": rng.normal(size=(60, 2)).astype(np.float32)}
         for _ in range(4)]
    y = [np.c_[np.tanh(m["image"] @ [0.7, -0.4, 0.2]), np.tanh(0.8 * m["audio"][:, 1])] for m in X]
    model = make_baseline_pipeline(alpha=1.0).fit(X[:3], y[:3])
    result = modality_contributions(model, X[3:])
    contributions = result.contributions[0]
    assert result.modalities == ["image", "audio"] and contributions.shape == (60, 2, 2)
    assert_efficiency(result, model, X[3:])
    absolute = np.abs(contributions).sum(axis=0)  # (modality, output)
    assert absolute[0, 0] / absolute[:, 0].sum() > 0.9  # valence: image
    assert absolute[1, 1] / absolute[:, 1].sum() > 0.9  # arousal: audio


def test_pipeline_with_smoothing_is_the_smoothed_contributions():
    """Butterworth smoothing is linear: the smoothed model's values are the smoothed values of the
    unsmoothed model, and efficiency holds."""
    X, y = three_modality_movies(lengths=(80, 120))
    smoother = ButterworthSmoother(cutoff=0.1)
    raw = make_baseline_pipeline(alpha=1.0).fit(X, y)
    smoothed = make_baseline_pipeline(alpha=1.0, smoother=smoother).fit(X, y)
    assert isinstance(smoothed, SmoothedRegressor)
    result, plain = modality_contributions(smoothed, X[:2]), modality_contributions(raw, X[:2])
    assert_efficiency(result, smoothed, X[:2])
    for found, unsmoothed in zip(result.contributions, plain.contributions):
        for j in range(3):
            np.testing.assert_allclose(found[:, j], smoother.smooth(unsmoothed[:, j]), atol=1e-9)
        assert np.abs(found - unsmoothed).max() > 0.05  # the smoothing did change them


def test_first_step_scaler_gives_the_raw_training_means():
    """MovieStandardScaler first: the baseline is on the scale of X (its input), not the scaled one."""
    X, y = three_modality_movies()
    X = [{name: 5.0 + 3.0 * array for name, array in movie.items()} for movie in X]
    model = make_pipeline(MovieStandardScaler(), PerSecondRegressor(Ridge())).fit(X, y)
    result = modality_contributions(model, X[:1])
    np.testing.assert_allclose(result.baseline["audio"], np.concatenate([m["audio"] for m in X]).mean(axis=0),
                               rtol=1e-6)
    assert_efficiency(result, model, X[:1])


def test_user_baseline():
    X, y = three_modality_movies()
    model = PerSecondRegressor(LinearRegression()).fit(X, y)
    zeros = {"image": np.zeros(3), "audio": [0.0, 0.0], "face": np.zeros(4)}
    result = modality_contributions(model, X[:1], baseline=zeros)
    assert_efficiency(result, model, X[:1])
    # The all-absent prediction is that of zero features: the intercept.
    np.testing.assert_allclose(result.baseline_prediction[0], np.tile(model.estimator_.intercept_, (len(X[0]["image"]), 1)),
                               atol=1e-6)
    coef = model.estimator_.coef_
    np.testing.assert_allclose(result.contributions[0][:, 1], X[0]["audio"] @ coef[:, 3:5].T, atol=1e-6)


@pytest.mark.parametrize("baseline, message", [
    ({"image": np.zeros(3), "audio": np.zeros(2)}, r"missing \['face'\]"),
    ({"image": np.zeros(3), "audio": np.zeros(2), "face": np.zeros(4), "text": np.zeros(1)}, r"unexpected \['text'\]"),
    ({"image": np.zeros(3), "audio": np.zeros(3), "face": np.zeros(4)}, r"baseline\['audio'\] has shape \(3,\) .* 2 features"),
    ({"image": np.zeros((1, 3)), "audio": np.zeros(2), "face": np.zeros(4)}, r"baseline\['image'\] has shape \(1, 3\)"),
    ({"image": np.zeros(3), "audio": np.zeros(2), "face": [0, 0, np.nan, 0]}, r"baseline\['face'\] contains NaN"),
    ("median", r"baseline='median'"),
])
def test_user_baseline_validated(baseline, message):
    X, y = three_modality_movies(n_movies=2)
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    with pytest.raises(ValueError, match=message):
        modality_contributions(model, X, baseline=baseline)


def test_model_without_stored_means_warns_and_uses_the_mean_over_x():
    """A model fitted before feature_means_ existed (0.2's files hold none): the mean over X, with a warning."""
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    del model.feature_means_  # what a PerSecondRegressor loaded from a 0.2 model file lacks
    with pytest.warns(MissingTrainingMeansWarning, match=r"PerSecondRegressor\) has no stored training feature means.*"
                                         r"mean over the 2 movie\(s\) of X"):
        result = modality_contributions(model, X[:2])
    np.testing.assert_allclose(result.baseline["face"], np.concatenate([m["face"] for m in X[:2]]).mean(axis=0),
                               rtol=1e-6)
    assert_efficiency(result, model, X[:2])


def test_old_scaler_uses_its_mean_without_warning():
    """A 0.2 paper pipeline starts with MovieStandardScaler, whose mean_ is the training mean."""
    X, y = three_modality_movies()
    model = make_pipeline(MovieStandardScaler(), PerSecondRegressor(Ridge())).fit(X, y)
    expected = modality_contributions(model, X[:1])
    del model[0].feature_means_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = modality_contributions(model, X[:1])
    np.testing.assert_allclose(found.contributions[0], expected.contributions[0], atol=1e-6)


def test_array_movies_are_one_modality():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(30, 4)).astype(np.float32) for _ in range(3)]
    y = [np.tanh(m[:, :2]) for m in X]
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    result = modality_contributions(model, X)
    assert result.modalities == ["features"] and result.contributions[0].shape == (30, 1, 2)
    assert_efficiency(result, model, X)


def test_n_jobs_gives_the_same_values():
    from joblib import parallel_config

    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    expected = modality_contributions(model, X)
    with parallel_config(backend="threading"):  # the shares of movies, without starting processes here
        found = modality_contributions(model, X, n_jobs=2)
    for a, b in zip(expected.contributions, found.contributions):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="n_jobs=0"):
        modality_contributions(model, X, n_jobs=0)


@pytest.mark.slow
def test_n_jobs_in_processes():
    X, y = three_modality_movies()
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    expected, found = modality_contributions(model, X), modality_contributions(model, X, n_jobs=2)
    for a, b in zip(expected.contributions, found.contributions):
        np.testing.assert_array_equal(a, b)


def test_saved_model_round_trip(tmp_path):
    """feature_means_ survives save_model/load_model (skops), and a SavedModel is accepted as the model."""
    from sklearn_emotion.persistence import SavedModel, load_model, save_model

    X, y = three_modality_movies()
    model = make_pipeline(MovieStandardScaler(), make_baseline_pipeline(alpha=1.0, smoother="butterworth")).fit(X, y)
    save_model(tmp_path / "model.skops", SavedModel(model, {"image": 3, "audio": 2, "face": 4}))
    loaded = load_model(tmp_path / "model.skops")
    for name, means in model[0].feature_means_.items():
        np.testing.assert_array_equal(loaded.estimator[0].feature_means_[name], means)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stored means, no fallback
        found = modality_contributions(loaded, X[:1])
    expected = modality_contributions(model, X[:1])
    np.testing.assert_allclose(found.contributions[0], expected.contributions[0], atol=1e-12)
    assert_efficiency(found, loaded.estimator, X[:1])


def test_movies_not_matching_the_model_refused():
    X, y = three_modality_movies(n_movies=2)
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    with pytest.raises(ValueError, match=r"X\[0\]: modalities .* missing \['face'\]"):
        modality_contributions(model, [{"image": X[0]["image"], "audio": X[0]["audio"]}])
    with pytest.raises(TypeError, match="sequence of movies"):
        modality_contributions(model, X[0]["image"])


# ---------------------------------------------------------------------------- Keras models
@pytest.mark.keras
def test_gru_moe_paper_pipeline_efficiency_and_order():
    """The paper's pipeline (scaler, windows, GRU-MoE, Butterworth smoothing), tiny: efficiency to
    float32 rounding, and the same values for X's mappings in another order."""
    from sklearn_emotion import make_paper_pipeline
    from sequence_helpers import SMALL_GRU

    X, y = three_modality_movies(n_movies=4, lengths=(60, 90))
    model = make_paper_pipeline(window_length=8, **SMALL_GRU).fit(X, y)
    result = modality_contributions(model, X[:2])
    assert_efficiency(result, model, X[:2], atol=1e-5)
    assert max(np.abs(c).max() for c in result.contributions) > 1e-3  # not all zero
    reordered = [{name: movie[name] for name in ("audio", "face", "image")} for movie in X[:2]]
    found = modality_contributions(model, reordered)
    for a, b in zip(result.contributions, found.contributions):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.keras
def test_bare_gru_moe_takes_windowed_movies(tmp_path):
    """A GRUMoERegressor fitted on WindowedMovies records the means itself (kept by its skops file);
    X is then WindowedMovies."""
    from sklearn_emotion import Windower
    from sklearn_emotion.persistence import SavedModel, load_model, save_model
    from sequence_helpers import small_gru

    X, y = three_modality_movies(n_movies=3, lengths=(40, 60))
    windows = Windower(6).fit_transform(X)
    model = small_gru().fit(windows, y)
    np.testing.assert_allclose(model.feature_means_["image"], np.concatenate([m["image"] for m in X]).mean(axis=0),
                               rtol=1e-5)
    result = modality_contributions(model, windows[:1])
    assert_efficiency(result, model, windows[:1], atol=1e-5)
    # A model file predicts movies: the network saved behind its Windower (which records them too).
    pipeline = make_pipeline(Windower(6), small_gru()).fit(X, y)
    save_model(tmp_path / "gru.skops", SavedModel(pipeline, {"image": 3, "audio": 2, "face": 4}))
    loaded = load_model(tmp_path / "gru.skops").estimator
    for name, means in pipeline[-1].feature_means_.items():
        np.testing.assert_array_equal(loaded[-1].feature_means_[name], means)
        np.testing.assert_array_equal(loaded[0].feature_means_[name], means)


@pytest.mark.keras
def test_tcn_pipeline_efficiency():
    from sklearn_emotion import TCNRegressor, make_tcn_pipeline
    from sequence_helpers import SMALL_TCN

    X, y = three_modality_movies(n_movies=4, lengths=(60, 90))
    model = make_tcn_pipeline(**SMALL_TCN).fit(X, y)
    result = modality_contributions(model, X[:2])
    assert_efficiency(result, model, X[:2], atol=1e-5)
    # A bare TCN fitted on movies records the means of its modalities, split from its stacked input.
    tcn = TCNRegressor(**SMALL_TCN).fit(X, y)
    for name in ("image", "audio", "face"):
        np.testing.assert_allclose(tcn.feature_means_[name], np.concatenate([m[name] for m in X]).mean(axis=0),
                                   rtol=1e-5)


@pytest.mark.keras
def test_model_file_of_0_1_explained_with_its_scalers_means():
    """The real 0.1 model file of the compatibility tests (scaler -> Windower -> smoothed GRU-MoE, saved
    before feature_means_ existed): its scaler's mean_ is the training mean, used without a warning."""
    from pathlib import Path

    from sklearn_emotion.persistence import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # names moved since 0.1
        saved = load_model(Path(__file__).parent / "data" / "model_v0_1.joblib", trust_pickle=True)
    scaler = saved.estimator[0]
    assert isinstance(scaler, MovieStandardScaler) and not hasattr(scaler, "feature_means_")
    rng = np.random.default_rng(0)
    X = [{"image": rng.normal(size=(30, 3)).astype(np.float32), "audio": rng.normal(size=(30, 2)).astype(np.float32)}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = modality_contributions(saved, X)
    assert result.modalities == ["image", "audio"]
    np.testing.assert_array_equal(result.baseline["audio"], scaler.mean_["audio"])
    assert_efficiency(result, saved.estimator, X, atol=1e-5)


# ---------------------------------------------------------------------------- issue 22's measurement
@pytest.mark.keras
def test_switching_movies_contributions_go_to_the_carrier(shared_data):
    """Issue 22's Done-when, as benchmarks/modality_contributions.py measures it (same defaults):
    semi-synthetic movies of the real LIRIS-ACCEDE curves where one modality carries the emotion in the
    first half and another in the second; a default Windower(10) + GRUMoERegressor trained on 14 movies
    gives, on 6 held-out movies, >= 65 % of each half's absolute contribution (per output, 15 s away
    from the edges and the switch) to the carrier."""
    import sys
    from pathlib import Path

    benchmarks = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        from modality_contributions import measure_shares
    finally:
        sys.path.remove(benchmarks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # LIRIS-ACCEDE's uneven annotation files
        found = measure_shares(shared_data / "liris-accede-continuous", seed=0)
    shares, pooled = found["shares"], found["pooled"]
    print("shares per held-out movie (half, output):", np.round(shares, 3).tolist(), "pooled:", np.round(pooled, 3).tolist())
    assert shares.shape == (6, 2, 2) and len(set(found["carriers"])) > 1
    assert (pooled >= 0.65).all(), pooled


@pytest.mark.keras
def test_model_predicting_the_std_is_explained_for_its_mean():
    from sklearn_emotion import Windower
    from sequence_helpers import make_std_movies, small_gru

    X, y = make_std_movies(3, seed=0)
    model = make_pipeline(Windower(5), small_gru(predict_std=True)).fit(X, y)
    result = modality_contributions(model, X[:1])
    assert result.contributions[0].shape == (len(y[0]), 2, 2)  # valence and arousal means, not the stds
    assert_efficiency(result, model, X[:1], atol=1e-5)


def docs_example(section: str = "Example") -> str:
    """The ```python block of a section of docs/inspection.md ("" for the page's introduction)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "inspection.md").read_text(encoding="utf-8")
    part = text.split(f"## {section}\n", 1)[1] if section else text
    return re.search(r"^```python\n(.*?)^```$", part.split("\n## ", 1)[0], flags=re.M | re.S).group(1)


def test_docs_example(capsys):
    namespace: dict = {"__name__": "docs_inspection_example"}
    exec(compile(docs_example(), "docs/inspection.md", "exec", dont_inherit=True), namespace)  # as a user's script
    result, model, X = namespace["result"], namespace["model"], namespace["X"]
    assert namespace["driver"] == "audio"
    shares = dict(zip(result.modalities, namespace["shares"]))
    assert shares["audio"] > 0.8 and shares["audio"] == max(shares.values())
    assert_efficiency(result, model, X[5:])
    out = capsys.readouterr().out  # what the page says it prints
    assert "arousal peak at 99 s, driven most by the audio" in out  # inside the movie, not at its edge
    assert "share of |contribution| to arousal: image 3%, audio 96%, face 1%" in out
    # The page's first block, on the example's model and held-out movie.
    intro = {"model": model, "movies": X[5:], "i": 0}
    exec(compile(docs_example(""), "docs/inspection.md", "exec", dont_inherit=True), intro)
    assert intro["result"].contributions[0].shape == (120, 3, 2)


def test_movies_of_other_widths_refused_naming_the_modality():
    X, y = three_modality_movies(n_movies=2)
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    wider = [{**movie, "audio": np.hstack([movie["audio"], movie["audio"][:, :1]])} for movie in X]
    with pytest.raises(ValueError, match=r"feature_means_\)\['audio'\] has shape \(2,\) but modality 'audio' "
                                         r"of the movies has 3 features"):
        modality_contributions(model, wider)


def test_means_found_through_run_averaging_and_grid_search():
    """The walk to the first step: a RunAveragingRegressor's first run, a grid search's best estimator."""
    from sklearn.model_selection import GridSearchCV

    from sklearn_emotion import RunAveragingRegressor

    X, y = three_modality_movies()
    X = [{name: 2.0 + array for name, array in movie.items()} for movie in X]  # means far from 0
    expected = np.concatenate([m["image"] for m in X]).mean(axis=0)
    runs = RunAveragingRegressor([("a", PerSecondRegressor(Ridge())), ("b", PerSecondRegressor(Ridge(alpha=10)))])
    search = GridSearchCV(make_pipeline(MovieStandardScaler(), PerSecondRegressor(Ridge())),
                          {"persecondregressor__estimator__alpha": [0.1, 10.0]}, cv=2)
    for model in (runs.fit(X, y), search.fit(X, y)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # found, no fallback to the mean over X
            result = modality_contributions(model, X[:1])
        np.testing.assert_allclose(result.baseline["image"], expected, rtol=1e-6)
        assert_efficiency(result, model, X[:1])


def test_feature_means_of_movies_of_other_widths():
    """movie_feature_means names the movie whose width differs; a Windower fitted on such movies still
    fits (the model after it refuses them, naming its widths) and records no means."""
    from sklearn_emotion import Windower
    from sklearn_emotion.preprocessing import movie_feature_means

    X, _ = three_modality_movies(n_movies=3)
    X[2] = {**X[2], "face": X[2]["face"][:, :3]}
    with pytest.raises(ValueError, match=r"movie 2, modality 'face': 3 features .* the movies before it have 4"):
        movie_feature_means(X)
    assert not hasattr(Windower(5).fit(X), "feature_means_")
    assert Windower(5).fit(X[:2]).feature_means_["face"].shape == (4,)


def test_pipeline_with_smoothing_inside_efficiency():
    """A Pipeline whose last step smooths (scaler, then Ridge + Butterworth): efficiency per second."""
    X, y = three_modality_movies(lengths=(60, 90))
    model = make_pipeline(MovieStandardScaler(), make_baseline_pipeline(alpha=1.0, smoother="butterworth")).fit(X, y)
    result = modality_contributions(model, X[:2])
    assert_efficiency(result, model, X[:2])
    assert all(np.abs(c).max() > 0.05 for c in result.contributions)  # not trivially zero


def test_errors_name_the_movie_and_the_modalities_present():
    """A model's refusal names the movie explained (not the variant) and which modalities it had."""
    X, y = three_modality_movies(n_movies=3)
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    bad = [{name: array.copy() for name, array in movie.items()} for movie in X]
    bad[1]["audio"][3, 0] = np.nan
    with pytest.raises(ValueError, match=r"^movie 1 \(second\), with the modalities \['image', 'audio', 'face'\] "
                                         r"present .*NaN") as caught:
        modality_contributions(model, bad, movie_names=["first", "second", "third"])
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(ValueError, match=r"^movie 1, with the modalities"):
        modality_contributions(model, bad)
    with pytest.raises(ValueError, match="movie_names"):
        modality_contributions(model, X, movie_names=["only one"])


def test_movies_converted_one_at_a_time(monkeypatch):
    """float64 input is converted movie by movie inside the explanation, not as a float32 copy of X first:
    a movie that is not a 2-D array is refused by its index only when its turn comes, and widths are
    checked before any prediction."""
    import sklearn_emotion.inspection as inspection

    X, y = three_modality_movies(n_movies=3)
    model = make_baseline_pipeline(alpha=1.0).fit(X, y)
    X64 = [{name: array.astype(np.float64) for name, array in movie.items()} for movie in X]
    seen = []
    original = inspection.as_movies
    monkeypatch.setattr(inspection, "as_movies",
                        lambda movies, **kwargs: seen.append(len(movies)) or original(movies, **kwargs))
    result = modality_contributions(model, X64)
    monkeypatch.undo()
    assert len(seen) >= len(X) and set(seen) == {1}  # never the corpus at once
    assert_efficiency(result, model, X64)
    wide = [dict(movie) for movie in X64]
    wide[2]["face"] = np.zeros((len(wide[2]["face"]), 5))
    with pytest.raises(ValueError, match=r"X\[2\]\['face'\] has 5 features"):
        modality_contributions(model, wide)


@pytest.mark.keras
def test_batch_statistics_model_predicts_each_variant_alone():
    """A GRU-MoE normalising with each batch's statistics (batch_norm_inference="batch"): every variant is
    predicted in its own call, so f(N) is model.predict([movie]) and f({}) model.predict([all-absent])."""
    from sklearn_emotion import GRUMoERegressor, Windower

    rng = np.random.default_rng(0)
    X = [{"image": rng.normal(size=(50, 3)).astype(np.float32),
          "audio": rng.normal(size=(50, 2)).astype(np.float32)} for _ in range(3)]
    y = [np.tanh(movie["image"][:, :2]) for movie in X]
    model = make_pipeline(Windower(5), GRUMoERegressor(units=4, n_experts=2, epochs=2, batch_norm=True,
                                                       batch_norm_inference="batch", batch_size=32,
                                                       random_state=0)).fit(X, y)
    result = modality_contributions(model, X[:1])
    alone = model.predict(X[:1])[0]
    np.testing.assert_allclose(result.prediction[0], alone, atol=1e-6)
    absent = {name: np.tile(result.baseline[name].astype(np.float32), (50, 1)) for name in ("image", "audio")}
    np.testing.assert_allclose(result.baseline_prediction[0], model.predict([absent])[0], atol=1e-6)
    np.testing.assert_allclose(result.contributions[0].sum(axis=1), alone - result.baseline_prediction[0], atol=1e-6)
