"""The package's one I/O home: atomic writes, per-movie feature files, per-second tables, alignment.

Feature files
    One ``<movie>.npz`` per movie (NumPy ``savez``), one ``(T, d_m)`` float32 array per modality, the
    array names being the modality names (e.g. ``image``, ``audio``, ``face``).  Row ``t`` describes
    second ``[t, t+1)``.  ``sklearn-emotion extract`` writes them; any program can.

Per-second tables (annotations and predictions)
    A text table whose header names its columns, the first being ``Time``, separated by tabs,
    spaces or commas, one row per second from ``Time = 0`` (:func:`read_table`).  Curve tables have
    the header ``Time Valence Arousal`` (case-insensitive), or ``Time Valence Arousal Valence_std
    Arousal_std`` when they also give the standard deviation of the viewers' ratings at every second
    (:data:`CURVE_STD_COLUMNS`); MediaEval 2018 annotation files
    (``<movie>_Valence-Arousal.txt``) are such tables, and a LIRIS-ACCEDE pair
    ``<movie>_Valence.txt`` / ``<movie>_Arousal.txt`` (``Time Mean Std``) is read with
    :func:`read_mean_std_pair` (which :func:`sklearn_emotion.datasets.load_liris_accede` uses for
    each movie).  ``sklearn-emotion predict`` writes
    ``<movie>.csv`` (comma separated; with the std columns for a model that predicts them), and with
    ``--explain`` a contributions table per movie (:func:`write_contributions`: ``Time``, then
    ``<modality>_Valence,<modality>_Arousal`` per modality, then ``baseline_Valence,baseline_Arousal``).

Alignment
    When the sequences of one movie (features and annotations, valence and arousal files, ...) have
    different numbers of rows, they are cut to the shortest (:func:`truncate_to_shortest`) and one
    :class:`LengthMismatchWarning` names every such movie with the rows of each sequence.

Every file is written atomically (:func:`atomic_write_bytes`: temporary file in the same folder,
then :func:`os.replace`), with the permissions the umask gives a new file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from .data import TARGET_NAMES

__all__ = [
    "FEATURE_SUFFIX",
    "CURVE_COLUMNS",
    "CURVE_STD_COLUMNS",
    "atomic_write_bytes",
    "remove_temporaries",
    "check_writable",
    "locked",
    "save_features",
    "load_features",
    "find_feature_files",
    "find_annotation_file",
    "read_annotations",
    "read_table",
    "table_body",
    "read_curves",
    "read_mean_std_pair",
    "check_range",
    "write_curves",
    "contribution_columns",
    "write_contributions",
    "read_contributions",
    "truncate_to_shortest",
    "warn_truncated",
    "align_lengths",
    "LengthMismatchWarning",
]

FEATURE_SUFFIX = ".npz"
#: Header of a curve table (annotations or predictions).
CURVE_COLUMNS = ("Time", "Valence", "Arousal")
#: Header of a curve table that also gives the viewers' standard deviation of each rating.
CURVE_STD_COLUMNS = CURVE_COLUMNS + ("Valence_std", "Arousal_std")
#: Names tried, in order, for the annotations of movie ``<id>`` in an annotation folder.
ANNOTATION_PATTERNS = ("{id}_Valence-Arousal.txt", "{id}.csv", "{id}.tsv", "{id}.txt")
#: File name endings of a movie's pair of ``Time Mean Std`` tables (LIRIS-ACCEDE), by axis.
MEAN_STD_SUFFIXES = {"valence": "_Valence.txt", "arousal": "_Arousal.txt"}
MEAN_STD_COLUMNS = ("Time", "Mean", "Std")
_SEPARATORS = re.compile(r"[,;\s]+")


class LengthMismatchWarning(UserWarning):
    """Sequences of one movie had different numbers of rows and were truncated to the shortest.

    The sequences are, e.g., a movie's features and its annotations, or its valence and arousal
    files.  :class:`sklearn_emotion.datasets.AnnotationLengthWarning` is this same class.

    Examples
    --------
    A LIRIS-ACCEDE movie whose valence file has one row more than its arousal file:

    >>> import tempfile, warnings
    >>> from pathlib import Path
    >>> from sklearn_emotion.datasets import load_liris_accede
    >>> from sklearn_emotion.files import LengthMismatchWarning
    >>> root = Path(tempfile.mkdtemp())
    >>> for dimension, seconds in [("Valence", 4), ("Arousal", 3)]:
    ...     rows = "".join(f"{t}\\t0.1\\t0.05\\n" for t in range(seconds))
    ...     _ = (root / f"Sintel_{dimension}.txt").write_text("Time\\tMean\\tStd\\n" + rows)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     data = load_liris_accede(root)
    >>> caught[0].category is LengthMismatchWarning, data.lengths
    (True, array([3]))
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    1 LIRIS-ACCEDE movie(s) had sequences of different lengths and were truncated to the shortest:
    Sintel (valence 4, arousal 3 rows).
    """


# ------------------------------------------------------------------------------------ atomic writes
# A temporary file is ".<start of the destination's name>.<16 hex digits>.tmp": hidden, recognisable by
# remove_temporaries, and never longer than 222 characters, so it fits wherever the destination's name fits.
_TEMPORARY = re.compile(r"^\..*\.[0-9a-f]{16}\.tmp$", re.DOTALL)


def _create_beside(path: Path) -> tuple[int, Path]:
    """Open a new, uniquely named temporary file in the folder of ``path`` (created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name[:200]}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    # Mode 0o666 lets the umask decide, as open(path, "wb") would; tempfile.mkstemp forces 0o600.
    return os.open(temporary, flags, 0o666), temporary


def atomic_write_bytes(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers see the previous file or the complete new one, never a partial file.  When ``write``
    raises, ``path`` is left as it was and the temporary file is removed.

    Parameters
    ----------
    path : str or path-like
        Destination; its parent folders are created.
    write : callable
        Called once with a file object open for binary writing.

    Returns
    -------
    Path
        ``path``, whose permissions are those the umask gives a new file (e.g. 644 under umask 022).

    Raises
    ------
    OSError
        When the file cannot be written (full disk, read-only folder, name too long, ...): the error of
        the system, with its ``errno``, whose message and ``filename`` name ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = files.atomic_write_bytes(folder / "notes" / "a.txt", lambda file: file.write(b"hello"))
    >>> path.read_bytes(), sorted(p.name for p in path.parent.iterdir())  # no temporary file left
    (b'hello', ['a.txt'])
    """
    path = Path(path)
    temporary = None
    try:
        handle, temporary = _create_beside(path)
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None:
            # The system names the temporary file, or nothing (ENOSPC from write): name the destination.
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path)) from exc
        raise
    return path


def check_writable(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and check that files can be written in it (a temporary file, removed).

    Raises
    ------
    OSError
        When it cannot be created or written (read-only, a file in the way, ...), naming it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> files.check_writable(folder / "output").is_dir()
    True
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", os.fspath(folder))
    try:
        handle, temporary = _create_beside(folder / "probe")
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write into the folder ({exc.strerror or exc})", os.fspath(folder)) from exc
    os.close(handle)
    temporary.unlink()
    return folder


def remove_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that :func:`atomic_write_bytes` left in ``folder`` (not its subfolders).

    They are left only when the process was killed while writing.  Call it only while holding the lock
    (:func:`locked`) that every writer into ``folder`` holds, or a write in progress loses its file.

    Returns
    -------
    list of Path
        The files removed (none when ``folder`` does not exist).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> with files.locked(folder / ".lock"):  # the lock every writer into the folder holds
    ...     files.remove_temporaries(folder)
    []
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for entry in folder.iterdir():
        if _TEMPORARY.match(entry.name) and entry.is_file():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if needed) while the block runs.

    Serialises read-modify-write updates (e.g. a manifest) between processes on one machine.  It
    uses ``fcntl.flock`` (POSIX); where that does not exist, the block runs without a lock.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> with files.locked(folder / ".manifest.lock"):  # read, change, write without another process between
    ...     _ = files.atomic_write_bytes(folder / "manifest.json", lambda file: file.write(b"{}"))
    >>> (folder / "manifest.json").read_text()
    '{}'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; atomic writes still keep every file whole
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save_features(path: str | os.PathLike, movie: Mapping[str, np.ndarray]) -> Path:
    """Write one movie's ``{modality: (T, d_m)}`` features as an ``.npz`` file, atomically.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> movie = {"image": np.ones((4, 3)), "audio": np.zeros((4, 2))}
    >>> path = files.save_features(folder / "features" / "Sintel.npz", movie)
    >>> {name: features.shape for name, features in files.load_features(path).items()}
    {'image': (4, 3), 'audio': (4, 2)}
    """
    arrays = {str(name): np.ascontiguousarray(value, dtype=np.float32) for name, value in movie.items()}
    lengths = {name: array.shape for name, array in arrays.items()}
    if not arrays or any(a.ndim != 2 for a in arrays.values()) or len({a.shape[0] for a in arrays.values()}) != 1:
        raise ValueError(f"{path}: features must be 2-D arrays with the same number of seconds, got {lengths}.")
    return atomic_write_bytes(path, lambda out: np.savez(out, **arrays))


def load_features(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a feature file written by :func:`save_features`, checking its arrays.

    The one reader of feature files: every problem is a ``ValueError`` that names the file and says what
    is wrong (empty, not an ``.npz`` file, damaged or truncated, no array, no rows, arrays that are not
    2-D or of different lengths, non-finite values).

    Raises
    ------
    FileNotFoundError
        When ``path`` is not a file.
    ValueError
        When it is not a valid feature file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = files.save_features(folder / "Sintel.npz", {"image": np.ones((4, 3))})
    >>> files.load_features(path)["image"].shape
    (4, 3)
    >>> _ = (folder / "broken.npz").write_bytes(b"not a feature file")
    >>> files.load_features(folder / "broken.npz")
    Traceback (most recent call last):
        ...
    ValueError: ...broken.npz...
    """
    import zipfile
    import zlib

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Feature file not found: {path}")
    with path.open("rb") as handle:
        magic = handle.read(6)
    if not magic:
        raise ValueError(f"{path}: the feature file is empty (0 bytes); extract it again.")
    if magic.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path}: a single NumPy array (.npy), not an .npz feature file of named arrays.")
    if not magic.startswith(b"PK"):  # every .npz is a zip archive
        raise ValueError(f"{path}: not an .npz feature file (a NumPy zip archive of arrays).")
    try:
        with np.load(path, allow_pickle=False) as archive:
            movie = {name: np.asarray(archive[name], dtype=np.float32) for name in archive.files}
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: damaged or truncated .npz feature file ({type(exc).__name__}: {exc}).") from exc
    except (ValueError, TypeError) as exc:  # object arrays (pickled data), non-numeric arrays, bad headers
        raise ValueError(f"{path}: not a feature file of numeric arrays ({exc}).") from exc
    if not movie:
        raise ValueError(f"{path}: the feature file holds no array.")
    shapes = {name: array.shape for name, array in movie.items()}
    if any(array.ndim != 2 for array in movie.values()):
        raise ValueError(f"{path}: every array must be 2-D (seconds, features), got {shapes}.")
    if len({s[0] for s in shapes.values()}) != 1:
        raise ValueError(f"{path}: the arrays have different numbers of seconds (rows), got {shapes}.")
    if next(iter(shapes.values()))[0] == 0:
        raise ValueError(f"{path}: the feature file has no rows (0 seconds), got {shapes}.")
    if any(not np.isfinite(array).all() for array in movie.values()):
        raise ValueError(f"{path}: features contain NaN or infinity.")
    return movie


def find_files(paths: Iterable[str | os.PathLike], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Files named by ``paths``: files as given, folders expanded to their sorted files with ``suffixes``.

    Folder expansion skips hidden files (named ``.*``, e.g. macOS's ``._name.mp4``); a hidden file named
    in ``paths`` is taken.

    Raises ``FileNotFoundError`` for a missing path or a folder without such files, and ``ValueError``
    when two inputs have the same movie name (outputs are named after the file's stem).
    """
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            # Hidden files are not movies: macOS's "._name.mp4" (AppleDouble), a writer's ".name.tmp", ...
            files = sorted(p for p in entry.iterdir()
                           if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith("."))
            if not files:
                raise FileNotFoundError(f"No {what} ({', '.join(suffixes)}) in the folder {entry}.")
            found.extend(files)
        elif entry.is_file():
            found.append(entry)
        else:
            raise FileNotFoundError(f"{what[0].upper()}{what[1:]} not found: {entry}")
    stems = [path.stem for path in found]
    duplicates = sorted({stem for stem in stems if stems.count(stem) > 1})
    if duplicates:
        raise ValueError(f"Several inputs share the movie name(s) {duplicates}; outputs are named after the file.")
    return found


def find_feature_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Feature files named by ``paths``: files as given, folders expanded to their sorted ``*.npz``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("Sintel", "Decay"):
    ...     _ = files.save_features(folder / "features" / f"{name}.npz", {"image": np.ones((4, 3))})
    >>> [path.name for path in files.find_feature_files([folder / "features"])]
    ['Decay.npz', 'Sintel.npz']
    """
    return find_files(paths, (FEATURE_SUFFIX,), "feature file")


def find_annotation_file(folder: str | os.PathLike, movie: str) -> Path | None:
    """The curve table of ``movie`` in ``folder`` (see :data:`ANNOTATION_PATTERNS`), or None.

    Examples
    --------
    A folder with the curves of one movie:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = files.write_curves(folder / "Sintel.csv", [[0.1, 0.2], [0.3, 0.4]])
    >>> files.find_annotation_file(folder, "Sintel").name, files.find_annotation_file(folder, "Decay")
    ('Sintel.csv', None)
    """
    folder = Path(folder)
    for pattern in ANNOTATION_PATTERNS:
        candidate = folder / pattern.format(id=movie)
        if candidate.is_file():
            return candidate
    return None


def read_annotations(folder: str | os.PathLike, movie: str, *, with_std: bool = False) -> np.ndarray:
    """Valence and arousal ``(T, 2)`` of ``movie`` from an annotation folder.

    MediaEval-style tables (:data:`ANNOTATION_PATTERNS`) come first; otherwise a LIRIS-ACCEDE pair
    ``<movie>_Valence.txt`` / ``<movie>_Arousal.txt`` (mean columns) is read.

    With ``with_std=True`` the result is ``(T, 4)``: valence, arousal and the standard deviation of
    the viewers' ratings of each (the ``Valence_std Arousal_std`` columns of a curve table, the
    ``Std`` columns of a LIRIS-ACCEDE pair), NaN where the files do not give it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = files.write_curves(folder / "Sintel.csv", np.array([[0.1, 0.2], [0.3, 0.4]]))
    >>> files.read_annotations(folder, "Sintel")
    array([[0.1, 0.2],
           [0.3, 0.4]])
    >>> files.read_annotations(folder, "Sintel", with_std=True)  # the file gives no std
    array([[0.1, 0.2, nan, nan],
           [0.3, 0.4, nan, nan]])
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Annotation folder not found: {folder}")
    path = find_annotation_file(folder, movie)
    if path is not None:
        return read_curves(path, with_std=with_std)
    if all((folder / f"{movie}{suffix}").is_file() for suffix in MEAN_STD_SUFFIXES.values()):
        curves, rows, _ = read_mean_std_pair(folder, movie)
        warn_truncated({movie: rows} if rows else {}, "LIRIS-ACCEDE", stacklevel=2)
        return curves if with_std else curves[:, :2]
    tried = [pattern.format(id=movie) for pattern in ANNOTATION_PATTERNS]
    raise FileNotFoundError(
        f"No annotations for movie {movie!r} in {folder}: looked for {', '.join(tried)} and "
        f"{movie}_Valence.txt + {movie}_Arousal.txt."
    )


# ------------------------------------------------------------------------------------ per-second tables
NanPolicy = Literal["allow", "reject"]


def _tokens(line: str) -> list[str]:
    return [token for token in _SEPARATORS.split(line.strip()) if token]


def table_body(path: str | os.PathLike, columns: Sequence[str], what: str = "Table") -> list[str]:
    """The lines of the text table ``path`` after its header, which must name ``columns`` (case-insensitive,
    separated by commas, semicolons or white space); errors name the file and the line (``what``: the
    kind of file, in the not-found error).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "Sintel.csv").write_text("Time,Valence,Arousal\\n0,0.1,0.2\\n1,0.3,0.4\\n")
    >>> files.table_body(folder / "Sintel.csv", ("Time", "Valence", "Arousal"))
    ['0,0.1,0.2', '1,0.3,0.4']
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc}).") from None
    expected = " ".join(columns)
    if not lines:
        raise ValueError(f"{path}, line 1: expected the header {expected!r}, the file is empty.")
    if [token.lower() for token in _tokens(lines[0])] != [name.lower() for name in columns]:
        raise ValueError(f"{path}, line 1: expected the header {expected!r}, got {lines[0].strip()!r}.")
    return lines[1:]


def _parse_row(tokens: list[str], columns: tuple[str, ...], second: int, nan: NanPolicy, where: str) -> list[float]:
    """The values of one data row, checked: one per column, numbers, ``Time == second``, the NaN policy."""
    if len(tokens) != len(columns):
        raise ValueError(
            f"{where}: expected {len(columns)} values ({', '.join(columns)}), got {len(tokens)}: {' '.join(tokens)!r}."
        )
    values = []
    for token, column in zip(tokens, columns):
        try:
            values.append(float(token))
        except ValueError:
            raise ValueError(f"{where}: {column} value {token!r} is not a number.") from None
    if not abs(values[0] - second) <= 1e-6:  # also catches a NaN time
        raise ValueError(
            f"{where}: {columns[0]} is {tokens[0]} but the rows must be one per second starting at 0, "
            f"so {second} was expected."
        )
    for token, column, value in zip(tokens[1:], columns[1:], values[1:]):
        if np.isinf(value) or (np.isnan(value) and nan == "reject"):
            kind = "infinite" if np.isinf(value) else "NaN"
            rule = ("a finite number, or nan for a second without a value" if nan == "allow"
                    else "a finite number (this file gives every second a value, so nan is not accepted either)")
            raise ValueError(f"{where}: {column} value {token!r} is {kind}; each value must be {rule}.")
    return values[1:]


def read_table(path: str | os.PathLike, columns: Sequence[str] = CURVE_COLUMNS, *, nan: NanPolicy) -> np.ndarray:
    """Read a per-second text table whose first column is the time in seconds.

    Every per-second table of the package is read here: curve tables (annotations, predictions),
    MediaEval 2018 ``*_Valence-Arousal.txt`` and LIRIS-ACCEDE ``*_Valence.txt`` / ``*_Arousal.txt``.

    Parameters
    ----------
    path : str or path-like
        UTF-8 text file (a byte-order mark is accepted); cells are separated by tabs, spaces, commas
        or semicolons; blank lines are skipped.
    columns : sequence of str, default=("Time", "Valence", "Arousal")
        The header, compared case-insensitively; the first column is the time, which must be 0, 1,
        2, ... (row ``t`` is second ``[t, t+1)``).
    nan : {"allow", "reject"}
        ``"allow"``: ``nan`` marks an unannotated second (curve tables and predictions);
        ``"reject"``: a NaN is an error (files that annotate every second).  Infinite values are
        always errors.

    Returns
    -------
    ndarray of shape (T, len(columns) - 1), float64
        The columns after the time.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the table is malformed; the message names the file and the line.

    Examples
    --------
    A two-second table whose last arousal value is missing:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "Sintel.csv").write_text("Time,Valence,Arousal\\n0,0.1,0.2\\n1,0.3,nan\\n")
    >>> files.read_table(folder / "Sintel.csv", nan="allow")
    array([[0.1, 0.2],
           [0.3, nan]])
    >>> files.read_table(folder / "Sintel.csv", nan="reject")
    Traceback (most recent call last):
        ...
    ValueError: ...Sintel.csv, line 3: ...
    """
    if nan not in ("allow", "reject"):
        raise ValueError(f"nan must be 'allow' or 'reject', got {nan!r}.")
    path, columns = Path(path), tuple(columns)
    rows: list[list[float]] = []
    for line_no, line in enumerate(table_body(path, columns), start=2):
        tokens = _tokens(line)
        if tokens:
            rows.append(_parse_row(tokens, columns, len(rows), nan, f"{path}, line {line_no}"))
    if not rows:
        raise ValueError(f"{path}: the file has a header but no data row.")
    return np.asarray(rows, dtype=np.float64)


def check_range(values: np.ndarray, path: Path, names: Sequence[str], low: float, high: float,
                first_line: int = 2) -> None:
    """Raise naming the file and line when a value of a table's ``values`` lies outside ``[low, high]``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion.files import check_range
    >>> check_range(np.array([[0.5, 0.2], [0.1, 1.5]]), Path("Sintel.csv"), ["Valence", "Arousal"], -1, 1)
    Traceback (most recent call last):
        ...
    ValueError: Sintel.csv, line 3: Arousal 1.5 lies outside [-1, 1] (1 such value(s) in the file).
    """
    bad = np.argwhere((values < low) | (values > high))
    if len(bad):
        row, col = bad[0]
        raise ValueError(
            f"{path}, line {row + first_line}: {names[col]} {float(values[row, col])!r} lies outside "
            f"[{low}, {high}] ({len(bad)} such value(s) in the file)."
        )


def read_mean_std_pair(folder: str | os.PathLike, movie: str) -> tuple[np.ndarray, dict[str, int], tuple[Path, Path]]:
    """A movie's ``<movie>_Valence.txt`` and ``<movie>_Arousal.txt`` (LIRIS-ACCEDE) as ``(T, 4)`` curves.

    Each file is a ``Time Mean Std`` table with a row for every second (no NaN), means in [-1, 1] and
    standard deviations >= 0.  When the two files differ in length both are cut to the shorter one; the
    caller warns (:func:`warn_truncated`), so that one warning can name every movie of a corpus.

    Returns
    -------
    curves : ndarray of shape (T, 4)
        Valence, arousal, and the standard deviation of the annotators' valence and arousal.
    rows : dict of str to int
        ``{"valence": rows, "arousal": rows}`` before cutting when they differed; empty when they agreed.
    files : (Path, Path)
        The valence and arousal files.

    Examples
    --------
    A LIRIS-ACCEDE movie whose valence file has one row more than its arousal file:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> for dimension, rows in [("Valence", "0\\t0.1\\t0.05\\n1\\t0.2\\t0.05\\n"), ("Arousal", "0\\t-0.1\\t0.1\\n")]:
    ...     _ = (folder / f"Decay_{dimension}.txt").write_text("Time\\tMean\\tStd\\n" + rows)
    >>> curves, rows, pair = files.read_mean_std_pair(folder, "Decay")
    >>> curves, rows, [path.name for path in pair]
    (array([[ 0.1 , -0.1 ,  0.05,  0.1 ]]), {'valence': 2, 'arousal': 1}, ['Decay_Valence.txt', 'Decay_Arousal.txt'])
    """
    paths = {axis: Path(folder) / f"{movie}{suffix}" for axis, suffix in MEAN_STD_SUFFIXES.items()}
    if not paths["arousal"].is_file():
        raise FileNotFoundError(f"Movie {movie!r}: {paths['valence']} has no companion {paths['arousal']}.")
    tables = {}
    for axis, path in paths.items():
        table = read_table(path, MEAN_STD_COLUMNS, nan="reject")  # the release annotates every second
        check_range(table[:, :1], path, ["Mean"], -1.0, 1.0)
        check_range(table[:, 1:], path, ["Std"], 0.0, np.inf)
        tables[axis] = table
    cut, rows = truncate_to_shortest(tables)
    curves = np.column_stack([cut["valence"][:, 0], cut["arousal"][:, 0], cut["valence"][:, 1], cut["arousal"][:, 1]])
    return curves, rows, (paths["valence"], paths["arousal"])


def _has_std_columns(path: Path) -> bool:
    """Whether the header of the table ``path`` is :data:`CURVE_STD_COLUMNS` (case-insensitive)."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return False  # read_table reports it, naming the file
    return [token.lower() for token in _tokens(first)] == [name.lower() for name in CURVE_STD_COLUMNS]


def read_curves(path: str | os.PathLike, *, with_std: bool = False, nan: NanPolicy = "allow") -> np.ndarray:
    """Read a ``Time Valence Arousal`` curve table as a ``(T, 2)`` array; ``nan`` = unannotated second.

    :func:`read_table` (by default with ``nan="allow"``); errors name the file and the line.  A table may add the
    columns ``Valence_std Arousal_std`` (:data:`CURVE_STD_COLUMNS`): the standard deviation of the
    viewers' ratings (or a model's prediction of it) at every second; a negative one is an error.

    Parameters
    ----------
    path : str or path-like
        The table.
    with_std : bool, default=False
        Return ``(T, 4)``: valence, arousal, valence_std, arousal_std (the std columns NaN when the
        table has none).  ``False``: ``(T, 2)``; std columns, if any, are ignored.
    nan : {"allow", "reject"}, default="allow"
        As for :func:`read_table`: ``"allow"`` for annotations (``nan``: an unannotated second),
        ``"reject"`` for tables that must give every second a value (e.g. predictions to score).

    Returns
    -------
    ndarray of shape (T, 2) or (T, 4), float64

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = files.write_curves(folder / "Sintel.csv", np.array([[0.1, 0.2], [0.3, 0.4]]), std=np.full((2, 2), 0.1))
    >>> files.read_curves(path)
    array([[0.1, 0.2],
           [0.3, 0.4]])
    >>> files.read_curves(path, with_std=True)
    array([[0.1, 0.2, 0.1, 0.1],
           [0.3, 0.4, 0.1, 0.1]])
    """
    path = Path(path)
    if not _has_std_columns(path):
        curves = read_table(path, CURVE_COLUMNS, nan=nan)
        return np.hstack([curves, np.full_like(curves, np.nan)]) if with_std else curves
    table = read_table(path, CURVE_STD_COLUMNS, nan=nan)
    negative = np.argwhere(table[:, 2:] < 0)  # NaN compares False
    if len(negative):
        row, column = negative[0]
        # the line of data row `row` (read_table skips blank lines)
        body = [n for n, line in enumerate(table_body(path, CURVE_STD_COLUMNS), start=2) if _tokens(line)]
        raise ValueError(
            f"{path}, line {body[row]}: {CURVE_STD_COLUMNS[3 + column]} value {float(table[row, 2 + column])!r} "
            "is negative; a standard deviation cannot be."
        )
    return table if with_std else table[:, :2]


def write_curves(path: str | os.PathLike, curves: np.ndarray, *, std: np.ndarray | None = None,
                 digits: int = 6) -> Path:
    """Write valence/arousal curves as a ``Time,Valence,Arousal`` CSV, atomically.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    curves : array-like of shape (T, 2) or (T, 4)
        Valence and arousal per second, or valence, arousal, valence_std, arousal_std.
    std : array-like of shape (T, 2), optional
        The standard deviation of the viewers' ratings of each (e.g. from
        ``predict(X, return_std=True)``).  With it, or with four-column ``curves``, the header is
        ``Time,Valence,Arousal,Valence_std,Arousal_std``.
    digits : int, default=6
        Decimals written.

    Returns
    -------
    Path
        The CSV file, ``path``.

    Examples
    --------
    The valence and arousal of a two-second movie, to two decimals (``read_curves`` reads them back):

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> path = files.write_curves(folder / "Sintel.csv", np.array([[0.1, 0.2], [0.3, 0.4]]), digits=2)
    >>> print(path.read_text())
    Time,Valence,Arousal
    0,0.10,0.20
    1,0.30,0.40
    <BLANKLINE>
    """
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 2 or curves.shape[1] not in (len(TARGET_NAMES), 2 * len(TARGET_NAMES)):
        raise ValueError(f"{path}: curves must have shape (T, 2) or (T, 4), got {curves.shape}.")
    if std is not None:
        std = np.asarray(std, dtype=np.float64)
        if curves.shape[1] != len(TARGET_NAMES) or std.shape != curves.shape:
            raise ValueError(
                f"{path}: std must have the shape of (T, 2) curves, got curves {curves.shape} and std {std.shape}."
            )
        curves = np.hstack([curves, std])
    if curves.shape[1] == 2 * len(TARGET_NAMES) and (curves[:, 2:] < 0).any():
        raise ValueError(f"{path}: a standard deviation is negative.")
    return _write_seconds(path, CURVE_STD_COLUMNS if curves.shape[1] == 4 else CURVE_COLUMNS, curves, digits)


def _write_seconds(path: str | os.PathLike, columns: Sequence[str], table: np.ndarray, digits: int) -> Path:
    """A per-second CSV table, atomically: the header ``columns`` (``Time`` first), then ``t,row`` per second."""
    lines = [",".join(columns)] + [f"{t}," + ",".join(f"{v:.{digits}f}" for v in row) for t, row in enumerate(table)]
    text = "\n".join(lines) + "\n"
    return atomic_write_bytes(path, lambda out: out.write(text.encode()))


# ------------------------------------------------------------------------------------ contributions tables
#: Prefix of the columns of the all-absent prediction in a contributions table.
_ALL_ABSENT = "baseline"
_CONTRIBUTION_OUTPUTS = CURVE_COLUMNS[1:]
_CELL_SEPARATOR = re.compile(r"[,;\s]")  # a column name holding one would split into two cells


def contribution_columns(modalities: Sequence[str], outputs: Sequence[str] = _CONTRIBUTION_OUTPUTS) -> list[str]:
    """The header of a contributions table: ``Time``, ``<modality>_<output>`` for each, ``baseline_<output>``.

    Raises ``ValueError`` for a modality name that cannot head a column: empty, holding a cell separator
    (space, tab, comma, semicolon), or ``baseline`` (the all-absent prediction's columns).

    Examples
    --------
    >>> from sklearn_emotion.files import contribution_columns
    >>> contribution_columns(["image", "audio"])
    ['Time', 'image_Valence', 'image_Arousal', 'audio_Valence', 'audio_Arousal', 'baseline_Valence', 'baseline_Arousal']
    """
    for name in modalities:
        if not name or _CELL_SEPARATOR.search(name) or name.lower() == _ALL_ABSENT:
            raise ValueError(f"the modality name {name!r} cannot head a column of a contributions table: it must "
                             f"not be empty, hold a space, tab, comma or semicolon, nor be {_ALL_ABSENT!r}.")
    return (["Time"] + [f"{name}_{output}" for name in modalities for output in outputs]
            + [f"{_ALL_ABSENT}_{output}" for output in outputs])


def write_contributions(path: str | os.PathLike, contributions: np.ndarray, modalities: Sequence[str],
                        baseline_prediction: np.ndarray, *, digits: int = 6) -> Path:
    """Write one movie's contributions of each modality as a per-second CSV table, atomically.

    The header is :func:`contribution_columns`' (e.g. ``Time,image_Valence,image_Arousal,audio_Valence,
    audio_Arousal,baseline_Valence,baseline_Arousal``), one row per second from 0: the file is
    self-contained, since a row's contributions plus its ``baseline_`` columns give the prediction.

    Parameters
    ----------
    path : path-like
        The CSV file.
    contributions : array-like of shape (T, M, 2)
        Contribution of each of the M modalities to valence and arousal every second.
    modalities : sequence of str
        The M names, in the order of the second axis.
    baseline_prediction : array-like of shape (T, 2)
        The prediction with every modality absent.
    digits : int, default=6
        Decimals written.

    Returns
    -------
    Path

    Examples
    --------
    Two seconds, two modalities:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_emotion import files
    >>> folder = Path(tempfile.mkdtemp())
    >>> contributions = np.array([[[0.1, 0.0], [-0.05, 0.2]], [[0.2, 0.1], [0.0, -0.1]]])  # (T, M, 2)
    >>> path = files.write_contributions(folder / "Sintel_contributions.csv", contributions, ["image", "audio"],
    ...                                  np.zeros((2, 2)), digits=2)
    >>> print(path.read_text())
    Time,image_Valence,image_Arousal,audio_Valence,audio_Arousal,baseline_Valence,baseline_Arousal
    0,0.10,0.00,-0.05,0.20,0.00,0.00
    1,0.20,0.10,0.00,-0.10,0.00,0.00
    <BLANKLINE>
    """
    values = np.asarray(contributions, dtype=np.float64)
    absent = np.asarray(baseline_prediction, dtype=np.float64)
    columns = contribution_columns(list(modalities))
    expected = (len(modalities), len(_CONTRIBUTION_OUTPUTS))
    if values.ndim != 3 or values.shape[1:] != expected or absent.shape != (len(values), expected[1]):
        raise ValueError(f"{path}: contributions must have shape (T, {len(modalities)}, 2) for the modalities "
                         f"{list(modalities)} and the all-absent prediction (T, 2); got {values.shape} and "
                         f"{absent.shape}.")
    table = np.hstack([values.reshape(len(values), -1), absent])  # modality-major: image_Valence, image_Arousal, ...
    return _write_seconds(path, columns, table, digits)


def read_contributions(path: str | os.PathLike) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read a table written by :func:`write_contributions`: ``(contributions, modalities, baseline_prediction)``.

    Returns arrays of shapes ``(T, M, 2)`` and ``(T, 2)``; raises ``ValueError`` naming the file when its
    header is not a contributions table's.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_emotion import files
    >>> contributions = [[[0.1, 0.0], [-0.05, 0.2]], [[0.2, 0.1], [0.0, -0.1]]]  # 2 s, 2 modalities, 2 outputs
    >>> path = Path(tempfile.mkdtemp()) / "Sintel_contributions.csv"
    >>> _ = files.write_contributions(path, contributions, ["image", "audio"], [[0.0, 0.0], [0.0, 0.0]])
    >>> read, modalities, baseline = files.read_contributions(path)
    >>> read.shape, modalities, baseline.shape, read.tolist() == contributions
    ((2, 2, 2), ['image', 'audio'], (2, 2), True)
    """
    with open(path, encoding="utf-8-sig") as handle:
        header = _tokens(handle.readline())
    names = [cell[: -len(f"_{_CONTRIBUTION_OUTPUTS[0]}")] for cell in header[1:-2:2]]
    try:
        expected = contribution_columns(names)
    except ValueError:
        expected = None
    if header != expected:
        raise ValueError(f"{path}: not a contributions table; its header is {','.join(header)!r}, expected "
                         f"Time, then <modality>_Valence,<modality>_Arousal for each modality, then "
                         f"{_ALL_ABSENT}_Valence,{_ALL_ABSENT}_Arousal.")
    table = read_table(path, header, nan="reject")
    return table[:, :-2].reshape(len(table), len(names), 2), names, table[:, -2:]


# ------------------------------------------------------------------------------------ alignment
def _rows(sequence: np.ndarray | Mapping[str, np.ndarray]) -> int:
    return len(next(iter(sequence.values()))) if isinstance(sequence, Mapping) else len(sequence)


def _head(sequence: np.ndarray | Mapping[str, np.ndarray], n: int) -> np.ndarray | dict[str, np.ndarray]:
    if isinstance(sequence, Mapping):
        return {key: value[:n] for key, value in sequence.items()}
    return sequence[:n]


def truncate_to_shortest(sources: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Cut every sequence of one movie to the fewest rows among them.

    The trailing rows of the longer sequences are dropped: feature extraction counts whole seconds
    of the video while annotations may have a row more or fewer, and the valence and arousal files
    of a movie may differ by a row or a few.

    Parameters
    ----------
    sources : mapping of str to array or to mapping of str to array, not empty
        The movie's sequences by name, rows along the first axis, e.g. ``{"features": movie,
        "annotations": (T, 2) array}``; a mapping (a movie's modalities, all of one length) counts
        as one sequence.

    Returns
    -------
    cut : dict
        The same names and kinds of values, every sequence cut to the shortest length.
    lengths : dict of str to int
        The rows of every sequence before cutting when they differed; empty when they agreed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_emotion.files import truncate_to_shortest
    >>> movie = {"features": {"image": np.zeros((30, 3))}, "annotations": np.zeros((28, 2))}
    >>> cut, lengths = truncate_to_shortest(movie)
    >>> cut["features"]["image"].shape, cut["annotations"].shape, lengths
    ((28, 3), (28, 2), {'features': 30, 'annotations': 28})
    """
    lengths = {name: _rows(sequence) for name, sequence in sources.items()}
    n = min(lengths.values())
    cut = {name: _head(sequence, n) for name, sequence in sources.items()}
    return cut, (lengths if len(set(lengths.values())) > 1 else {})


def warn_truncated(truncated: Mapping[str, Mapping[str, int]], corpus: str = "", *, stacklevel: int = 1) -> None:
    """Issue one :class:`LengthMismatchWarning` naming every truncated movie and its sequences' rows.

    Parameters
    ----------
    truncated : mapping of str to mapping of str to int
        ``{movie: {sequence: rows before truncation}}`` (the ``lengths`` of
        :func:`truncate_to_shortest`); nothing is issued when it is empty.
    corpus : str, optional
        Collection name put in the message (e.g. ``"LIRIS-ACCEDE"``).
    stacklevel : int, default=1
        As for :func:`warnings.warn`, counted from the caller of this function.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_emotion.files import warn_truncated
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_truncated({"Sintel": {"features": 30, "annotations": 28}}, "my corpus")
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    1 my corpus movie(s) had sequences of different lengths and were truncated to the shortest:
    Sintel (features 30, annotations 28 rows).
    """
    if not truncated:
        return
    detail = "; ".join(
        f"{movie} ({', '.join(f'{name} {rows}' for name, rows in lengths.items())} rows)"
        for movie, lengths in truncated.items()
    )
    warnings.warn(
        f"{len(truncated)} {corpus + ' ' if corpus else ''}movie(s) had sequences of different lengths and "
        f"were truncated to the shortest: {detail}.",
        LengthMismatchWarning,
        stacklevel=stacklevel + 1,
    )


def align_lengths(
    names: list[str], movies: list[dict[str, np.ndarray]], targets: list[np.ndarray]
) -> tuple[list[dict[str, np.ndarray]], list[np.ndarray]]:
    """Truncate each movie's features and annotations to the shorter of the two, warning once.

    :func:`truncate_to_shortest` per movie; one :class:`LengthMismatchWarning` names every
    truncated movie with both lengths (``movie_0 (features 30, annotations 28 rows)``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn_emotion.files import LengthMismatchWarning, align_lengths
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     X, y = align_lengths(["Sintel"], [{"image": np.zeros((30, 3))}], [np.zeros((28, 2))])
    >>> X[0]["image"].shape, y[0].shape, caught[0].category is LengthMismatchWarning
    ((28, 3), (28, 2), True)
    """
    out_movies, out_targets, truncated = [], [], {}
    for name, movie, target in zip(names, movies, targets):
        cut, lengths = truncate_to_shortest({"features": movie, "annotations": target})
        out_movies.append(cut["features"])
        out_targets.append(cut["annotations"])
        if lengths:
            truncated[name] = lengths
    warn_truncated(truncated, stacklevel=2)
    return out_movies, out_targets
