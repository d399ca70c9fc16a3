"""scikit-learn's estimator checks and a numpydoc check on every public estimator of the package.

Each expected failure is listed with its reason.  Estimators whose inputs are not 2-D arrays
(movies as lists, video files) declare ``two_d_array=False``, so scikit-learn runs only its API checks
(construction, ``get_params``/``set_params``, cloning, no attribute set in ``__init__``) on them.
"""

from __future__ import annotations

import inspect

import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_emotion
from sklearn_emotion import (
    AudioEmbedder,
    ButterworthSmoother,
    FaceEmbedder,
    GRUMoERegressor,
    ImageEmbedder,
    ModalityUnion,
    MovieStandardScaler,
    MovingAverageSmoother,
    PerSecondRegressor,
    RunAveragingRegressor,
    SmoothedRegressor,
    TCNRegressor,
    Windower,
)

ALONG_TIME = (
    "smoothing runs along time, so a second's output depends on its neighbours: results change when "
    "seconds are removed or reordered"
)
LIST_IS_MOVIES = (
    "a Python list is read as a sequence of movies, so a list of rows is a list of 1-D movies and is "
    "rejected (only a single 2-D array means one movie)"
)
SMOOTHER_FAILURES = {
    "check_methods_subset_invariance": ALONG_TIME,
    "check_methods_sample_order_invariance": ALONG_TIME,
    "check_transformer_data_not_an_array": LIST_IS_MOVIES,
}

# Small and quick: the checks fit dozens of times.  target_range="auto" because the checks' targets
# are not valence/arousal in [-1, 1].
GRU = GRUMoERegressor(units=4, n_experts=2, epochs=3, batch_size=64, target_range="auto", early_stopping=False,
                      learning_rate=0.01, random_state=0)

# A 2-D array is one movie; tiny network, crops and epochs.
TCN = TCNRegressor(filters=4, levels=2, kernel_size=3, epochs=3, crop_length=16, target_range="auto",
                   early_stopping=False, learning_rate=0.01, random_state=0)
ALONG_TIME_TCN = (
    "a 2-D array is one movie and the convolutions run along time, so a second's prediction depends on "
    "its neighbours: results change when seconds are removed or reordered"
)

ESTIMATORS = [
    GRU,
    TCN,
    Windower(),
    ButterworthSmoother(),
    MovingAverageSmoother(),
    MovingAverageSmoother(window=5, kind="triangular"),
    SmoothedRegressor(PerSecondRegressor(Ridge())),
    RunAveragingRegressor([("a", PerSecondRegressor(Ridge())), ("b", PerSecondRegressor(Ridge(alpha=10)))]),
    PerSecondRegressor(Ridge()),
    MovieStandardScaler(),
    ImageEmbedder(),
    AudioEmbedder(),
    FaceEmbedder(),
    ModalityUnion([("image", ImageEmbedder()), ("audio", AudioEmbedder())]),
]

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "ButterworthSmoother": SMOOTHER_FAILURES,
    "MovingAverageSmoother": SMOOTHER_FAILURES,
    "TCNRegressor": {
        "check_methods_subset_invariance": ALONG_TIME_TCN,
        "check_methods_sample_order_invariance": ALONG_TIME_TCN,
        "check_regressors_train": LIST_IS_MOVIES,
    },
}


def expected_failures(estimator) -> dict[str, str]:
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


#: scikit-learn's checks that fit nothing (construction, cloning, parameters, tags, refused inputs): on
#: the Keras estimators every other check trains a network, about 2 s each, and is marked ``keras``.
CHECKS_WITHOUT_TRAINING = {
    "check_estimator_cloneable", "check_estimator_tags_renamed", "check_valid_tag_types", "check_estimator_repr",
    "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order", "check_complex_data",
    "check_estimators_empty_data_messages", "check_estimator_sparse_tag", "check_array_api_input",
    "check_estimators_partial_fit_n_features", "check_supervised_y_no_nan",
    "check_non_transformer_estimators_n_iter", "check_parameters_default_constructible",
    "check_get_params_invariance", "check_fit1d", "check_requires_y_none", "check_no_attributes_set_in_init",
    "check_estimators_unfitted", "check_estimator_sparse_array", "check_estimator_sparse_matrix",
    "check_set_params",
}


def _keras_checks_marked(parametrize):
    """``parametrize_with_checks``'s decorator, with ``keras`` on the checks that train a Keras estimator."""
    names, params = parametrize.args
    marked = []
    for param in params:
        values, marks, id_ = (param.values, param.marks, param.id) if hasattr(param, "marks") else (param, (), None)
        estimator, check = values
        check_name = getattr(check, "func", check).__name__
        if isinstance(estimator, (GRUMoERegressor, TCNRegressor)) and check_name not in CHECKS_WITHOUT_TRAINING:
            marks = (*marks, pytest.mark.keras)
        marked.append(pytest.param(*values, marks=marks, id=id_))
    return pytest.mark.parametrize(names, marked, **parametrize.kwargs)


@_keras_checks_marked(parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def public_estimator_classes() -> list[type]:
    classes = []
    for name in sklearn_emotion.__all__:
        value = getattr(sklearn_emotion, name)
        if inspect.isclass(value) and hasattr(value, "get_params"):
            classes.append(value)
    return classes


def test_every_public_estimator_is_checked():
    checked = {type(estimator) for estimator in ESTIMATORS}
    assert set(public_estimator_classes()) == checked


@pytest.mark.parametrize("cls", public_estimator_classes(), ids=lambda cls: cls.__name__)
def test_parameter_constraints_cover_every_parameter(cls):
    # One validation idiom: every constructor parameter is declared in _parameter_constraints with
    # real constraints, never "no_validation".
    parameters = set(inspect.signature(cls.__init__).parameters) - {"self"}
    constraints = cls._parameter_constraints
    assert set(constraints) == parameters
    assert all(rules != "no_validation" and "no_validation" not in rules for rules in constraints.values())


@pytest.mark.parametrize("estimator", [e for e in ESTIMATORS if not isinstance(e, ModalityUnion)],
                         ids=lambda e: type(e).__name__)
def test_a_wrongly_typed_parameter_is_refused_in_fit(estimator):
    name = next(iter(type(estimator)._parameter_constraints))
    broken = clone(estimator).set_params(**{name: object()})  # ESTIMATORS are shared by other tests
    with pytest.raises(InvalidParameterError, match=name):
        broken.fit(*_tiny_data(broken))


def _tiny_data(estimator):
    import numpy as np

    movies = [np.zeros((5, 2)), np.ones((6, 2))]
    targets = [np.zeros((5, 2)), np.zeros((6, 2))]
    if isinstance(estimator, (ImageEmbedder, AudioEmbedder, FaceEmbedder)):
        return (["movie.mp4"],)
    return movies, targets


@pytest.mark.parametrize("cls", public_estimator_classes(), ids=lambda cls: cls.__name__)
def test_every_parameter_is_documented(cls):
    pytest.importorskip("numpydoc")
    from numpydoc.docscrape import ClassDoc

    documented = {name.strip() for parameter in ClassDoc(cls)["Parameters"]
                  for name in parameter.name.split(",")}
    parameters = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert parameters <= documented, f"undocumented: {sorted(parameters - documented)}"


MOVIE_ESTIMATORS = [e for e in ESTIMATORS if not isinstance(e, (ImageEmbedder, AudioEmbedder, FaceEmbedder,
                                                                ModalityUnion))]


@pytest.mark.parametrize("estimator", MOVIE_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_an_empty_sequence_of_movies_is_refused_as_no_movies(estimator):
    # Issue 19: GRUMoERegressor().fit([], []) said "Expected 2D array"; every estimator says it alike.
    with pytest.raises(ValueError, match=r"^X holds no movies: at least one movie is needed\.$"):
        clone(estimator).fit([], [])


@pytest.mark.parametrize("estimator", [e for e in ESTIMATORS if isinstance(e, (ImageEmbedder, AudioEmbedder,
                                                                                FaceEmbedder))],
                         ids=lambda e: type(e).__name__)
def test_an_embedder_given_no_movie_says_so_alike(estimator):
    # The embedders' fit takes no movie (a pretrained network learns nothing); transform needs one.
    with pytest.raises(ValueError, match=r"^X holds no movies: at least one movie is needed\.$"):
        clone(estimator).fit([]).transform([])
