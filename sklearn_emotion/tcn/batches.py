"""Batches of whole movies or of crops of them for the TCN (sequence to sequence).

The network's input is ``{"features": (n, S, d), "mask": (n, S)}`` with ``S`` a multiple of the
pooling factor ``2 ** levels``: one row per movie or crop, zeros and a mask of 0 after its end.  The
targets are ``(n, S, k)``, NaN where a second is padding or unannotated (the loss ignores them).

Training batches are crops of ``crop`` seconds tiling the movies from random offsets, drawn afresh
every epoch from a private generator; every batch has the same shape (a short last batch is filled
with empty, fully masked rows), so the training step is traced once.  Validation batches are the held-out movies whole,
all padded to the same length.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["padded_length", "movie_inputs", "CropBatches", "MovieBatches"]


def padded_length(n_seconds: int, factor: int) -> int:
    """The smallest multiple of ``factor`` that is at least ``n_seconds`` (and at least ``factor``)."""
    return max(factor, int(math.ceil(n_seconds / factor)) * factor)


def movie_inputs(features: list[np.ndarray], length: int) -> dict:
    """Network inputs for whole sequences ``(T_i, d)``, zero-padded after their end to ``length``."""
    width = features[0].shape[1]
    inputs = {"features": np.zeros((len(features), length, width), np.float32),
              "mask": np.zeros((len(features), length), np.float32)}
    for row, sequence in enumerate(features):
        inputs["features"][row, :len(sequence)] = sequence
        inputs["mask"][row, :len(sequence)] = 1.0
    return inputs


def movie_targets(targets: list[np.ndarray], length: int) -> np.ndarray:
    """Targets ``(T_i, k)`` padded with NaN to ``(n, length, k)``."""
    y = np.full((len(targets), length, targets[0].shape[1]), np.nan, np.float32)
    for row, target in enumerate(targets):
        y[row, :len(target)] = target
    return y


class CropBatches:
    """Training batches of crops tiling the movies: ``batches[i] -> (inputs, y)``, one shape for all.

    A *pass* cuts every movie longer than ``crop`` into consecutive crops from a random offset (the
    first crop starts up to ``crop - 1`` seconds before the movie, its first seconds padding), so that
    every second is in exactly one crop; a shorter movie is one crop.  An epoch is as many passes as
    give at least ``min_batches`` batches, the crops shuffled across movies; a short last batch is
    filled with empty, fully masked rows.  Every epoch thus trains on the same seconds, the same
    number of times (its mean loss is comparable from epoch to epoch, as early stopping on the
    training loss needs), while the crops' boundaries move.

    Parameters
    ----------
    features : list of ndarray of shape (T, d)
        The training movies, modalities concatenated.
    targets : list of ndarray of shape (T, k)
        Targets on the network's ``[0, 1]`` scale, NaN where unannotated.
    crop : int
        Crop length, a multiple of the pooling factor.
    batch_size : int
        Crops per batch.
    seed : int
        Seed of the offsets and the shuffling (a private generator: global state is untouched).
    min_batches : int, default=8
        Fewest batches per epoch: a corpus of two short movies still gets several updates per epoch.
    """

    def __init__(self, features: list, targets: list, crop: int, batch_size: int, seed: int,
                 min_batches: int = 8) -> None:
        self.features = features
        self.targets = targets
        self.crop = int(crop)
        self.batch_size = int(batch_size)
        self.rng = np.random.RandomState(seed)
        lengths = np.array([len(f) for f in features])
        crops_per_pass = int(np.sum(np.where(lengths > self.crop, np.ceil(lengths / self.crop) + 1, 1)))
        self.n_passes = max(1, int(math.ceil(min_batches * self.batch_size / crops_per_pass)))
        self._plan_epoch()

    def _tiles(self, movie: int) -> list[tuple[int, int]]:
        """``(movie, start)`` of the crops of one pass over a movie (``start`` may be negative)."""
        n = len(self.features[movie])
        if n <= self.crop:
            return [(movie, 0)]
        first = -int(self.rng.randint(0, self.crop))
        return [(movie, start) for start in range(first, n, self.crop)]

    def _plan_epoch(self) -> None:
        plan = [tile for _ in range(self.n_passes) for movie in range(len(self.features))
                for tile in self._tiles(movie)]
        self.plan = [plan[i] for i in self.rng.permutation(len(plan))]

    def __len__(self) -> int:
        return int(math.ceil(len(self.plan) / self.batch_size))

    def __getitem__(self, index: int) -> tuple[dict, np.ndarray]:
        rows = self.plan[index * self.batch_size:(index + 1) * self.batch_size]
        width, n_outputs = self.features[0].shape[1], self.targets[0].shape[1]
        inputs = {"features": np.zeros((self.batch_size, self.crop, width), np.float32),
                  "mask": np.zeros((self.batch_size, self.crop), np.float32)}
        y = np.full((self.batch_size, self.crop, n_outputs), np.nan, np.float32)
        for row, (movie, start) in enumerate(rows):
            lo, hi = max(start, 0), min(start + self.crop, len(self.features[movie]))
            where = slice(lo - start, hi - start)
            inputs["features"][row, where] = self.features[movie][lo:hi]
            inputs["mask"][row, where] = 1.0
            y[row, where] = self.targets[movie][lo:hi]
        return inputs, y

    def on_epoch_end(self) -> None:
        """New offsets and order for the next epoch (the same seconds, about as many batches)."""
        self._plan_epoch()


class MovieBatches:
    """Whole movies, ``batch_size`` per batch, all padded to the longest: ``batches[i] -> (inputs, y)``.

    Every batch has ``batch_size`` rows (empty, fully masked ones complete the last), so all batches
    have one shape.

    Parameters
    ----------
    features : list of ndarray of shape (T, d)
    targets : list of ndarray of shape (T, k)
    factor : int
        Pooling factor: the padded length is a multiple of it.
    batch_size : int
        Movies per batch.
    """

    def __init__(self, features: list, targets: list, factor: int, batch_size: int) -> None:
        self.features = features
        self.targets = targets
        self.batch_size = int(batch_size)
        self.length = padded_length(max(len(f) for f in features), factor)

    def __len__(self) -> int:
        return int(math.ceil(len(self.features) / self.batch_size))

    def __getitem__(self, index: int) -> tuple[dict, np.ndarray]:
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        features, targets = list(self.features[rows]), list(self.targets[rows])
        empty = self.batch_size - len(features)  # a short last batch: empty rows keep one shape
        features += [features[0][:0]] * empty
        targets += [targets[0][:0]] * empty
        return movie_inputs(features, self.length), movie_targets(targets, self.length)

    def on_epoch_end(self) -> None:
        """Nothing changes between epochs."""
