"""The training loop of the sequence regressors' networks: epochs of ``train_on_batch`` and early stopping.

A plain loop rather than ``keras.Model.fit``: Keras' ``PyDataset`` adapter made each step of the
LIRIS-scale corpus 3.5x slower than the step itself (measured in ``benchmarks/train_scale.py``).
Early stopping follows ``keras.callbacks.EarlyStopping(patience, restore_best_weights=True)``, on
the loss of held-out movies or, when none are held out, on the training loss.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["TrainingRecord", "describe", "mean_loss", "op_determinism", "train_epochs"]

_determinism_lock = threading.Lock()
_determinism_users = 0
_determinism_before = False


@contextlib.contextmanager
def op_determinism() -> Iterator[None]:
    """TensorFlow's op determinism for the duration of a fit or a prediction, then the user's setting back.

    ``tf.config.experimental.enable_op_determinism`` is process-wide, so it is switched on only while
    the networks of the package run (nested and concurrent uses, e.g. fits in threads, share one
    switch: the last one out restores what the user had).  It makes TensorFlow choose deterministic
    kernels (on a GPU: no atomics, no autotuned algorithm choice); every random draw of the package
    is already seeded from ``random_state``.  It cannot make results independent of the number of
    threads: TensorFlow splits sums into as many parts as it has intra-op threads, so bitwise equal
    results need the same ``TF_NUM_INTRAOP_THREADS`` (by default, the number of CPUs of the machine).
    """
    global _determinism_users, _determinism_before
    from tensorflow.python.framework import config  # the public API can switch it on, not off

    with _determinism_lock:
        if _determinism_users == 0:
            _determinism_before = config.is_op_determinism_enabled()
            if not _determinism_before:
                config.enable_op_determinism()
        _determinism_users += 1
    try:
        yield
    finally:
        with _determinism_lock:
            _determinism_users -= 1
            if _determinism_users == 0 and not _determinism_before:
                config.disable_op_determinism()


@dataclass
class TrainingRecord:
    """What happened in training.

    Attributes
    ----------
    history : dict
        Mean loss per epoch: ``"loss"`` (training) and, with held-out batches, ``"val_loss"``.
    best_epoch : int
        Epoch (from 1) whose weights the network holds at the end.
    stopping : {"val_loss", "loss", "epochs"}
        The loss that chose ``best_epoch``, or ``"epochs"`` when every epoch ran and the last was kept.
    stopped_early : bool
        Whether ``patience`` ended training before the last epoch.
    """

    history: dict = field(default_factory=dict)
    best_epoch: int = 0
    stopping: str = "epochs"
    stopped_early: bool = False

    @property
    def n_epochs(self) -> int:
        return len(self.history["loss"])

    @property
    def best_loss(self) -> float:
        watched = "loss" if self.stopping == "epochs" else self.stopping
        return self.history[watched][self.best_epoch - 1]


def mean_loss(step: Any, batches: Any) -> float:
    """Mean of ``step(inputs, y)`` over the batches, weighted by their annotated targets."""
    total, weight = 0.0, 0
    for index in range(len(batches)):
        inputs, y = batches[index]
        n = int(np.sum(~np.isnan(y)))
        if n == 0:
            continue  # only padding or repeated windows: nothing to learn or score
        total += float(np.asarray(step(inputs, y)).ravel()[0]) * n
        weight += n
    return total / max(weight, 1)


def train_epochs(
    network: Any, train: Any, validation: Any, *, epochs: int, patience: int, early_stopping: bool,
    verbose: int = 0, name: str = "the network",
) -> TrainingRecord:
    """Train ``network`` (compiled) on ``train`` for up to ``epochs`` epochs.

    With ``early_stopping``, the loss of ``validation`` (or the training loss when ``validation`` is
    None) is watched: training stops after ``patience`` epochs without improvement and the network
    gets back the weights of the best epoch.  Without it, every epoch runs and the last weights stay.

    TensorFlow's op determinism is on while it trains (:func:`op_determinism`).  ``name`` (the
    estimator's class name) begins the error message.

    Raises
    ------
    FloatingPointError
        When the training loss becomes NaN or infinite.
    """
    with op_determinism():
        return _train_epochs(network, train, validation, epochs=epochs, patience=patience,
                             early_stopping=early_stopping, verbose=verbose, name=name)


def _train_epochs(network: Any, train: Any, validation: Any, *, epochs: int, patience: int,
                  early_stopping: bool, verbose: int, name: str) -> TrainingRecord:
    watched = "loss" if validation is None else "val_loss"
    record = TrainingRecord(history={"loss": []}, stopping=watched if early_stopping else "epochs")
    if validation is not None:
        record.history["val_loss"] = []
    best_loss, best_weights, waited = np.inf, None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        record.history["loss"].append(mean_loss(network.train_on_batch, train))
        train.on_epoch_end()
        message = f"Epoch {epoch}/{epochs} - loss: {record.history['loss'][-1]:.4f}"
        if validation is not None:
            record.history["val_loss"].append(mean_loss(network.test_on_batch, validation))
            message += f" - val_loss: {record.history['val_loss'][-1]:.4f}"
        if verbose:
            print(f"{message} - {time.perf_counter() - start:.1f}s", flush=True)
        if not np.isfinite(record.history["loss"][-1]):
            raise FloatingPointError(
                f"{name}: the training loss became {record.history['loss'][-1]} at epoch {epoch}; "
                "lower learning_rate or check the features' scale."
            )
        if not early_stopping:
            continue
        if record.history[watched][-1] < best_loss:
            best_loss, record.best_epoch, waited = record.history[watched][-1], epoch, 0
            # the training loss is measured while the weights change: keep the weights after it
            best_weights = network.get_weights()
        else:
            waited += 1
            if waited >= patience:
                record.stopped_early = epoch < epochs
                break
    if not early_stopping or record.best_epoch == 0:
        record.best_epoch = record.n_epochs
    elif record.best_epoch < record.n_epochs:
        network.set_weights(best_weights)
    return record


def describe(record: TrainingRecord, epochs: int, patience: int, held_out: str) -> str:
    """One sentence on how training ended and which weights were kept (``held_out``: "3 movies")."""
    if record.stopping == "epochs":
        return f"ran all {record.n_epochs} epochs without early stopping and kept the last weights"
    watched = ("the training loss (too few movies to hold some out)" if record.stopping == "loss"
               else f"the loss of {held_out} held out")
    ran = (f"stopped after {record.n_epochs} of {epochs} epochs ({patience} without improvement)"
           if record.stopped_early else f"ran all {record.n_epochs} epochs")
    return (f"{ran} watching {watched}; kept the weights of its best epoch, {record.best_epoch} "
            f"({record.stopping} {record.best_loss:.4f})")
