"""What the folder workflows (extract, predict, report) share: the movie file suffixes and their failures."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["AUDIO_SUFFIXES", "VIDEO_SUFFIXES", "MoviesFailedError", "attempt_movie", "error_line"]

#: File suffixes taken as videos when a folder is given to ``extract``, ``predict`` or ``report``.
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".flv")
#: File suffixes also taken by ``extract`` when only audio features are extracted.
AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".m4a", ".ogg", ".opus", ".aac")


def error_line(error: BaseException) -> str:
    """An exception as one line: its message, and its type when the message does not say much."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: {text}"


class MoviesFailedError(ValueError):
    """Some movies of a folder workflow failed; the others' files are written.

    Raised once every movie was tried: a movie fails alone (unreadable file, other features than the
    model's, NaN predictions...), so a library caller gets the others' output and one error naming
    each failed file.

    Parameters
    ----------
    failures : mapping of path to exception
        Each failed movie's file and its error, in the order they failed.
    others : str
        What happened to the other movies, e.g. ``"the others are written"``.
    note : str, optional
        A further line (e.g. that a folder's manifest could not be written).

    Attributes
    ----------
    failures : dict of Path to Exception

    Examples
    --------
    >>> from sklearn_emotion.workflows import MoviesFailedError
    >>> error = MoviesFailedError({"movies/b.mp4": ValueError("no video stream")}, "the others are written")
    >>> print(error)
    1 movie(s) failed; the others are written:
      movies/b.mp4: no video stream
    >>> {str(path): error for path, error in error.failures.items()}  # keyed by Path
    {'movies/b.mp4': ValueError('no video stream')}
    """

    def __init__(self, failures: Mapping[str | os.PathLike, BaseException], others: str, note: str = ""):
        self.failures = {Path(path): error for path, error in failures.items()}
        lines = "\n".join(f"  {path}: {error_line(error)}" for path, error in self.failures.items())
        super().__init__(f"{len(self.failures)} movie(s) failed; {others}:\n{lines}" + (f"\n{note}" if note else ""))


def attempt_movie(path: Path, movie: Any, work: Callable[[Path, Any], Any], failures: dict[Path, Exception],
                  echo: Callable[[str], None]) -> Any:
    """``work(path, movie)``, or None when it fails: then the error is said at once and kept in ``failures``.

    ``movie`` is the movie's features, or the exception reading them (which fails it whatever its type);
    an ``OSError`` or ``ValueError`` of ``work`` fails this movie alone, and the others go on.
    """
    error = movie if isinstance(movie, Exception) else None
    if error is None:
        try:
            return work(path, movie)
        except (OSError, ValueError) as exc:
            error = exc
    failures[path] = error
    echo(f"FAILED {path}: {error_line(error)}")
    return None
