"""One rater's ratings of one movie on disk: an append-only journal, the current trace, the 1-Hz curves.

The browser sends its samples in batches (:mod:`.server`); each batch is appended to the journal
``<rater folder>/<movie>.journal`` (one JSON line, flushed and fsync'd before the page is told it is
saved), then the current rating is rewritten atomically as ``<movie>.trace.csv`` (video time, valence,
arousal; :func:`~sklearn_emotion.annotation.traces.write_trace`) and ``<movie>.csv`` (1 Hz,
``Time,Valence,Arousal``).  The journal is the record: on start the trace is rebuilt from it, so a
process killed between the append and the rewrite loses nothing.

The newest pass wins: the page starts a new pass (a new, larger pass number) at each play after a
seek; a batch removes the samples of older passes in the span of video time its pass has covered
so far, and its own samples inside the span of a newer pass are dropped, so the trace never holds
two passes over one moment, whatever order the batches arrive in.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..files import locked, remove_temporaries, write_curves
from .traces import TRACE_SUFFIX, trace_to_seconds, write_trace

__all__ = ["RATER_NAME", "Batch", "MovieRating", "check_rater", "resolve_passes"]

#: A rater's name is a folder name: ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a
#: letter or digit, at most 64 characters (safe on every file system, never hidden, never an option).
RATER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

JOURNAL_SUFFIX = ".journal"
LOCK_NAME = ".annotate.lock"
#: Most samples one batch may carry (2 s at the page's 20 Hz is 40; a page kept in the background
#: sends more at once): larger batches are refused.
MAX_BATCH_SAMPLES = 20_000
#: The largest pass or batch number (2**53: the page counts with JavaScript numbers, exact up to there).
MAX_COUNTER = 2**53


def check_rater(name: str) -> str:
    """``name`` when it is a valid rater name (:data:`RATER_NAME`), else a ``ValueError`` saying why."""
    if not isinstance(name, str) or not RATER_NAME.fullmatch(name):
        raise ValueError(f"rater name {name!r} is not allowed: use 1 to 64 ASCII letters, digits, '.', '_' or '-', "
                         "starting with a letter or a digit (it names the rater's folder).")
    return name


@dataclass(frozen=True)
class Batch:
    """Samples sent by the page at once: ``samples`` ``(n, 3)`` (video time, valence, arousal; NaN = not
    rated), of pass ``pass_id`` (larger = newer), ``seq`` its number within the pass (a resent batch
    is recognised and kept once)."""

    pass_id: int
    seq: int
    samples: np.ndarray
    duration: float | None = None
    received: float = field(default=0.0, compare=False)

    @classmethod
    def from_json(cls, payload: Mapping[str, Any], *, received: float = 0.0) -> Batch:
        """A batch from the page's (or the journal's) JSON object; ``ValueError`` naming what is wrong."""
        try:
            pass_id, seq = _counter(payload["pass"], "pass"), _counter(payload["seq"], "seq")
            rows = payload["samples"]
            samples = np.array([[float("nan") if x is None else float(x) for x in row] for row in rows],
                               dtype=np.float64).reshape(len(rows), 3)
            duration = payload.get("duration")
            duration = None if duration is None else float(duration)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: float(10**400)
            raise ValueError(f"malformed batch of samples ({type(exc).__name__}: {exc}).") from None
        if len(samples) > MAX_BATCH_SAMPLES:
            raise ValueError(f"a batch holds {len(samples)} samples, more than {MAX_BATCH_SAMPLES}.")
        times, values = samples[:, 0], samples[:, 1:]
        if not np.isfinite(times).all() or (times < 0).any():
            raise ValueError("a sample's video time is negative or not finite.")
        if (np.abs(values[~np.isnan(values)]) > 1).any():
            raise ValueError("a rating is outside [-1, 1].")
        if duration is not None and not (math.isfinite(duration) and duration > 0):
            raise ValueError(f"the video's duration {duration!r} is not a positive number.")
        return cls(pass_id, seq, samples[np.argsort(times, kind="stable")], duration, received)

    def to_json(self) -> str:
        rows = [[None if math.isnan(x) else round(float(x), 6) for x in row] for row in self.samples]
        return json.dumps({"pass": self.pass_id, "seq": self.seq, "duration": self.duration,
                           "received": round(self.received, 3), "samples": rows}, separators=(",", ":"))


def _counter(value: Any, name: str) -> int:
    """A pass or batch number: an integer in [0, 2**53] (the page's numbers are JavaScript's exact integers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value <= MAX_COUNTER) or (
            value != int(value)):
        raise ValueError(f"{name!r} must be a whole number from 0 to 2**53, got {value!r}")
    return int(value)


def resolve_passes(batches: Iterable[Batch]) -> np.ndarray:
    """The current rating ``(n, 3)``, sorted by video time, from batches in any order (newest pass wins).

    Each pass covers the span of video time from its first sample to its last; a pass's samples
    replace those of older passes in the span it covers.  A repeated ``(pass_id, seq)`` counts once.
    """
    return _resolve(list({(b.pass_id, b.seq): b for b in batches}.values()))


def _resolve(batches: Sequence[Batch]) -> np.ndarray:
    """:func:`resolve_passes` of batches with distinct ``(pass_id, seq)``, in one vectorised step.

    All samples are sorted by time (ties in (pass, seq) order); then each pass, oldest first, marks
    the samples in its span as covered by it, so each sample ends up marked with the newest pass
    covering it, and is kept when that is its own pass.  Cost: one sort plus the passes' spans,
    where applying batch after batch cost the whole trace per batch (a 2-hour journal: minutes).
    """
    batches = sorted((b for b in batches if len(b.samples)), key=lambda b: (b.pass_id, b.seq))
    if not batches:
        return np.empty((0, 3))
    samples = np.concatenate([b.samples for b in batches])
    pass_ids = np.unique([b.pass_id for b in batches])
    rank = np.repeat(np.searchsorted(pass_ids, [b.pass_id for b in batches]), [len(b.samples) for b in batches])
    order = np.argsort(samples[:, 0], kind="stable")
    samples, rank = samples[order], rank[order]
    times = samples[:, 0]
    low = np.full(len(pass_ids), np.inf)
    high = np.full(len(pass_ids), -np.inf)
    np.minimum.at(low, rank, times)
    np.maximum.at(high, rank, times)
    begin, stop = np.searchsorted(times, low, side="left"), np.searchsorted(times, high, side="right")
    covered = np.empty(len(times), dtype=rank.dtype)
    for index in range(len(pass_ids)):  # oldest first: a newer pass overwrites the mark of an older one
        covered[begin[index]:stop[index]] = index
    return samples[covered == rank]


class MovieRating:
    """One rater's rating of one movie, kept on disk in ``folder`` (see the module's description).

    Parameters
    ----------
    folder : path-like
        The rater's folder (``DIR/<rater>``), created if needed.
    movie : str
        The movie's name (its video's stem): the files are ``<movie>.journal``, ``<movie>.trace.csv``
        and ``<movie>.csv``.
    duration : float, optional
        The video's duration in seconds, if known before the page reports it.

    :meth:`add` and :meth:`refresh` take the folder's lock (:func:`sklearn_emotion.files.locked`) and
    first read what another process may have appended to the journal, so two ``annotate`` runs on one
    folder stay consistent; :meth:`state` shows what was read last (call :meth:`refresh` first).
    """

    def __init__(self, folder: str | os.PathLike, movie: str, duration: float | None = None) -> None:
        self.folder = Path(folder)
        self.movie = movie
        self.duration = duration
        self.journal = self.folder / f"{movie}{JOURNAL_SUFFIX}"
        self.trace_file = self.folder / f"{movie}{TRACE_SUFFIX}"
        self.curve_file = self.folder / f"{movie}.csv"
        self._batches: list[Batch] = []
        self._keys: set[tuple[int, int]] = set()
        self._offset = 0  # bytes of the journal already read
        self._trace = np.empty((0, 3))
        self._stale = False  # the trace and 1-Hz files lag the journal (a rewrite failed): rewrite at next chance
        self.saved_at: float | None = None  # time.time() of the last batch saved by this process
        self.folder.mkdir(parents=True, exist_ok=True)
        with locked(self.folder / LOCK_NAME):
            remove_temporaries(self.folder)  # a process killed while rewriting a file leaves one
            if self._read_journal():
                self._rewrite()

    # -------------------------------------------------------------------- journal
    def _read_journal(self) -> bool:
        """Read the journal's lines past ``_offset``; a torn last line (a killed write) is cut off."""
        if not self.journal.exists() or self.journal.stat().st_size == self._offset:
            return False
        with open(self.journal, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        complete = data.rfind(b"\n") + 1
        for number, line in enumerate(data[:complete].splitlines()):
            if not line.strip():
                continue
            try:
                self._add(Batch.from_json(json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"{self.journal}: line {number + 1} past byte {self._offset} is not a batch of "
                                 f"samples ({exc}); move the file away to start this movie again.") from None
        if complete < len(data):  # the write of the last line was cut short: it was never acknowledged
            os.truncate(self.journal, self._offset + complete)
        self._offset += complete
        return True

    def _add(self, batch: Batch) -> None:
        key = (batch.pass_id, batch.seq)
        if key in self._keys:  # the page resent a batch whose reply it did not get
            return
        self._keys.add(key)
        self._batches.append(batch)
        if batch.duration is not None:
            self.duration = batch.duration

    def add(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Save a batch from the page durably, then rewrite the trace and 1-Hz files; the new :meth:`state`.

        Raises ``ValueError`` (naming the movie) for a malformed batch, before anything is written, and
        ``OSError`` when the batch could not be saved whole (the journal is cut back to what it was: the
        page sends the batch again).
        """
        try:
            batch = Batch.from_json(payload, received=time.time())
        except ValueError as exc:
            raise ValueError(f"movie {self.movie}: {exc}") from None
        line = (batch.to_json() + "\n").encode()
        with locked(self.folder / LOCK_NAME):
            changed = self._read_journal()
            if (batch.pass_id, batch.seq) not in self._keys:
                self._append(line)
                self._add(batch)
                changed = True
            # else: resent after a lost reply, journaled already; its files are rewritten if a rewrite failed
            if changed or self._stale:
                self._rewrite()
        self.saved_at = time.time()
        return self.state()

    def _append(self, line: bytes) -> None:
        """Append ``line`` to the journal and fsync it, whole or not at all (a full disk writes part of it)."""
        created = not self.journal.exists()
        descriptor = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(descriptor).st_size
            try:
                view = memoryview(line)
                while view:
                    written = os.write(descriptor, view)
                    if written <= 0:
                        raise OSError(errno.ENOSPC, "the journal took none of the bytes written", os.fspath(self.journal))
                    view = view[written:]
                os.fsync(descriptor)  # durable before the page hears "saved"
            except BaseException:
                os.ftruncate(descriptor, size)  # no partial line left to be read as a batch, or to corrupt the next
                raise
            self._offset = os.fstat(descriptor).st_size
        finally:
            os.close(descriptor)
        if created:  # the journal's name is durable too, not only its bytes
            _fsync_folder(self.folder)

    def _rewrite(self) -> None:
        self._stale = True
        self._trace = _resolve(self._batches)
        write_trace(self.trace_file, self._trace)
        if self.duration is not None or len(self._trace):
            write_curves(self.curve_file, self.seconds())
        self._stale = False

    # -------------------------------------------------------------------- views
    @property
    def trace(self) -> np.ndarray:
        """The current rating ``(n, 3)``: video time, valence, arousal, sorted by time."""
        return self._trace.copy()

    def seconds(self) -> np.ndarray:
        """The 1-Hz rating ``(T, 2)`` (NaN where unrated), ``T = floor(duration)`` (the movie's whole seconds,
        as its features) once the duration is known."""
        return trace_to_seconds(self._trace, duration=self.duration)

    def refresh(self) -> None:
        """Read what another process appended to the journal since (cheap when nothing was: one ``stat``)."""
        if not self.journal.exists() or self.journal.stat().st_size == self._offset:
            return
        with locked(self.folder / LOCK_NAME):
            if self._read_journal():
                self._trace = _resolve(self._batches)

    def state(self) -> dict[str, Any]:
        """What the page shows and resumes from: ``resume`` (the last rated second), ``rated`` (the
        fraction of the movie's seconds rated, None while the duration is unknown), ``samples``,
        ``duration``, ``last_pass`` (the largest pass number saved)."""
        last = float(self._trace[-1, 0]) if len(self._trace) else 0.0
        rated = None
        if self.duration is not None:
            seconds = self.seconds()
            rated = float(np.mean(~np.isnan(seconds).all(axis=1))) if len(seconds) else 0.0
        return {"movie": self.movie, "resume": float(math.floor(last)), "last_time": last, "rated": rated,
                "samples": int(len(self._trace)), "duration": self.duration,
                "last_pass": max((b.pass_id for b in self._batches), default=0)}


def _fsync_folder(folder: Path) -> None:
    """Make a file's creation in ``folder`` durable (POSIX; elsewhere a folder cannot be opened: skipped)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse to fsync a folder; the journal's bytes are durable already
    finally:
        os.close(descriptor)
