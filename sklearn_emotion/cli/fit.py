"""``sklearn-emotion fit``: features + annotations -> a saved model."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    CommandError,
    device_line,
    echo,
    load_feature_corpus,
    load_feature_folder_spec,
    non_negative_seconds,
    progress_enabled,
    warn,
)


def _smoother(args: argparse.Namespace) -> Any:
    from ..smoothing import ButterworthSmoother, MovingAverageSmoother

    if args.smoother == "butterworth":
        return ButterworthSmoother(cutoff=args.cutoff)
    if args.smoother == "moving-average":
        return MovingAverageSmoother(window=args.smoothing_window)
    return None


def build_estimator(args: argparse.Namespace, *, target_range: tuple[float, float] | str = (-1.0, 1.0),
                    predict_std: bool = False) -> Any:
    """The estimator ``fit`` trains, from the command-line options (``target_range``, ``predict_std``: the
    paper model's)."""
    from sklearn.linear_model import Ridge, RidgeCV
    from sklearn.pipeline import make_pipeline

    from ..gru_moe import GRUMoERegressor
    from ..per_second import PerSecondRegressor
    from ..preprocessing import MovieStandardScaler
    from ..smoothing import SmoothedRegressor
    from ..windowing import Windower

    smoother = _smoother(args)
    if args.model == "baseline":
        ridge = RidgeCV(alphas=np.logspace(-2, 4, 13)) if args.alpha is None else Ridge(alpha=args.alpha)
        regressor = PerSecondRegressor(ridge)
        return regressor if smoother is None else SmoothedRegressor(regressor, smoother)
    verbose = 1 if progress_enabled(args) else 0  # one line per epoch
    # Options left out take the estimator's own defaults, so the CLI trains what Python users get.
    if args.model == "tcn":
        from ..tcn import TCNRegressor

        given = {name: getattr(args, option) for option, name in _TCN_OPTIONS.items()
                 if getattr(args, option) is not None}
        network = TCNRegressor(**given, causal=args.causal, target_range=target_range,
                               random_state=args.random_state, verbose=verbose)
        head = network if smoother is None else SmoothedRegressor(network, smoother)
        # Sequence to sequence over whole movies: no Windower.
        return make_pipeline(MovieStandardScaler(), head)
    given = {name: getattr(args, option) for option, name in _NETWORK_OPTIONS.items()
             if getattr(args, option) is not None}
    network = GRUMoERegressor(**given, batch_norm=args.batch_norm, target_range=target_range,
                              predict_std=predict_std, random_state=args.random_state, verbose=verbose)
    head = network if smoother is None else SmoothedRegressor(network, smoother)
    # Standardised inputs: embeddings and descriptors come at very different scales.
    return make_pipeline(MovieStandardScaler(), Windower(length=args.window), head)


#: ``fit`` options of the TCN -> ``TCNRegressor`` parameters (None: the estimator's default).
_TCN_OPTIONS = {
    "dropout": "dropout", "learning_rate": "learning_rate", "epochs": "epochs", "patience": "patience",
    "levels": "levels", "filters": "filters",
}

#: ``fit`` options of the paper model -> ``GRUMoERegressor`` parameters (None: the estimator's default).
_NETWORK_OPTIONS = {
    "rnn": "rnn", "units": "units", "layers": "n_layers", "experts": "n_experts", "dropout": "dropout",
    "learning_rate": "learning_rate", "batch_size": "batch_size", "epochs": "epochs", "patience": "patience",
}


def _networks(estimator: Any) -> list:
    """The ``GRUMoERegressor`` instances inside a (fitted) estimator."""
    from ..gru_moe import GRUMoERegressor

    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    found = [value for value in params.values() if isinstance(value, GRUMoERegressor)]
    # a SmoothedRegressor trains a clone: the fitted network is its regressor_
    for value in [estimator, *params.values()]:
        fitted = getattr(value, "regressor_", None)
        if isinstance(fitted, GRUMoERegressor):
            found.append(fitted)
    return found


def _quiet_network(estimator: Any) -> None:
    """Switch Keras output off in a fitted estimator so that ``predict`` prints nothing."""
    for network in _networks(estimator):
        network.verbose = 0


def check_output_file(path: str | os.PathLike, overwrite: bool) -> Path:
    """The model file to write, checked before training: not a folder, writable, not overwritten unasked."""
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"-o {path} is a folder; give the model file to write, e.g. {path / 'model.skops'}.")
    for parent in path.parents:  # the first existing one must be a folder ([Errno 17]/[Errno 20] otherwise)
        if parent.exists():
            if not parent.is_dir():
                raise CommandError(f"-o {path}: {parent} is a file, not a folder; choose another model file.")
            break
    if path.exists() and not overwrite:
        raise CommandError(f"{path} exists; pass --overwrite to replace it, or choose another file.")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # can a file really be created there?
            pass
    except OSError as error:
        raise CommandError(f"cannot write the model file {path}: {error.strerror or error}.") from None
    return path


def read_targets(folder: str, names: list[str], *, with_std: bool = False) -> list[np.ndarray]:
    """Every movie's annotations, or one error listing every movie without them.

    ``with_std``: ``(T, 4)`` arrays, the viewers' standard deviations after the means (NaN where the
    files give none).
    """
    from ..files import read_annotations

    targets, missing = [], []
    for name in names:
        try:
            targets.append(read_annotations(folder, name, with_std=with_std))
        except FileNotFoundError as error:
            if not Path(folder).is_dir():
                raise CommandError(str(error)) from None
            missing.append(name)
        except ValueError as error:
            raise CommandError(str(error)) from None
    if missing:
        raise CommandError(
            f"no annotations in {folder} for {len(missing)} of {len(names)} movie(s): {', '.join(missing)} "
            "(looked for <movie>_Valence-Arousal.txt, <movie>.csv/.tsv/.txt, <movie>_Valence.txt + _Arousal.txt)."
        )
    return targets


def check_lengths(names: list[str], movies: list[dict], targets: list[np.ndarray], tolerance: int) -> None:
    """Features and annotations of each movie differ by at most ``tolerance`` seconds (else: not the same movie?)."""
    for name, movie, target in zip(names, movies, targets):
        seconds = len(next(iter(movie.values())))
        if abs(seconds - len(target)) > tolerance:
            raise CommandError(
                f"movie {name}: {seconds} s of features but {len(target)} annotated seconds, more than "
                f"--max-length-difference {tolerance}; are they of the same movie (or cut differently)?"
            )


def annotation_file(folder: str, name: str) -> str:
    """The annotation file(s) of movie ``name`` in ``folder``, for messages."""
    from ..files import find_annotation_file

    found = find_annotation_file(folder, name)
    return str(found) if found is not None else str(Path(folder) / f"{name}_Valence.txt + _Arousal.txt")


def target_range(args: argparse.Namespace, targets: list[np.ndarray],
                 names: list[str] | None = None) -> tuple[float, float] | str:
    """``--target-range`` as the estimator takes it, checked against the annotations before training.

    Annotations outside the range are an error naming their files; when only some files are outside,
    the files are on different scales, which no ``--target-range`` fixes.
    """
    given = args.target_range
    if given == ["auto"]:
        return "auto"
    try:
        low, high = (float(value) for value in given)
    except ValueError:
        raise CommandError(f"--target-range takes LOW HIGH or auto, got {' '.join(given)}.") from None
    if not low < high:
        raise CommandError(f"--target-range {low:g} {high:g}: LOW must be below HIGH.")
    names = names if names is not None else [f"movie {index}" for index in range(len(targets))]
    ranges = {name: (float(t[np.isfinite(t)].min()), float(t[np.isfinite(t)].max()))
              for name, t in zip(names, targets) if np.isfinite(t).any()}
    if not ranges:
        raise CommandError("every annotation value is NaN: nothing to train on.")
    outside = [name for name, (least, most) in ranges.items() if least < low or most > high]
    if not outside:
        return low, high
    shown = "; ".join(f"{annotation_file(args.annotations, name)} ({ranges[name][0]:g} to {ranges[name][1]:g})"
                      for name in outside[:5]) + ("; ..." if len(outside) > 5 else "")
    inside = len(ranges) - len(outside)
    if inside:  # one --target-range spanning both scales would mix them
        raise CommandError(
            f"the annotations of {len(outside)} of {len(ranges)} movie(s) are outside the target range "
            f"[{low:g}, {high:g}] while the other {inside} are within it: {shown}. The files seem to be on "
            "different scales; rescale them to one scale (e.g. 1 to 9 -> -1 to 1: (value - 5) / 4) before "
            "training."
        )
    least, most = min(r[0] for r in ranges.values()), max(r[1] for r in ranges.values())
    raise CommandError(
        f"the annotations range from {least:g} to {most:g}, outside the target range [{low:g}, {high:g}] "
        f"({shown}); pass --target-range {least:g} {most:g} (the scale of your annotations, e.g. 1 9) or "
        "--target-range auto."
    )


def training_digests(files: list[Path], sources: dict[str, str | None]) -> dict[str, dict[str, str | None]]:
    """Each training movie's ``{"features": SHA-256 of its .npz, "source": SHA-256 of its video or None}``.

    ``sources``: the videos' digests ``extract`` recorded, by movie (:func:`load_feature_folder_spec`).
    """
    from ..media.cache import content_digest

    return {path.stem: {"features": content_digest(path), "source": sources.get(path.stem)} for path in files}


def save_trained_model(output: Path, model: Any) -> Path:
    """Write the trained ``model`` to ``output``; when it cannot be (full disk, folder gone read-only), to
    the system's temporary folder, named in the error, so that the training is not lost.

    Raises
    ------
    CommandError
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
        raise CommandError(
            f"cannot write the model file {output} ({reason}), nor a copy in {folder} "
            f"({error.strerror or error}): the trained model is lost. Make room or choose a writable -o, "
            "and train again."
        ) from None
    raise CommandError(
        f"cannot write the model file {output} ({reason}); the trained model was saved to {rescue} instead: "
        f"move it where you want it, e.g. mv {rescue} {output}"
    )


def run(args: argparse.Namespace) -> int:
    from ..files import align_lengths
    from ..persistence import PICKLE_SUFFIXES, SavedModel

    # Everything that can be checked is checked before training, so that no run is lost at the end.
    output = check_output_file(args.output, args.overwrite)
    names, movies, files = load_feature_corpus(args.features)
    settings = load_feature_folder_spec(files, movies)
    spec = settings["feature_spec"]
    for warning in settings["warnings"]:
        warn("fit", f"{warning}; the model will not record how its features were made, so it can predict feature "
             "files, not videos.")
    targets = read_targets(args.annotations, names, with_std=True)
    # The viewers' std (Valence_std/Arousal_std columns, LIRIS-ACCEDE's Std): the paper model learns it too.
    with_std = args.model == "paper" and not args.ignore_std and any(np.isfinite(t[:, 2:]).any() for t in targets)
    targets = targets if with_std else [t[:, :2] for t in targets]
    check_lengths(names, movies, targets, args.max_length_difference)
    scale = target_range(args, [t[:, :2] for t in targets], names)
    movies, targets = align_lengths(names, movies, targets)
    modalities = {k: int(v.shape[1]) for k, v in movies[0].items()}
    estimator = build_estimator(args, target_range=scale, predict_std=with_std)
    if args.model != "baseline":
        echo(device_line())
    echo(f"Training the {args.model} model on {len(movies)} movie(s), {sum(len(t) for t in targets)} s, "
         f"features {modalities}" + (", with the viewers' standard deviation (the model will predict it; "
                                     "its mean curves can be a little less accurate than a means-only model's, "
                                     "--ignore-std)" if with_std else "") + "...")
    estimator.fit(movies, targets)
    for network in _networks(estimator):
        if hasattr(network, "stopping_summary_"):
            echo(f"Training {network.stopping_summary_}.")
    _quiet_network(estimator)
    info = {"model": args.model, "options": {k: v for k, v in vars(args).items() if k != "command_module"},
            "movies": names, "seconds": int(sum(len(t) for t in targets)), "predict_std": with_std,
            # how videos without sound were extracted, so that predict extracts them alike
            "missing_audio": settings["missing_audio"],
            # what `evaluate` needs to tell the movies the model has seen from held-out ones
            "training_digests": training_digests(files, settings["sources"])}
    save_trained_model(output, SavedModel(estimator, modalities, spec, info))
    why = "see the warning above" if settings["warnings"] else "no features.json beside the features"
    echo(f"Saved the model to {output}" + ("" if spec else f" (it can predict feature files, not videos: {why})") + ".")
    if output.suffix.lower() in PICKLE_SUFFIXES:
        echo(f"Note: {output.name} is a skops file (data only, safe to share), not a pickle, despite its "
             f"{output.suffix} name; name it {output.with_suffix('.skops').name} next time.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Train a model on feature files and their per-second annotations and save it. Annotations of movie
    <name> (from <name>.npz) are read from ANNOTATIONS/<name>_Valence-Arousal.txt (MediaEval),
    <name>.csv/.tsv/.txt (header Time Valence Arousal) or <name>_Valence.txt + <name>_Arousal.txt
    (LIRIS-ACCEDE). Features and annotations of different lengths are truncated to the shorter, with a
    warning (more than --max-length-difference seconds apart is an error). When the annotations also give
    the viewers' standard deviation (columns Valence_std Arousal_std, or the Std columns of LIRIS-ACCEDE
    files), the paper model learns it too and `predict` writes it (unless --ignore-std). Everything is checked before
    training starts: the model file can be written (and is not overwritten without --overwrite), every
    movie has annotations within --target-range, and each feature file agrees with the features.json and
    records of its folder, when present (a file they do not vouch for gives a warning, and a model that
    predicts feature files only). A model that cannot be written at the end is saved in the system's
    temporary folder, named in the error. The model
    file is written in the skops format whatever its name: it holds data only, is safe to share, and
    `predict` loads it without running code from it; pickle-based model files of sklearn-emotion 0.1 load
    only with `predict --trust-model`.
    """
    parser.add_argument("features", nargs="+", metavar="FEATURES", help="feature files (.npz) or folders of them")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write, e.g. model.skops (data only, safe to share)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    parser.add_argument("--max-length-difference", type=non_negative_seconds, default=2, metavar="S",
                        help="accepted difference in seconds between a movie's features and annotations (default "
                             "%(default)s; they are cut to the shorter); more is an error")
    parser.add_argument("--target-range", nargs="+", default=["-1", "1"], metavar="LOW HIGH",
                        help="scale of the annotations, e.g. 1 9 (default -1 1, MediaEval's), or 'auto' (their "
                             "minimum and maximum); the paper model predicts within it")
    parser.add_argument("--ignore-std", action="store_true",
                        help="do not learn the viewers' standard deviation even when the annotations give it "
                             "(columns Valence_std Arousal_std, or LIRIS-ACCEDE's Std); the baseline never does")
    parser.add_argument("--model", choices=("paper", "tcn", "baseline"), default="paper",
                        help="paper: windows -> GRU + mixture of experts; tcn: whole movies -> encoder-decoder "
                             "temporal convolutional network (section 3 of the paper); baseline: per-second Ridge "
                             "(default %(default)s)")
    net = parser.add_argument_group("paper model")
    net.add_argument("--window", type=int, default=60, metavar="S", help="window length in seconds (paper: 10, 30, 60; default %(default)s)")
    net.add_argument("--rnn", choices=("gru", "lstm"), default=None, help="recurrent cell (default gru)")
    net.add_argument("--units", type=int, default=None, help="recurrent units per modality (default 128)")
    net.add_argument("--layers", type=int, default=None, help="stacked recurrent layers (default 1)")
    net.add_argument("--experts", type=int, default=None, help="experts of the mixture (default 4)")
    net.add_argument("--dropout", type=float, default=None, help="dropout rate (paper runs 2-4: > 0; default 0)")
    net.add_argument("--batch-norm", action="store_true", help="batch-normalise the fused states (paper runs 2-4)")
    net.add_argument("--learning-rate", type=float, default=None, help="Adam learning rate (default 0.001)")
    net.add_argument("--batch-size", type=int, default=None,
                     help="windows per step (default: sized to the corpus, 32 to the paper's 512)")
    net.add_argument("--epochs", type=int, default=None, help="maximum epochs (default 30)")
    net.add_argument("--patience", type=int, default=None,
                     help="epochs without improvement before stopping (default 5); the loss watched is that of "
                          "held-out movies when 3 or more can be held out, else the training loss")
    net.add_argument("--random-state", type=int, default=0, metavar="SEED", help="seed (default %(default)s)")
    tcn = parser.add_argument_group("tcn model (also --dropout, --learning-rate, --epochs, --patience, --random-state)")
    tcn.add_argument("--causal", action="store_true",
                     help="each second sees only the past (default: acausal, as Lea et al.)")
    tcn.add_argument("--levels", type=int, default=None, help="pooling levels of the encoder (default 3)")
    tcn.add_argument("--filters", type=int, default=None, help="convolution filters per level (default 64)")
    base = parser.add_argument_group("baseline model")
    base.add_argument("--alpha", type=float, default=None,
                      help="Ridge penalty (default: chosen in 1e-2 ... 1e4 by leave-one-out on the training seconds)")
    smooth = parser.add_argument_group("smoothing of the predicted curves")
    smooth.add_argument("--smoother", choices=("butterworth", "moving-average", "none"), default="butterworth",
                        help="default %(default)s (the paper's)")
    smooth.add_argument("--cutoff", type=float, default=0.02, help="Butterworth cutoff in Hz (default %(default)s)")
    smooth.add_argument("--smoothing-window", type=int, default=31, metavar="S",
                        help="moving-average window in seconds (default %(default)s)")
