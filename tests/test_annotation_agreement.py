"""Raters' agreement (issue 21): Shrout & Fleiss's intraclass correlations, alpha, Pearson, Lin's CCC."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sklearn_emotion.annotation import AGREEMENT_KEYS, agreement, concordance_correlation, rater_correlations

#: Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
#: Their Table 4, at the two decimals they print.
PUBLISHED = {"ICC(1,1)": 0.17, "ICC(2,1)": 0.29, "ICC(3,1)": 0.71, "ICC(1,k)": 0.44, "ICC(2,k)": 0.62, "ICC(3,k)": 0.91}


def test_shrout_and_fleiss_example_gives_their_published_table():
    result = agreement(SHROUT_FLEISS)
    assert tuple(result) == AGREEMENT_KEYS == ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)",
                                               "ICC(3,k)", "cronbach_alpha", "mean_pearson", "mean_ccc")
    assert {key: round(result[key], 2) for key in PUBLISHED} == PUBLISHED
    assert result["cronbach_alpha"] == pytest.approx(result["ICC(3,k)"], abs=1e-12)
    assert all(isinstance(value, float) for value in result.values())


def test_alpha_is_the_textbook_formula_and_pearson_and_ccc_average_the_pairs():
    result = agreement(SHROUT_FLEISS)
    k = SHROUT_FLEISS.shape[1]
    alpha = k / (k - 1) * (1 - SHROUT_FLEISS.var(axis=0, ddof=1).sum() / SHROUT_FLEISS.sum(axis=1).var(ddof=1))
    assert result["cronbach_alpha"] == pytest.approx(alpha)
    pairs = list(itertools.combinations(range(k), 2))
    pearson = np.mean([np.corrcoef(SHROUT_FLEISS[:, i], SHROUT_FLEISS[:, j])[0, 1] for i, j in pairs])
    assert result["mean_pearson"] == pytest.approx(pearson)

    def lin(x, y):  # Lin (1989) with population moments
        return 2 * np.cov(x, y, ddof=0)[0, 1] / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)

    ccc = [lin(SHROUT_FLEISS[:, i], SHROUT_FLEISS[:, j]) for i, j in pairs]
    assert result["mean_ccc"] == pytest.approx(np.mean(ccc))
    # the judges' offsets (judge 2 rates ~4 lower) cost CCC and ICC(2,.) but not Pearson and ICC(3,.)
    assert result["mean_ccc"] < result["mean_pearson"] and result["ICC(2,1)"] < result["ICC(3,1)"]


def test_a_target_with_a_nan_is_dropped():
    with_gap = np.vstack([SHROUT_FLEISS, [3.0, np.nan, 1.0, 2.0]])
    assert agreement(with_gap) == agreement(SHROUT_FLEISS)
    np.testing.assert_array_equal(rater_correlations(with_gap), rater_correlations(SHROUT_FLEISS))


def test_identical_raters_agree_perfectly_and_a_shift_costs_absolute_agreement_only():
    curve = np.sin(np.linspace(0, 6, 40))
    same = agreement(np.column_stack([curve, curve, curve]))
    assert all(value == pytest.approx(1.0) for value in same.values())
    shifted = agreement(np.column_stack([curve, curve + 0.5]))
    assert shifted["ICC(3,1)"] == pytest.approx(1.0) and shifted["mean_pearson"] == pytest.approx(1.0)
    assert shifted["ICC(2,1)"] < 0.9 and shifted["mean_ccc"] < 0.9 and shifted["ICC(1,1)"] < 0.9


def test_rater_correlations_are_each_rater_against_the_others_mean():
    correlations = rater_correlations(SHROUT_FLEISS)
    for j in range(4):
        others = np.delete(SHROUT_FLEISS, j, axis=1).mean(axis=1)
        assert correlations[j] == pytest.approx(np.corrcoef(SHROUT_FLEISS[:, j], others)[0, 1])
    rng = np.random.default_rng(0)
    truth = rng.normal(size=200)
    raters = np.column_stack([truth + rng.normal(0, 0.1, 200) for _ in range(3)] + [rng.normal(size=200)])
    correlations = rater_correlations(raters)
    assert correlations[:3].min() > 0.9 and abs(correlations[3]) < 0.2  # the rater who ignored the movie stands out


def test_concordance_correlation_drops_nan_pairs():
    x = np.array([0.1, 0.2, np.nan, 0.4, 0.5])
    assert concordance_correlation(x, x) == pytest.approx(1.0)
    assert concordance_correlation(x, 2 * x) < 1.0


@pytest.mark.parametrize("ratings, message", [
    (np.ones((5, 1)), "at least 2 raters"),
    (np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, np.nan]]), "at least 2 targets rated by all 2 raters, got 1 of 3"),
    (np.ones(5), "2-D"),
])
def test_too_little_to_compare_is_a_clear_error(ratings, message):
    with pytest.raises(ValueError, match=message):
        agreement(ratings)
