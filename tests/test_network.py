"""The network's layers against NumPy formulas, and the block computation against stock Keras RNNs."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from sklearn_emotion.gru_moe.batches import BlockBatches, chunk_movie, iter_prediction_batches  # noqa: E402
from sklearn_emotion.gru_moe.layers import ContextGate, MaskedBatchNormalization, MixtureOfExperts  # noqa: E402
from sklearn_emotion.gru_moe.network import GRUMoENetwork  # noqa: E402
from sklearn_emotion.gru_moe.reference import ReferenceNetwork, blocks_to_windows  # noqa: E402
from sklearn_emotion.sequence_regressor.losses import masked_loss  # noqa: E402


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_context_gate_equals_numpy_formula():
    rng = np.random.RandomState(0)
    x = rng.randn(7, 5).astype(np.float32)
    gate = ContextGate(seed=1)
    gate.build((None, 5))
    gate.bias.assign(rng.randn(5).astype(np.float32))
    W, b = (np.asarray(w) for w in gate.get_weights())
    np.testing.assert_allclose(np.asarray(gate(x)), x * sigmoid(x @ W + b), rtol=1e-5, atol=1e-6)


def test_mixture_of_experts_equals_numpy_formula():
    rng = np.random.RandomState(1)
    n, d, k, e = 9, 6, 2, 3
    x = rng.randn(n, d).astype(np.float32)
    moe = MixtureOfExperts(n_outputs=k, n_experts=e, seed=2)
    moe.build((None, d))
    moe.gate_bias.assign(rng.randn(k * (e + 1)).astype(np.float32))
    moe.expert_bias.assign(rng.randn(k * e).astype(np.float32))
    G, c, E, b = (np.asarray(w) for w in moe.get_weights())
    expected = np.zeros((n, k))
    for out in range(k):
        gate_logits = x @ G.reshape(d, k, e + 1)[:, out, :] + c.reshape(k, e + 1)[out]
        gates = np.exp(gate_logits - gate_logits.max(axis=1, keepdims=True))
        gates /= gates.sum(axis=1, keepdims=True)
        experts = sigmoid(x @ E.reshape(d, k, e)[:, out, :] + b.reshape(k, e)[out])
        expected[:, out] = (gates[:, :e] * experts).sum(axis=1)   # the dummy expert predicts 0
    np.testing.assert_allclose(np.asarray(moe(x)), expected, rtol=1e-5, atol=1e-6)
    assert np.all((expected > 0) & (expected < 1))


def test_masked_batch_normalization_ignores_padding_and_can_use_batch_statistics():
    rng = np.random.RandomState(2)
    x = rng.randn(10, 3).astype(np.float32) * 3 + 1
    mask = np.r_[np.ones(6), np.zeros(4)].astype(np.float32)
    layer = MaskedBatchNormalization(momentum=0.0)
    layer.build((None, 3))
    out = np.asarray(layer(x, sample_mask=mask, training=True))
    mean, var = x[:6].mean(0), x[:6].var(0)
    np.testing.assert_allclose(out[:6], (x[:6] - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5)
    # Population statistics at inference, unless batch statistics are asked for; neither updates them.
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), out * 0 + (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    layer.batch_statistics_at_inference = True
    shifted = x + 5.0
    np.testing.assert_allclose(
        np.asarray(layer(shifted, sample_mask=mask, training=False))[:6], out[:6], rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5)


def test_masked_loss_ignores_nan_targets():
    loss = masked_loss("cross_entropy")
    y_true = np.array([[0.2, np.nan], [np.nan, np.nan], [1.0, 0.0]], np.float32)
    y_pred = np.array([[0.3, 0.9], [0.5, 0.5], [0.8, 0.1]], np.float32)
    valid = ~np.isnan(y_true)
    t, p = y_true[valid], y_pred[valid]
    expected = np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
    assert float(loss(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)
    mse = masked_loss("mse")
    assert float(mse(y_true, y_pred)) == pytest.approx(np.mean((t - p) ** 2), rel=1e-5)


def _block_inputs(rng, modalities, n_blocks, block, length, pad_steps):
    n_steps = block + length - 1
    inputs = {name: rng.randn(n_blocks, n_steps, dim).astype(np.float32) for name, dim in modalities}
    mask = np.ones((n_blocks, n_steps), np.float32)
    mask[0, :pad_steps] = 0.0   # block 0 starts at a movie's first second: masked left padding
    for name, _ in modalities:
        inputs[name][0, :pad_steps] = 0.0
    inputs["step_mask"] = mask
    window_mask = np.ones((n_blocks, block), np.float32)
    window_mask[-1, -2:] = 0.0  # padding windows past a movie's end
    inputs["window_mask"] = window_mask
    return inputs


@pytest.mark.parametrize(
    "cell, layers, batch_norm",
    [("gru", 1, False), ("gru", 2, True), ("lstm", 1, True), ("lstm", 2, False)],
)
def test_block_network_computes_the_same_function_as_stock_keras_rnns(cell, layers, batch_norm):
    rng = np.random.RandomState(3)
    length, block, n_blocks = 6, 5, 3
    modalities = [("image", 7), ("audio", 3)]
    network = GRUMoENetwork(
        modalities=modalities, window_length=length, cell=cell, units={"image": 4, "audio": 3},
        n_layers={"image": layers, "audio": 1}, n_experts=2, n_outputs=2, l2=0.0, dropout=0.0,
        batch_norm=batch_norm, batch_norm_inference="population", seed=4,
    )
    network.build_for_blocks(1)
    # Non-zero biases so that every term of the cell formulas matters.
    for weight in network.weights:
        if "bias" in weight.path:
            weight.assign(rng.randn(*weight.shape).astype(np.float32) * 0.3)
    reference = ReferenceNetwork.from_network(network)
    inputs = _block_inputs(rng, modalities, n_blocks, block, length, pad_steps=length - 2)
    windows = blocks_to_windows(inputs, length, modalities)
    assert windows["image"].shape == (n_blocks * block, length, 7)

    for training in (False, True):
        fast = np.asarray(network(inputs, training=training))
        naive = np.asarray(reference(windows, training=training))
        np.testing.assert_allclose(fast, naive, rtol=1e-5, atol=1e-6)

    y = rng.rand(n_blocks * block, 2).astype(np.float32)
    y[::4, 1] = np.nan
    loss = masked_loss("cross_entropy")

    def gradients(model, x):
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        variables = model.trainable_variables
        return value, {v.path: g for v, g in zip(variables, tape.gradient(value, variables))}

    fast_loss, fast_grads = gradients(network, inputs)
    naive_loss, naive_grads = gradients(reference, windows)
    assert float(fast_loss) == pytest.approx(float(naive_loss), rel=1e-5)
    # Pair the recurrent weights by branch and position, the head weights by name.
    pairs = []
    for fast_layers, stock_layers in zip(network.branches, reference.keras_branches):
        for fast_layer, stock_layer in zip(fast_layers, stock_layers):
            pairs += list(zip(fast_layer.trainable_variables, stock_layer.trainable_variables))
    head = [v for v in network.trainable_variables if not any(v is w for w, _ in pairs)]
    naive_by_path = {v.path: v for v in reference.trainable_variables}
    pairs += [(v, naive_by_path[v.path]) for v in head]
    assert len(pairs) == len(network.trainable_variables)
    for fast_var, naive_var in pairs:
        np.testing.assert_allclose(
            np.asarray(fast_grads[fast_var.path]), np.asarray(naive_grads[naive_var.path]),
            rtol=2e-4, atol=1e-6, err_msg=fast_var.path,
        )


def test_chunks_partition_every_movie():
    for n in (1, 5, 63, 64, 65, 130, 1000):
        chunks = chunk_movie(n, 64)
        owned = np.zeros(n, int)
        for start, own_from, own_to in chunks:
            assert start <= own_from <= own_to <= start + 64
            assert n <= 64 or start + 64 <= n        # no chunk of a long movie runs past its end
            owned[own_from:own_to] += 1
        assert np.all(owned == 1), n


def test_every_epoch_has_the_same_number_of_batches_in_a_new_order():
    movies = [{"x": np.zeros((n, 1), np.float32)} for n in (70, 300, 129, 64, 1000)]
    targets = [np.zeros((len(m["x"]), 2), np.float32) for m in movies]
    batches = BlockBatches(movies, targets, [("x", 1)], window_length=5, block=64, n_blocks=2, shuffle=True, seed=0)
    first = (len(batches), list(batches.chunks))
    batches.on_epoch_end()
    assert len(batches) == first[0]                   # Keras stops training if an epoch runs short
    assert sorted(batches.chunks) == sorted(first[1]) and batches.chunks != first[1]


def test_block_batches_hold_each_window_once_with_its_true_history():
    rng = np.random.RandomState(5)
    lengths = [3, 40, 71]
    movies = [{"x": rng.randn(n, 2).astype(np.float32)} for n in lengths]
    targets = [rng.rand(n, 2).astype(np.float32) for n in lengths]
    batches = BlockBatches(movies, targets, [("x", 2)], window_length=8, block=16, n_blocks=3, shuffle=True, seed=0)
    seen = []
    for i in range(len(batches)):
        inputs, y = batches[i]
        windows = blocks_to_windows(inputs, 8, [("x", 2)])
        for row in np.flatnonzero(~np.isnan(y[:, 0])):
            # Find the (movie, second) of this window from its target and check its features.
            movie = next(m for m, t in enumerate(targets) if np.any(np.all(t == y[row], axis=1)))
            second = int(np.flatnonzero(np.all(targets[movie] == y[row], axis=1))[0])
            history = movies[movie]["x"][max(0, second - 7):second + 1]
            np.testing.assert_array_equal(windows["x"][row][8 - len(history):], history)
            assert windows["step_mask"][row].sum() == len(history)
            seen.append((movie, second))
    assert sorted(seen) == sorted((m, s) for m, n in enumerate(lengths) for s in range(n))


def test_prediction_batches_cover_every_second_in_order():
    movies = [{"x": np.zeros((n, 1), np.float32)} for n in (5, 130, 64)]
    covered = [np.zeros(n, int) for n in (5, 130, 64)]
    for inputs, placements in iter_prediction_batches(movies, [("x", 1)], 10, 32, 2):
        assert inputs["x"].shape == (2, 41, 1)
        for slot, movie, start, n_windows in placements:
            assert inputs["window_mask"][slot].sum() == n_windows
            covered[movie][start:start + n_windows] += 1
    assert all(np.all(c == 1) for c in covered)
