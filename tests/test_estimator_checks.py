"""scikit-learn's own estimator checks on the package's core estimators (plain-array modes)."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_emotion import GRUMoERegressor, Windower

# Small and quick: the checks fit dozens of times.  target_range="auto" because the checks' targets
# are not valence/arousal in [-1, 1].
_GRU = GRUMoERegressor(units=4, n_experts=2, epochs=3, batch_size=64, target_range="auto", early_stopping=False,
                       learning_rate=0.01, random_state=0)

# Every check that applies passes: no expected failure.  (The Windower declares that it does not take
# 2-D arrays, so only the API checks apply to it.)
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "GRUMoERegressor": {},
    "Windower": {},
}


def _expected_failures(estimator):
    return EXPECTED_FAILURES[type(estimator).__name__]


@parametrize_with_checks([_GRU, Windower()], expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
