"""Batches of window blocks: how movies are fed to the network without materialising windows.

A *block* is ``B`` consecutive windows of one movie, i.e. ``S = B + L - 1`` consecutive seconds
(left-padded with masked zeros before the movie's first second).  A batch is ``n_blocks`` blocks, from
several movies, so that ``n_blocks * B`` windows are trained on together while each second's input
projection is computed once per block instead of once per window.

Every movie is cut into chunks of ``B`` windows; each epoch the chunks of all movies are shuffled and
grouped into batches, so a batch mixes several movies.  (The chunks are the same every epoch: Keras
needs the same number of batches in every epoch.)  Every window is *owned* by exactly one chunk, so
it counts once in the loss per epoch; windows a chunk repeats (the last, overlapping chunk of a
movie) get NaN targets (ignored by the loss) but still take part in batch statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..data import movie_length

__all__ = ["empty_inputs", "BlockBatches", "WindowArrayBatches", "chunk_movie", "iter_prediction_batches", "window_array_inputs"]


def empty_inputs(modalities: list, n_blocks: int, block: int, window_length: int) -> dict:
    """Zero inputs of the network for ``n_blocks`` blocks of ``block`` windows (the one place that
    knows the input layout).

    A block of ``B`` windows of ``L`` seconds spans ``S = B + L - 1`` seconds: one ``(n_blocks, S, d_m)``
    array per modality, ``"step_mask"`` ``(n_blocks, S)`` (1 for a real second) and ``"window_mask"``
    ``(n_blocks, B)`` (1 for a real window).  Explicit windows are blocks of ``B = 1``.
    """
    n_steps = block + window_length - 1
    inputs = {name: np.zeros((n_blocks, n_steps, dim), np.float32) for name, dim in modalities}
    inputs["step_mask"] = np.zeros((n_blocks, n_steps), np.float32)
    inputs["window_mask"] = np.zeros((n_blocks, block), np.float32)
    return inputs


def chunk_movie(n_windows: int, block: int) -> list[tuple[int, int, int]]:
    """Cut ``n_windows`` windows into chunks of ``block``: ``(start, own_from, own_to)`` triples.

    A chunk covers windows ``[start, start + block)`` (those past the movie's end are padding) and owns
    ``[own_from, own_to)``; owned ranges partition ``[0, n_windows)``.  The last chunk of a movie longer
    than ``block`` is moved back to end at the movie's end, so it is never mostly padding; the windows
    it repeats are owned by the chunk before it.
    """
    if n_windows <= block:
        return [(0, 0, n_windows)]
    starts = list(range(0, n_windows - block + 1, block))
    if starts[-1] + block < n_windows:
        starts.append(n_windows - block)
    chunks, owned_to = [], 0
    for start in starts:
        end = min(start + block, n_windows)
        chunks.append((start, owned_to, end))
        owned_to = end
    return chunks


class _BlockWriter:
    """Copies blocks of seconds of movies into batch buffers (one batch of features at a time)."""

    def __init__(self, movies: list, modalities: list, window_length: int, block: int, n_blocks: int) -> None:
        self.movies = movies
        self.modalities = modalities
        self.length = window_length
        self.block = block
        self.n_blocks = n_blocks
        self.n_steps = block + window_length - 1

    def new_inputs(self) -> dict:
        return empty_inputs(self.modalities, self.n_blocks, self.block, self.length)

    def write(self, inputs: dict, slot: int, movie_index: int, start: int) -> int:
        """Write the block of windows ``[start, start + B)`` of a movie into ``slot``; return #windows."""
        movie = self.movies[movie_index]
        n = movie_length(movie)
        first_row = start - (self.length - 1)            # row of step 0 of the block
        lo, hi = max(first_row, 0), min(first_row + self.n_steps, n)
        dst = slice(lo - first_row, hi - first_row)
        for name, _ in self.modalities:
            buffer = inputs[name][slot]
            buffer[:] = 0.0
            buffer[dst] = movie[name][lo:hi]
        inputs["step_mask"][slot] = 0.0
        inputs["step_mask"][slot, dst] = 1.0
        n_windows = min(self.block, n - start)
        inputs["window_mask"][slot] = 0.0
        inputs["window_mask"][slot, :n_windows] = 1.0
        return n_windows

    def clear(self, inputs: dict, slot: int) -> None:
        for name, _ in self.modalities:
            inputs[name][slot] = 0.0
        inputs["step_mask"][slot] = 0.0
        inputs["window_mask"][slot] = 0.0


class BlockBatches:
    """Training (or validation) batches of window blocks: ``batches[i] -> (inputs, y)``.

    Parameters
    ----------
    movies : list of dict
        Validated movies.
    targets : list of ndarray of shape (T, k)
        Targets already mapped to the network's ``[0, 1]`` scale, NaN where unannotated.
    modalities : list of (str, int)
    window_length, block, n_blocks : int
        ``L``, ``B`` and blocks per batch.
    shuffle : bool
        Shuffle the chunks of all movies each epoch.
    seed : int
        Seed of the shuffling (a private generator: global state is untouched).
    """

    def __init__(
        self, movies: list, targets: list, modalities: list, window_length: int, block: int,
        n_blocks: int, shuffle: bool, seed: int,
    ) -> None:
        self.writer = _BlockWriter(movies, modalities, window_length, block, n_blocks)
        self.targets = targets
        self.shuffle = shuffle
        self.rng = np.random.RandomState(seed)
        self.n_outputs = targets[0].shape[1]
        self.all_chunks = [
            (m, *chunk)
            for m, movie in enumerate(movies)
            for chunk in chunk_movie(movie_length(movie), block)
        ]
        self._plan_epoch()

    def _plan_epoch(self) -> None:
        if self.shuffle:
            self.chunks = [self.all_chunks[i] for i in self.rng.permutation(len(self.all_chunks))]
        else:
            self.chunks = list(self.all_chunks)

    def __len__(self) -> int:
        return math.ceil(len(self.chunks) / self.writer.n_blocks)

    def __getitem__(self, index: int) -> tuple[dict, np.ndarray]:
        writer = self.writer
        inputs = writer.new_inputs()
        y = np.full((writer.n_blocks, writer.block, self.n_outputs), np.nan, np.float32)
        batch = self.chunks[index * writer.n_blocks:(index + 1) * writer.n_blocks]
        for slot, (movie_index, start, own_from, own_to) in enumerate(batch):
            writer.write(inputs, slot, movie_index, start)
            y[slot, own_from - start:own_to - start] = self.targets[movie_index][own_from:own_to]
        return inputs, y.reshape(-1, self.n_outputs)

    def on_epoch_end(self) -> None:
        """Reshuffle the chunks for the next epoch (same number of batches)."""
        self._plan_epoch()


def iter_prediction_batches(
    movies: list, modalities: list, window_length: int, block: int, n_blocks: int,
) -> Iterator[tuple[dict, list[tuple[int, int, int, int]]]]:
    """Batches covering every window of every movie in order, for prediction.

    Yields ``(inputs, placements)`` where each placement ``(slot, movie_index, start, n_windows)`` says
    which rows of the output belong to which seconds.  Memory is one batch, whatever the movie length.
    """
    writer = _BlockWriter(movies, modalities, window_length, block, n_blocks)
    inputs, placements = writer.new_inputs(), []
    for m, movie in enumerate(movies):
        for start in range(0, movie_length(movie), block):
            slot = len(placements)
            placements.append((slot, m, start, writer.write(inputs, slot, m, start)))
            if len(placements) == n_blocks:
                yield inputs, placements
                inputs, placements = writer.new_inputs(), []
    if placements:
        for slot in range(len(placements), n_blocks):
            writer.clear(inputs, slot)
        yield inputs, placements


class WindowArrayBatches:
    """Batches of explicit windows ``(n, L, d)`` (the plain-array mode), one window per block."""

    def __init__(
        self, windows: dict, targets: np.ndarray, batch_size: int, shuffle: bool, seed: int,
    ) -> None:
        self.windows = windows
        self.targets = targets
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.RandomState(seed)
        self.n = len(targets)
        self._plan_epoch()

    def _plan_epoch(self) -> None:
        self.order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, index: int) -> tuple[dict, np.ndarray]:
        rows = np.sort(self.order[index * self.batch_size:(index + 1) * self.batch_size])
        return window_array_inputs(self.windows, rows), self.targets[rows]

    def on_epoch_end(self) -> None:
        self._plan_epoch()


def window_array_inputs(windows: dict, rows: np.ndarray, pad_to: int | None = None) -> dict:
    """Network inputs for the explicit windows ``rows`` (optionally zero-padded to ``pad_to`` windows)."""
    size = len(rows) if pad_to is None else pad_to
    modalities = [(name, array.shape[2]) for name, array in windows.items()]
    inputs = empty_inputs(modalities, size, 1, next(iter(windows.values())).shape[1])
    for name, array in windows.items():
        inputs[name][:len(rows)] = array[rows]
    inputs["step_mask"][:] = 1.0
    inputs["window_mask"][:len(rows)] = 1.0
    return inputs
