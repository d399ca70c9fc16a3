"""Train a model on a features folder and an annotations folder and save it: what ``sklearn-emotion fit`` does.

:func:`make_model` builds the three models by name through :mod:`sklearn_emotion.pipelines`;
:func:`fit_model_file` checks everything that can be checked before training (the model file can be
written, every movie has annotations on the target range, the feature files agree with their folder's
records), trains, and saves the model with its provenance (the feature settings, the training movies
and their SHA-256), so that ``predict`` extracts videos alike and ``evaluate`` tells held-out movies
from training ones.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MODEL_KINDS", "check_output_file", "check_target_range", "fit_model_file", "make_model", "model_maker",
           "save_trained_model", "sequence_networks"]

#: The models :func:`make_model` builds.
MODEL_KINDS = ("paper", "tcn", "baseline")


def model_maker(kind: str) -> Callable[..., Any]:
    """The pipeline maker of model ``kind`` (its signature holds the model's defaults)."""
    from ..pipelines import make_baseline_pipeline, make_paper_pipeline, make_tcn_pipeline

    makers = {"paper": make_paper_pipeline, "tcn": make_tcn_pipeline, "baseline": make_baseline_pipeline}
    if kind not in makers:
        raise ValueError(f"model {kind!r}: expected one of {', '.join(MODEL_KINDS)}.")
    return makers[kind]


def make_model(kind: str = "paper", **options: Any) -> Any:
    """The unfitted model ``kind``: the paper pipeline, the TCN pipeline or the per-second baseline.

    Parameters
    ----------
    kind : {"paper", "tcn", "baseline"}, default="paper"
        :func:`~sklearn_emotion.make_paper_pipeline`, :func:`~sklearn_emotion.make_tcn_pipeline` or
        :func:`~sklearn_emotion.make_baseline_pipeline`.
    **options
        Their keyword arguments (e.g. ``window_length=30, units=64`` for the paper model,
        ``alpha=1.0`` for the baseline).
    """
    return model_maker(kind)(**options)


def sequence_networks(estimator: Any) -> list:
    """The Keras sequence regressors (GRU-MoE, TCN) inside a model, fitted ones included."""
    from ..gru_moe import GRUMoERegressor
    from ..tcn import TCNRegressor

    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    values = [estimator, *params.values()]
    # a SmoothedRegressor trains a clone: the fitted network is its regressor_
    values += [getattr(value, "regressor_", None) for value in values]
    return [value for value in values if isinstance(value, (GRUMoERegressor, TCNRegressor))]


def check_output_file(path: str | os.PathLike, overwrite: bool) -> Path:
    """The model file to write, checked before training: not a folder, writable, not overwritten unasked.

    Raises
    ------
    ValueError
        When ``path`` is a folder or below a file.
    FileExistsError
        When it exists and ``overwrite`` is false.
    OSError
        When no file can be created in its folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"-o {path} is a folder; give the model file to write, e.g. {path / 'model.skops'}.")
    for parent in path.parents:  # the first existing one must be a folder ([Errno 17]/[Errno 20] otherwise)
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"-o {path}: {parent} is a file, not a folder; choose another model file.")
            break
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass --overwrite (overwrite=True) to replace it, or choose another file.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):  # can a file really be created there?
            pass
    except OSError as error:
        raise OSError(f"cannot write the model file {path}: {error.strerror or error}.") from None
    return path


def _annotation_file(folder: str | os.PathLike, name: str) -> str:
    from ..files import find_annotation_file

    found = find_annotation_file(folder, name)
    return str(found) if found is not None else str(Path(folder) / f"{name}_Valence.txt + _Arousal.txt")


def check_target_range(target_range: tuple[float, float] | str, targets: Sequence[np.ndarray],
                       names: Sequence[str], annotations_dir: str | os.PathLike) -> tuple[float, float] | str:
    """``target_range`` checked against the annotations before training.

    Annotations outside the range are an error naming their files; when only some files are outside,
    the files are on different scales, which no target range fixes.
    """
    if isinstance(target_range, str):
        return target_range
    low, high = (float(value) for value in target_range)
    if not low < high:
        raise ValueError(f"--target-range {low:g} {high:g}: LOW must be below HIGH.")
    ranges = {name: (float(t[np.isfinite(t)].min()), float(t[np.isfinite(t)].max()))
              for name, t in zip(names, targets) if np.isfinite(t).any()}
    if not ranges:
        raise ValueError("every annotation value is NaN: nothing to train on.")
    outside = [name for name, (least, most) in ranges.items() if least < low or most > high]
    if not outside:
        return low, high
    shown = "; ".join(f"{_annotation_file(annotations_dir, name)} ({ranges[name][0]:g} to {ranges[name][1]:g})"
                      for name in outside[:5]) + ("; ..." if len(outside) > 5 else "")
    inside = len(ranges) - len(outside)
    if inside:  # one target range spanning both scales would mix them
        raise ValueError(
            f"the annotations of {len(outside)} of {len(ranges)} movie(s) are outside the target range "
            f"[{low:g}, {high:g}] while the other {inside} are within it: {shown}. The files seem to be on "
            "different scales; rescale them to one scale (e.g. 1 to 9 -> -1 to 1: (value - 5) / 4) before "
            "training."
        )
    least, most = min(r[0] for r in ranges.values()), max(r[1] for r in ranges.values())
    raise ValueError(
        f"the annotations range from {least:g} to {most:g}, outside the target range [{low:g}, {high:g}] "
        f"({shown}); pass --target-range {least:g} {most:g} (the scale of your annotations, e.g. 1 9) or "
        "--target-range auto (target_range=(low, high) or 'auto' in Python)."
    )


def save_trained_model(output: Path, model: Any) -> Path:
    """Write the trained ``model`` to ``output``; when it cannot be (full disk, folder gone read-only), to
    the system's temporary folder, named in the error, so that the training is not lost.

    Raises
    ------
    OSError
        When ``output`` could not be written: naming where the model was saved instead, or saying that
        it is lost when that failed too.
    """
    from ..persistence import save_model

    try:
        return save_model(output, model)
    except OSError as error:
        reason = error.strerror or str(error)
    rescue, folder = None, "the system's temporary folder"
    try:
        folder = tempfile.gettempdir()  # raises when no temporary folder is usable
        handle, name = tempfile.mkstemp(prefix=f"{output.stem}-", suffix=output.suffix or ".skops", dir=folder)
        os.close(handle)
        rescue = Path(name)
        save_model(rescue, model)
    except OSError as error:
        if rescue is not None:
            with contextlib.suppress(OSError):
                rescue.unlink(missing_ok=True)
        raise OSError(
            f"cannot write the model file {output} ({reason}), nor a copy in {folder} "
            f"({error.strerror or error}): the trained model is lost. Make room or choose a writable -o, "
            "and train again."
        ) from None
    raise OSError(
        f"cannot write the model file {output} ({reason}); the trained model was saved to {rescue} instead: "
        f"move it where you want it, e.g. mv {rescue} {output}"
    )


def _training_digests(files: Sequence[Path], sources: Mapping[str, str | None]) -> dict[str, dict]:
    """Each training movie's ``{"features": SHA-256 of its .npz, "source": SHA-256 of its video or None}``."""
    from ..media.cache import content_digest

    return {path.stem: {"features": content_digest(path), "source": sources.get(path.stem)} for path in files}


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def fit_model_file(features: Sequence[str | os.PathLike], annotations_dir: str | os.PathLike,
                   output: str | os.PathLike, *, model: str = "paper", model_options: Mapping[str, Any] | None = None,
                   overwrite: bool = False, max_length_difference: int = 2,
                   target_range: tuple[float, float] | str = (-1.0, 1.0), ignore_std: bool = False,
                   info: Mapping[str, Any] | None = None, echo: Callable[[str], None] = print,
                   warn: Callable[[str], None] = _warn) -> Path:
    """Train ``model`` on feature files and their annotations and save it to ``output`` (``sklearn-emotion fit``).

    Parameters
    ----------
    features : sequence of path-like
        Feature files (``.npz``) or folders of them.
    annotations_dir : path-like
        Folder of annotation files (see :func:`~sklearn_emotion.workflows.load_feature_corpus`).
    output : path-like
        Model file to write (skops format, whatever its name).
    model : {"paper", "tcn", "baseline"}, default="paper"
        The model :func:`make_model` builds, with ``model_options``.
    model_options : mapping, optional
        Keyword arguments of the model's pipeline maker; ``target_range`` and ``predict_std`` are set here.
    overwrite : bool, default=False
        Replace an existing ``output``.
    max_length_difference : int, default=2
        Seconds by which a movie's features and annotations may differ (they are cut to the shorter).
    target_range : (float, float) or "auto", default=(-1.0, 1.0)
        Scale of the annotations; every annotation must lie within it.
    ignore_std : bool, default=False
        Do not learn the viewers' standard deviation even when the annotations give it (a network
        learns it otherwise; the baseline never does).
    info : mapping, optional
        Extra records stored in the model's ``info`` (e.g. the command-line options).
    echo, warn : callable
        Receive the progress lines and the warnings (default: ``print`` and :func:`warnings.warn`).

    Returns
    -------
    Path
        The model file written.

    Raises
    ------
    ValueError, FileNotFoundError, OSError
        Before training, naming the file or movie at fault; after it, when the model cannot be saved
        (naming where a copy was saved instead).

    Examples
    --------
    A model file trained on a folder of feature files (four movies of 30 s, written by
    :func:`~sklearn_emotion.datasets.make_feature_corpus` as ``extract`` and a rater would write them):

    >>> import tempfile
    >>> from sklearn_emotion.datasets import make_feature_corpus
    >>> from sklearn_emotion.persistence import load_model
    >>> from sklearn_emotion.workflows import fit_model_file
    >>> features, annotations = make_feature_corpus(tempfile.mkdtemp())
    >>> path = fit_model_file([features], annotations, features.parent / "model.skops", model="baseline")
    Training the baseline model on 4 movie(s), 120 s, features {'image': 3}...
    Saved the model to .../model.skops (it can predict feature files, not videos: no features.json beside the features).
    >>> load_model(path).modalities
    {'image': 3}
    """
    from ..files import align_lengths
    from ..persistence import SavedModel
    from .corpus import check_lengths, feature_settings, read_feature_files, read_targets

    # Everything that can be checked is checked before training, so that no run is lost at the end.
    output = check_output_file(output, overwrite)
    names, movies, files = read_feature_files(features)
    settings = feature_settings(files, movies)
    for warning in settings["warnings"]:
        warn(f"{warning}; the model will not record how its features were made, so it can predict feature "
             "files, not videos.")
    targets = read_targets(annotations_dir, names, with_std=True)
    # The viewers' std (Valence_std/Arousal_std columns, LIRIS-ACCEDE's Std): the networks learn it too.
    with_std = model != "baseline" and not ignore_std and any(np.isfinite(t[:, 2:]).any() for t in targets)
    targets = targets if with_std else [t[:, :2] for t in targets]
    check_lengths(names, movies, targets, max_length_difference, option="--max-length-difference")
    scale = check_target_range(target_range, [t[:, :2] for t in targets], names, annotations_dir)
    movies, targets = align_lengths(names, movies, targets)
    network = {} if model == "baseline" else {"target_range": scale, "predict_std": with_std}
    estimator = make_model(model, **{**(model_options or {}), **network})
    modalities = {k: int(v.shape[1]) for k, v in movies[0].items()}
    _train(estimator, movies, targets, model, with_std, echo)
    record = {**(info or {}), "model": model, "movies": names, "seconds": int(sum(len(t) for t in targets)),
              "predict_std": with_std,
              "missing_audio": settings["missing_audio"],  # how videos without sound were extracted
              # what `evaluate` needs to tell the movies the model has seen from held-out ones
              "training_digests": _training_digests(files, settings["sources"])}
    save_trained_model(output, SavedModel(estimator, modalities, settings["feature_spec"], record))
    why = "see the warning above" if settings["warnings"] else "no features.json beside the features"
    echo(f"Saved the model to {output}"
         + ("" if settings["feature_spec"] else f" (it can predict feature files, not videos: {why})") + ".")
    return output


def _train(estimator: Any, movies: list, targets: list, model: str, with_std: bool,
           echo: Callable[[str], None]) -> None:
    """Fit ``estimator``, saying what it trains on and how the training stopped; Keras output off afterwards."""
    if model != "baseline":
        from .._backend import tensorflow_device

        echo(tensorflow_device() + ".")
    modalities = {k: int(v.shape[1]) for k, v in movies[0].items()}
    echo(f"Training the {model} model on {len(movies)} movie(s), {sum(len(t) for t in targets)} s, "
         f"features {modalities}" + (", with the viewers' standard deviation (the model will predict it; "
                                     "its mean curves can be a little less accurate than a means-only model's, "
                                     "--ignore-std)" if with_std else "") + "...")
    estimator.fit(movies, targets)
    for network in sequence_networks(estimator):
        if hasattr(network, "stopping_summary_"):
            echo(f"Training {network.stopping_summary_}.")
        network.verbose = 0  # so that predict prints nothing
