"""Tests of the zero-phase smoothers (sklearn_emotion.smoothing)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import signal
from sklearn.base import clone

from sklearn_emotion.datasets import AnnotationLengthWarning, load_liris_accede
from sklearn_emotion.smoothing import ButterworthSmoother, MovingAverageSmoother, butterworth_padlen

def _random_curves(n_seconds, n_columns=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n_seconds, n_columns))


@pytest.mark.parametrize("order, cutoff", [(1, 0.1), (2, 0.02), (4, 0.05), (6, 0.3)])
def test_butterworth_equals_scipy_design(order, cutoff):
    curves = _random_curves(300, 3)
    expected = signal.sosfiltfilt(signal.butter(order, cutoff, fs=1.0, output="sos"), curves, axis=0)
    smoother = ButterworthSmoother(order=order, cutoff=cutoff)
    assert_allclose(smoother.transform(curves), expected, rtol=1e-12, atol=1e-14)
    assert_allclose(smoother.transform([curves])[0], expected, rtol=1e-12, atol=1e-14)
    assert_allclose(smoother.smooth(curves), expected, rtol=1e-12, atol=1e-14)
    assert_allclose(smoother.smooth(curves[:, 0]), expected[:, 0], rtol=1e-12, atol=1e-14)


def test_butterworth_padlen_matches_scipy_rule():
    sos = signal.butter(2, 0.02, fs=1.0, output="sos")
    assert butterworth_padlen(sos) == 9
    assert butterworth_padlen(signal.butter(4, 0.02, fs=1.0, output="sos")) == 15
    curves = _random_curves(9)
    with pytest.raises(ValueError):  # SciPy itself refuses a movie not longer than its padding
        signal.sosfiltfilt(sos, curves, axis=0)


@pytest.mark.parametrize("n_seconds", [2, 3, 8, 9])
def test_butterworth_short_movie_uses_padlen_t_minus_1(n_seconds):
    curves = _random_curves(n_seconds)
    smoother = ButterworthSmoother(order=2, cutoff=0.02)
    expected = signal.sosfiltfilt(smoother.sos(), curves, axis=0, padlen=n_seconds - 1)
    result = smoother.transform([curves])[0]
    assert_allclose(result, expected, rtol=1e-12, atol=1e-14)
    assert np.isfinite(result).all()


def test_butterworth_first_movie_longer_than_padding_uses_scipy_default():
    curves = _random_curves(10)
    smoother = ButterworthSmoother(order=2, cutoff=0.1)
    expected = signal.sosfiltfilt(smoother.sos(), curves, axis=0)
    assert_allclose(smoother.smooth(curves), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("smoother", [ButterworthSmoother(), MovingAverageSmoother()])
def test_one_second_movie_is_unchanged(smoother):
    curve = np.array([[0.25, -0.5]])
    assert_array_equal(smoother.transform([curve])[0], curve)


def test_butterworth_removes_high_frequencies_and_keeps_low_ones():
    seconds = np.arange(2000)
    slow = np.sin(2 * np.pi * 0.002 * seconds)
    fast = np.sin(2 * np.pi * 0.2 * seconds)
    smoothed = ButterworthSmoother().smooth(slow + fast)
    middle = slice(200, -200)  # away from the edge transients
    assert np.max(np.abs(smoothed[middle] - slow[middle])) < 0.01


def test_moving_average_hand_computed_values():
    curve = np.array([0.0, 3.0, 0.0, 3.0, 6.0])
    uniform = MovingAverageSmoother(window=3).smooth(curve)
    # Edges average only the seconds that exist.
    assert_allclose(uniform, [1.5, 1.0, 2.0, 3.0, 4.5])
    triangular = MovingAverageSmoother(window=5, kind="triangular").smooth(curve)
    # Weights 1 2 3 2 1, renormalised at the edges.
    expected = [
        (3 * 0 + 2 * 3 + 1 * 0) / 6,
        (2 * 0 + 3 * 3 + 2 * 0 + 1 * 3) / 8,
        (1 * 0 + 2 * 3 + 3 * 0 + 2 * 3 + 1 * 6) / 9,
        (1 * 3 + 2 * 0 + 3 * 3 + 2 * 6) / 8,
        (1 * 0 + 2 * 3 + 3 * 6) / 6,
    ]
    assert_allclose(triangular, expected)
    assert_array_equal(MovingAverageSmoother().weights(), np.ones(31))
    assert_array_equal(MovingAverageSmoother(window=5, kind="triangular").weights(), [1, 2, 3, 2, 1])


def test_butterworth_is_zero_phase_with_squared_gain():
    smoother = ButterworthSmoother(order=2, cutoff=0.02)
    seconds = np.arange(3000)
    for frequency in (0.01, 0.02, 0.03):
        wave = np.sin(2 * np.pi * frequency * seconds)
        _, response = signal.sosfreqz(smoother.sos(), worN=[frequency], fs=1.0)
        gain = np.abs(response[0]) ** 2  # forward and backward pass
        middle = slice(500, -500)
        # No delay: the output is the input scaled by |H|^2, in phase.
        assert_allclose(smoother.smooth(wave)[middle], gain * wave[middle], atol=1e-6)
    _, at_cutoff = signal.sosfreqz(smoother.sos(), worN=[0.02], fs=1.0)
    assert_allclose(np.abs(at_cutoff[0]) ** 2, 0.5, rtol=1e-9)


@pytest.mark.parametrize(
    "smoother", [ButterworthSmoother(), MovingAverageSmoother(), MovingAverageSmoother(window=7, kind="triangular")]
)
def test_constant_preserving(smoother):
    constant = np.full((50, 2), 0.3)
    assert_allclose(smoother.smooth(constant), constant, atol=1e-12)


@pytest.mark.parametrize("smoother", [MovingAverageSmoother(), MovingAverageSmoother(window=7, kind="triangular")])
def test_moving_average_is_symmetric_in_time(smoother):
    curves = _random_curves(120)
    # Centred symmetric window: smoothing the reversed curve gives the reversed result.
    assert_allclose(smoother.smooth(curves[::-1]), smoother.smooth(curves)[::-1], atol=1e-12)
    assert_array_equal(MovingAverageSmoother(window=1).smooth(curves), curves)


@pytest.mark.parametrize("smoother", [ButterworthSmoother(cutoff=0.05), MovingAverageSmoother(window=5)])
def test_structure_is_kept(smoother):
    first, second = _random_curves(40, 2, seed=1), _random_curves(25, 3, seed=2)
    as_lists = smoother.transform([first, second])
    assert isinstance(as_lists, list) and [a.shape for a in as_lists] == [(40, 2), (25, 3)]
    assert_allclose(as_lists[0], smoother.smooth(first))
    movies = [{"image": first, "audio": first[:, :1]}, {"image": second[:, :2], "audio": second[:, 2:]}]
    as_mappings = smoother.transform(movies)
    assert [list(m) for m in as_mappings] == [["image", "audio"], ["image", "audio"]]
    assert_allclose(as_mappings[0]["image"], smoother.smooth(first))
    assert_allclose(as_mappings[1]["audio"], smoother.smooth(second[:, 2:]))
    single = smoother.transform(first)
    assert isinstance(single, np.ndarray) and single.shape == (40, 2)
    assert_allclose(single, as_lists[0])
    # Object arrays of movies are sequences too.
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = first, second
    assert_allclose(smoother.transform(objects)[1], as_lists[1])


@pytest.mark.parametrize("smoother", [ButterworthSmoother(cutoff=0.05), MovingAverageSmoother(window=5)])
def test_nan_rule_interpolate_smooth_restore(smoother):
    curves = _random_curves(60)
    with_gaps = curves.copy()
    with_gaps[[0, 10, 11, 12, 59], 0] = np.nan
    with_gaps[:, 1] = np.nan  # a column without any value stays NaN
    result = smoother.transform([with_gaps])[0]
    assert_array_equal(np.isnan(result), np.isnan(with_gaps))
    filled = with_gaps[:, 0].copy()
    filled[10:13] = np.interp([10, 11, 12], [9, 13], [curves[9, 0], curves[13, 0]])
    filled[0], filled[59] = curves[1, 0], curves[58, 0]  # nearest finite value at the ends
    expected = smoother.smooth(filled)
    finite = ~np.isnan(with_gaps[:, 0])
    assert_allclose(result[finite, 0], expected[finite], rtol=1e-12)


def test_infinity_is_an_error_naming_the_movie():
    movies = [_random_curves(20), _random_curves(20)]
    movies[1][4, 1] = np.inf
    with pytest.raises(ValueError, match=r"X\[1\].*infinity.*second 4, column 1"):
        ButterworthSmoother().transform(movies)
    with pytest.raises(ValueError, match=r"X\[0\]\['audio'\].*infinity"):
        MovingAverageSmoother().transform([{"audio": np.array([[np.inf]])}])


def test_bad_movies_are_named():
    with pytest.raises(ValueError, match=r"X\[1\]: must be a 2-D array.*\(5,\)"):
        ButterworthSmoother().transform([np.zeros((5, 2)), np.zeros(5)])
    with pytest.raises(ValueError, match=r"X\[0\]: nothing to smooth.*\(0, 2\)"):
        ButterworthSmoother().transform([np.zeros((0, 2))])
    with pytest.raises(ValueError, match="no movie"):
        ButterworthSmoother().transform([])


@pytest.mark.parametrize(
    "smoother, message",
    [
        (ButterworthSmoother(cutoff=0.5), "cutoff"),
        (ButterworthSmoother(cutoff=0), "cutoff"),
        (ButterworthSmoother(cutoff="low"), "cutoff"),
        (ButterworthSmoother(order=0), "order"),
        (ButterworthSmoother(order=2.5), "order"),
        (MovingAverageSmoother(window=4), "odd"),
        (MovingAverageSmoother(window=0), "window"),
        (MovingAverageSmoother(kind="gaussian"), "kind"),
    ],
)
def test_invalid_parameters_fail_at_fit_and_transform(smoother, message):
    with pytest.raises(ValueError, match=message):
        smoother.fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match=message):
        smoother.transform([np.zeros((10, 2))])


def test_fit_on_movies_forgets_single_array_width_and_clone_pickle():
    smoother = ButterworthSmoother(order=3, cutoff=0.1).fit(np.zeros((20, 3)))
    assert smoother.n_features_in_ == 3
    with pytest.raises(ValueError, match="features"):
        smoother.transform(np.zeros((20, 2)))
    smoother.fit([np.zeros((20, 2)), np.zeros((30, 5))])
    assert not hasattr(smoother, "n_features_in_")
    assert smoother.transform(np.zeros((20, 2))).shape == (20, 2)
    assert clone(smoother).get_params() == {"order": 3, "cutoff": 0.1}
    curves = _random_curves(50)
    restored = pickle.loads(pickle.dumps(smoother))
    assert_array_equal(restored.smooth(curves), smoother.smooth(curves))


def test_default_smoother_keeps_real_annotations_and_removes_noise(shared_data):
    with pytest.warns(AnnotationLengthWarning):  # 9 movies are truncated to the shorter axis
        curves = load_liris_accede(shared_data / "liris-accede-continuous").y
    assert len(curves) == 30
    smoother = ButterworthSmoother()
    distortion = np.mean([np.mean((s - c) ** 2) for s, c in zip(smoother.transform(curves), curves)])
    rng = np.random.default_rng(0)
    noisy = [c + rng.normal(scale=0.2, size=c.shape) for c in curves]
    denoised = np.mean([np.mean((s - c) ** 2) for s, c in zip(smoother.transform(noisy), curves)])
    # Measured: distortion 0.47e-3, noisy MSE 0.040 -> 0.0021 (benchmarks/annotation_spectrum.py).
    assert distortion < 1e-3
    assert denoised < 0.1 * 0.2**2


def test_fit_validates_movies_and_fit_transform_matches_transform():
    movies = [_random_curves(30), {"image": _random_curves(12, 4)}]
    smoother = MovingAverageSmoother(window=3)
    fitted = smoother.fit_transform(movies)
    assert_allclose(fitted[0], smoother.transform(movies)[0])
    assert_allclose(fitted[1]["image"], smoother.smooth(movies[1]["image"]))
    with pytest.raises(ValueError, match=r"X\[1\]\['image'\].*infinity"):
        smoother.fit([movies[0], {"image": np.array([[1.0, np.inf]])}])
    with pytest.raises(ValueError, match=r"X\[0\]: must be a 2-D array"):
        ButterworthSmoother().fit([np.zeros((2, 2, 2))])
