"""The ``sklearn-emotion`` command line (also ``python -m sklearn_emotion``).

Subcommands: ``demo``, ``extract``, ``fit``, ``predict``, ``evaluate``; ``sklearn-emotion <command>
--help`` explains each.  File formats are described in :mod:`sklearn_emotion.files` and docs/cli.md.

Exit codes: 0 success, 1 an error in the inputs or while running (the message says which file or
movie), 2 wrong command-line usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "VIDEO_SUFFIXES", "AUDIO_SUFFIXES"]

#: File suffixes taken as videos when a folder is given to ``extract`` or ``predict``.
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".flv")
#: File suffixes also taken by ``extract`` when only audio features are extracted.
AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".m4a", ".ogg", ".opus", ".aac")

_DESCRIPTION = """\
Predict the emotional impact of movies -- valence (pleasant/unpleasant) and arousal
(calm/excited), every second -- with the MediaEval 2018 best-MSE method: pretrained image,
audio and face embeddings, a recurrent network with a mixture of experts, Butterworth smoothing.

Start with `sklearn-emotion demo`: it makes a small set of test videos with known emotion curves,
trains and evaluates the model on them and writes a plot, offline, in a few minutes.

Typical workflow on your own movies:
  sklearn-emotion extract movies/ -o features/            # videos -> per-second features (.npz)
  sklearn-emotion fit features/ annotations/ -o model.joblib
  sklearn-emotion predict model.joblib new_movie.mp4 -o predictions/   # CSV + PNG per movie
  sklearn-emotion evaluate predictions/ annotations/       # MediaEval MSE / Pearson table
"""


class CommandError(Exception):
    """An error the user can fix (bad file, missing input); printed without a traceback."""


# ------------------------------------------------------------------------------------ helpers
def _wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


def _echo(*parts: Any) -> None:
    print(*parts, flush=True)


def _progress_enabled(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_progress", False)


def _collect(paths: Sequence[str], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Files named by ``paths`` (folders expanded to their files with ``suffixes``, sorted)."""
    from .files import find_files

    try:
        return find_files(paths, suffixes, what)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error


def _feature_spec_from_args(args: argparse.Namespace) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from .extraction import default_feature_spec, resolve_weights_dir

    folder, origin = resolve_weights_dir(args.weights_dir)
    spec, notes = default_feature_spec(folder)
    notes = [f"Features: {origin}."] + notes
    # --image/--audio name a backbone, --face a detector; "none" switches the modality off
    for modality, key in (("image", "backbone"), ("audio", "backbone"), ("face", "detector")):
        chosen = getattr(args, modality)
        if chosen is None:
            continue
        if chosen == "none":
            spec.pop(modality, None)
        else:
            spec[modality] = {key: chosen}
        notes.append(f"{modality}: --{modality} {chosen}")
    if args.image_output and "image" in spec:
        spec["image"]["output"] = args.image_output
    for modality, option, key in (("image", "image_weights", "weights"), ("audio", "audio_weights", "weights"),
                                  ("audio", "pca_params", "pca_params")):
        value = getattr(args, option, None)
        if value is None:
            continue
        if modality not in spec:
            raise CommandError(f"--{option.replace('_', '-')} is given but the {modality} modality is off.")
        if not Path(value).exists() and not Path(f"{value}.index").exists():  # a checkpoint is a prefix
            raise CommandError(f"--{option.replace('_', '-')}: file not found: {value}")
        spec[modality][key] = os.fspath(Path(value).resolve())
    if args.face_model and "face" in spec and args.face not in (None, "none"):
        spec["face"]["face_model"] = args.face_model
    for modality, options in spec.items():
        for key in ("backbone", "detector", "face_model"):
            value = options.get(key)
            if isinstance(value, str) and Path(value).suffix and Path(value).exists():
                options[key] = os.fspath(Path(value).resolve())
    if not spec:
        raise CommandError("every modality is switched off (--image none --audio none --face none).")
    return spec, notes


def _load_feature_folder_spec(paths: Sequence[str]) -> dict[str, Any] | None:
    """The feature specification recorded by ``extract`` beside the given feature files (if any)."""
    from .feature_folder import read_folder_spec

    specs = [read_folder_spec(entry if entry.is_dir() else entry.parent) for entry in map(Path, paths)]
    specs = [spec for spec in specs if spec is not None]
    if specs and all(spec == specs[0] for spec in specs):
        return specs[0]
    return None


def _load_features(paths: Sequence[str]) -> tuple[list[str], list[dict]]:
    from .files import FEATURE_SUFFIX, find_feature_files, load_features

    try:
        files = find_feature_files(paths)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    files = [f for f in files if f.suffix == FEATURE_SUFFIX] or files
    movies = [load_features(path) for path in files]
    names = [path.stem for path in files]
    first = {k: v.shape[1] for k, v in movies[0].items()}
    for name, movie in zip(names, movies):
        widths = {k: v.shape[1] for k, v in movie.items()}
        if widths != first:
            raise CommandError(f"movie {name} has features {widths} but {names[0]} has {first}.")
    return names, movies


# ------------------------------------------------------------------------------------ demo
def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(
        args.output_dir, weights_dir=args.weights_dir, quick=args.quick, n_jobs=args.n_jobs,
        random_state=args.random_state, progress=_progress_enabled(args), echo=_echo,
    )
    return 0


# ------------------------------------------------------------------------------------ extract
def _inputs_to_extract(args: argparse.Namespace, spec: dict[str, Any]) -> list[Path]:
    """The movie files named on the command line; audio files too when only audio is extracted."""
    audio_only = set(spec) == {"audio"}
    suffixes = VIDEO_SUFFIXES + AUDIO_SUFFIXES if audio_only else VIDEO_SUFFIXES
    try:
        return _collect(args.videos, suffixes, "movie or audio file" if audio_only else "video file")
    except CommandError as error:
        folders = [Path(p) for p in args.videos if Path(p).is_dir()]
        if not audio_only and any(f.suffix.lower() in AUDIO_SUFFIXES for d in folders for f in d.iterdir()):
            raise CommandError(f"{error} It holds audio files: to extract audio features only, add "
                               "--image none --face none.") from None
        raise


def _check_folder_settings(folder: Any, spec: dict[str, Any], overwrite: bool) -> None:
    from .extraction import describe_feature_spec

    previous = folder.spec()
    if previous is not None and previous != spec and not overwrite:
        raise CommandError(
            f"{folder.path} holds features extracted with other settings:\n"
            f"{textwrap.indent(describe_feature_spec(previous), '  ')}\n"
            "Use another output folder, or --overwrite to replace them."
        )


def _cmd_extract(args: argparse.Namespace) -> int:
    from .extraction import feature_union
    from .feature_folder import FeatureFolder
    from .files import FEATURE_SUFFIX
    from .media.cache import content_digest

    spec, notes = _feature_spec_from_args(args)
    videos = _inputs_to_extract(args, spec)
    for note in notes:
        _echo(note)
    folder = FeatureFolder(args.output)
    _check_folder_settings(folder, spec, args.overwrite)
    contents = {video: content_digest(video) for video in videos}  # the skip key: a replaced file is redone
    todo = [v for v in videos if args.overwrite or not folder.is_done(v.stem, contents[v], spec)]
    if len(todo) < len(videos):
        _echo(f"{len(videos) - len(todo)} movie(s) already extracted in {folder.path}, skipped (--overwrite to redo).")
    failures: dict[Path, Exception] = {}
    try:
        if todo:
            union = feature_union(spec, n_jobs=args.n_jobs, cache_dir=args.cache_dir,
                                  progress=_progress_enabled(args), missing_audio=args.missing_audio)
            _echo(f"Extracting {len(todo)} movie(s)...")
            for index, result in union.iter_transform([os.fspath(v) for v in todo], on_error="return"):
                video = todo[index]
                if isinstance(result, Exception):
                    failures[video] = result
                    _echo(f"FAILED {video}: {_one_line(result)}")
                else:  # on disk at once: an interruption or a later failure keeps it
                    folder.save(video.stem, result, source=video, content=contents[video], spec=spec)
    finally:
        manifest = folder.write_manifest(spec)
    done = sum(1 for v in videos if v.stem in manifest["movies"])
    _echo(f"Features of {done} of {len(videos)} movie(s) in {folder.path} (one {FEATURE_SUFFIX} per movie).")
    if failures:
        lines = "\n".join(f"  {video}: {_one_line(error)}" for video, error in failures.items())
        raise CommandError(f"{len(failures)} movie(s) failed; the others are saved, rerun to retry:\n{lines}")
    return 0


def _one_line(error: BaseException) -> str:
    """An exception as one line: its message, and its type when the message does not say much."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, (ValueError, OSError)) else f"{type(error).__name__}: {text}"


# ------------------------------------------------------------------------------------ fit
def _smoother(args: argparse.Namespace) -> Any:
    from .smoothing import ButterworthSmoother, MovingAverageSmoother

    if args.smoother == "butterworth":
        return ButterworthSmoother(cutoff=args.cutoff)
    if args.smoother == "moving-average":
        return MovingAverageSmoother(window=args.smoothing_window)
    return None


def build_estimator(args: argparse.Namespace) -> Any:
    """The estimator ``fit`` trains, from the command-line options."""
    import numpy as np
    from sklearn.linear_model import Ridge, RidgeCV
    from sklearn.pipeline import make_pipeline

    from .gru_moe import GRUMoERegressor
    from .per_second import PerSecondRegressor
    from .preprocessing import MovieStandardScaler
    from .smoothing import SmoothedRegressor
    from .windowing import Windower

    smoother = _smoother(args)
    if args.model == "baseline":
        ridge = RidgeCV(alphas=np.logspace(-2, 4, 13)) if args.alpha is None else Ridge(alpha=args.alpha)
        regressor = PerSecondRegressor(ridge)
        return regressor if smoother is None else SmoothedRegressor(regressor, smoother)
    verbose = 1 if _progress_enabled(args) else 0  # one line per epoch
    # Options left out take the estimator's own defaults, so the CLI trains what Python users get.
    given = {name: getattr(args, option) for option, name in _NETWORK_OPTIONS.items()
             if getattr(args, option) is not None}
    network = GRUMoERegressor(**given, batch_norm=args.batch_norm, random_state=args.random_state, verbose=verbose)
    head = network if smoother is None else SmoothedRegressor(network, smoother)
    # Standardised inputs: embeddings and descriptors come at very different scales.
    return make_pipeline(MovieStandardScaler(), Windower(length=args.window), head)


#: ``fit`` options of the paper model -> ``GRUMoERegressor`` parameters (None: the estimator's default).
_NETWORK_OPTIONS = {
    "rnn": "rnn", "units": "units", "layers": "n_layers", "experts": "n_experts", "dropout": "dropout",
    "learning_rate": "learning_rate", "batch_size": "batch_size", "epochs": "epochs", "patience": "patience",
}


def _networks(estimator: Any) -> list:
    """The ``GRUMoERegressor`` instances inside a (fitted) estimator."""
    from .gru_moe import GRUMoERegressor

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


def _cmd_fit(args: argparse.Namespace) -> int:
    from .files import align_lengths, read_annotations
    from .persistence import SavedModel, save_model

    names, movies = _load_features(args.features)
    try:
        targets = [read_annotations(args.annotations, name) for name in names]
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    movies, targets = align_lengths(names, movies, targets)
    modalities = {k: int(v.shape[1]) for k, v in movies[0].items()}
    estimator = build_estimator(args)
    _echo(f"Training the {args.model} model on {len(movies)} movie(s), {sum(len(t) for t in targets)} s, "
          f"features {modalities}...")
    estimator.fit(movies, targets)
    for network in _networks(estimator):
        if hasattr(network, "stopping_summary_"):
            _echo(f"Training {network.stopping_summary_}.")
    _quiet_network(estimator)
    spec = _load_feature_folder_spec(args.features)
    info = {"model": args.model, "options": {k: v for k, v in vars(args).items() if k != "func"},
            "movies": names, "seconds": int(sum(len(t) for t in targets))}
    save_model(args.output, SavedModel(estimator, modalities, spec, info))
    _echo(f"Saved the model to {args.output}" + ("" if spec else " (no features.json beside the features: "
                                                 "it can predict feature files, not videos)") + ".")
    return 0


# ------------------------------------------------------------------------------------ predict
def _cmd_predict(args: argparse.Namespace) -> int:
    from .extraction import extract_features
    from .files import FEATURE_SUFFIX, load_features, write_curves
    from .persistence import load_model
    from .plotting import plot_curves

    model = load_model(args.model)
    inputs = _collect(args.inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    movies: dict[str, dict] = {p.stem: load_features(p) for p in inputs if p.suffix == FEATURE_SUFFIX}
    if videos:
        if model.feature_spec is None:
            raise CommandError(
                f"{args.model} does not record how its features were extracted, so it cannot read videos; "
                "extract them with `sklearn-emotion extract` using the same options and pass the .npz files."
            )
        _echo(f"Extracting features of {len(videos)} video(s)...")
        extracted = extract_features(videos, model.feature_spec, n_jobs=args.n_jobs, progress=_progress_enabled(args))
        movies.update({p.stem: m for p, m in zip(videos, extracted)})
    names = [p.stem for p in inputs]
    for name in names:
        widths = {k: int(v.shape[1]) for k, v in movies[name].items()}
        if widths != model.modalities:
            raise CommandError(
                f"movie {name} has features {widths} but the model was trained on {model.modalities}."
            )
    output = Path(args.output)
    from tqdm.auto import tqdm

    for name in tqdm(names, desc="predicting", unit="movie", disable=not _progress_enabled(args)):
        curves = model.estimator.predict([movies[name]])[0]
        write_curves(output / f"{name}.csv", curves)
        if not args.no_plot:
            plot_curves(output / f"{name}.png", {"predicted": curves}, title=f"{name}: predicted emotion")
    _echo(f"Wrote per-second valence and arousal of {len(names)} movie(s) to {output}"
          + ("" if args.no_plot else " (CSV and PNG per movie)") + ".")
    return 0


# ------------------------------------------------------------------------------------ evaluate
def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .files import atomic_write_bytes, read_annotations, read_curves, truncate_to_shortest
    from .metrics import mediaeval_scores
    from .reporting import PAPER_TABLE_1, mediaeval_table

    rows = {}
    for folder in args.predictions:
        files = _collect([folder], (".csv", ".tsv", ".txt"), "prediction file")
        names = [p.stem for p in files]
        try:
            predicted = [read_curves(p) for p in files]
            truth = [read_annotations(args.annotations, name) for name in names]
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        for name, p, t in zip(names, predicted, truth):
            if abs(len(p) - len(t)) > args.max_length_difference:
                raise CommandError(
                    f"movie {name}: {len(p)} predicted seconds but {len(t)} annotated ones "
                    f"(more than --max-length-difference {args.max_length_difference})."
                )
        cut = [truncate_to_shortest({"annotations": t, "predictions": p})[0] for p, t in zip(predicted, truth)]
        pairs = [(c["annotations"], c["predictions"]) for c in cut]
        label = Path(folder).name or os.fspath(folder)
        rows[label] = mediaeval_scores([t for t, _ in pairs], [p for _, p in pairs], average=args.average)
        _echo(f"{label}: {len(files)} movie(s), {sum(len(t) for t, _ in pairs)} seconds")
    table = mediaeval_table(rows, PAPER_TABLE_1 if args.paper else None)
    _echo(table)
    if args.output:
        atomic_write_bytes(args.output, lambda out: out.write((table + "\n").encode()))
        _echo(f"Table written to {args.output}.")
    return 0


# ------------------------------------------------------------------------------------ parser
def _add_feature_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("features (default: the models of the weights folder, else weight-free)")
    group.add_argument("--weights-dir", metavar="DIR",
                       help="folder of small pretrained models (default: $SKLEARN_EMOTION_WEIGHTS, "
                            "or ../shared/weights if it exists); without one, weight-free features are used")
    group.add_argument("--image", metavar="BACKBONE",
                       help="image network: a keras.applications name (e.g. InceptionV3, needs its weights), a "
                            ".tflite or Keras model file, 'colour-layout' (weight-free) or 'none'")
    group.add_argument("--image-output", metavar="TENSOR", help="intermediate tensor/layer of the image network to read")
    group.add_argument("--audio", metavar="BACKBONE",
                       help="audio network: vggish, yamnet, a YAMNet-like .tflite file, "
                            "'descriptors' (weight-free) or 'none'")
    group.add_argument("--face", metavar="DETECTOR",
                       help="MediaPipe face detector .tflite (or blaze_face_short_range), or 'none'")
    group.add_argument("--face-model", metavar="MODEL", help="network embedding the face crops (see docs/media.md)")
    group.add_argument("--image-weights", metavar="FILE",
                       help="local weights file of a named --image network (e.g. the InceptionV3 'notop' .h5), "
                            "instead of downloading the ImageNet weights")
    group.add_argument("--audio-weights", metavar="FILE",
                       help="local VGGish weights (vggish_model.ckpt prefix or a Keras .weights.h5), "
                            "instead of downloading them")
    group.add_argument("--pca-params", metavar="FILE",
                       help="local VGGish PCA parameters (vggish_pca_params.npz), instead of downloading them")


def _command(sub: Any, formatter: Any, name: str, func: Any, *, help: str, description: str,
             epilog: str | None = None, progress: bool = True) -> argparse.ArgumentParser:
    """A sub-command's parser, run by ``func``; long-running commands get ``--no-progress``."""
    parser = sub.add_parser(name, formatter_class=formatter, help=help, description=description, epilog=epilog)
    parser.set_defaults(func=func)
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    return parser


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Generate a small corpus of real video files whose pictures and sounds follow known valence and
    arousal curves, extract features (real pretrained models from the weights folder, else weight-free
    ones -- it says which), cross-validate the paper's model against a per-second baseline split by
    movie, print the MediaEval table and plot one held-out movie.
    """
    parser.add_argument("--output-dir", default="sklearn-emotion-demo", metavar="DIR",
                      help="where the videos, features, predictions, table and plot go (default: %(default)s); "
                           "a second run reuses the videos and features found there")
    parser.add_argument("--weights-dir", metavar="DIR", help="folder of small pretrained models (see `extract --help`)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter movies (about 2 minutes; its scores mean little)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help="movies embedded in parallel")
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED", help="seed of everything (default 0)")


def _extract_arguments(parser: argparse.ArgumentParser) -> None:
    """Decode each video once at one frame (and one second of sound) per second and embed it with
    every modality at once. Writes DIR/<movie>.npz (one array per modality, one row per second) as
    soon as each movie is done, and DIR/features.json (the settings, used by `fit` so that `predict`
    can take videos). A movie already extracted with the same settings from the same file content is
    skipped, so an interrupted run resumes where it stopped, and a replaced video is extracted again.
    A movie that fails (corrupt file, no audio track, tracks of different lengths) fails alone: the
    others are saved, a summary names each failed file, and the exit status is 1. With --image none
    --face none, audio files (.mp3, .wav, .flac, .m4a, ...) are taken too.
    """
    parser.add_argument("videos", nargs="+", metavar="VIDEO",
                        help="video files or folders of videos (audio files too when only audio is extracted)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the feature files")
    _add_feature_options(parser)
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help="movies processed in parallel")
    parser.add_argument("--cache-dir", metavar="DIR", help="embedder cache (reused across folders and runs)")
    parser.add_argument("--overwrite", action="store_true", help="re-extract movies that already have features")
    parser.add_argument("--missing-audio", choices=("error", "silence"), default="error",
                        help="a movie without audio track fails (error, the default) or gets the features of "
                             "silence, with a warning naming it (silence)")


def _fit_arguments(parser: argparse.ArgumentParser) -> None:
    """Train a model on feature files and their per-second annotations and save it. Annotations of movie
    <name> (from <name>.npz) are read from ANNOTATIONS/<name>_Valence-Arousal.txt (MediaEval),
    <name>.csv/.tsv/.txt (header Time Valence Arousal) or <name>_Valence.txt + <name>_Arousal.txt
    (LIRIS-ACCEDE). Features and annotations of different lengths are truncated to the shorter, with a
    warning.
    """
    parser.add_argument("features", nargs="+", metavar="FEATURES", help="feature files (.npz) or folders of them")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write (e.g. model.joblib)")
    parser.add_argument("--model", choices=("paper", "baseline"), default="paper",
                     help="paper: windows -> GRU + mixture of experts; baseline: per-second Ridge (default %(default)s)")
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
    base = parser.add_argument_group("baseline model")
    base.add_argument("--alpha", type=float, default=None,
                      help="Ridge penalty (default: chosen in 1e-2 ... 1e4 by leave-one-out on the training seconds)")
    smooth = parser.add_argument_group("smoothing of the predicted curves")
    smooth.add_argument("--smoother", choices=("butterworth", "moving-average", "none"), default="butterworth",
                        help="default %(default)s (the paper's)")
    smooth.add_argument("--cutoff", type=float, default=0.02, help="Butterworth cutoff in Hz (default %(default)s)")
    smooth.add_argument("--smoothing-window", type=int, default=31, metavar="S",
                        help="moving-average window in seconds (default %(default)s)")


def _predict_arguments(parser: argparse.ArgumentParser) -> None:
    """Predict valence and arousal every second. Writes DIR/<movie>.csv (Time,Valence,Arousal) and
    DIR/<movie>.png (both curves over time). Videos need a model trained on features from `extract` (it
    re-extracts them with the same settings).
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit`")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="videos, .npz feature files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the CSV and PNG files")
    parser.add_argument("--no-plot", action="store_true", help="write only the CSV files")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help="videos processed in parallel")


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    """Score per-second predictions (CSV files from `predict`, one per movie) against annotations with the
    MediaEval 2018 metrics: MSE and Pearson correlation of valence and arousal, computed per movie and
    averaged over movies. Each PREDICTIONS folder is one row.
    """
    parser.add_argument("predictions", nargs="+", metavar="PREDICTIONS", help="folder(s) of prediction files")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    parser.add_argument("--average", choices=("movie", "pooled"), default="movie",
                          help="movie: per movie then averaged (MediaEval, default); pooled: over all seconds")
    parser.add_argument("--paper", action="store_true",
                          help="show the paper's Table 1 numbers beside rows named 'Run 1' ... 'Run 5'")
    parser.add_argument("--max-length-difference", type=int, default=2, metavar="S",
                          help="accepted difference in seconds between predictions and annotations (default %(default)s)")
    parser.add_argument("-o", "--output", metavar="FILE", help="also write the table (Markdown) to FILE")


#: Sub-commands: name, what runs it, its options (whose docstring is the description), help texts.
_COMMANDS = [
    ("demo", _cmd_demo, _demo_arguments, dict(help="run the whole method offline on generated test videos")),
    ("extract", _cmd_extract, _extract_arguments, dict(
        help="videos -> per-second features (one .npz per movie)",
        epilog="example:\n  sklearn-emotion extract movies/ -o features/ --weights-dir ../shared/weights --n-jobs 2")),
    ("fit", _cmd_fit, _fit_arguments, dict(
        help="features + annotations -> a saved model",
        epilog="examples:\n  sklearn-emotion fit features/ annotations/ -o model.joblib\n"
               "  sklearn-emotion fit features/ annotations/ -o baseline.joblib --model baseline")),
    ("predict", _cmd_predict, _predict_arguments, dict(
        help="a model + videos or features -> per-second CSV and PNG plot",
        epilog="example:\n  sklearn-emotion predict model.joblib film.mp4 -o predictions/")),
    ("evaluate", _cmd_evaluate, _evaluate_arguments, dict(
        help="predictions vs annotations -> the MediaEval table", progress=False,
        epilog="example:\n  sklearn-emotion evaluate predictions/ baseline-predictions/ annotations/ --paper")),
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-emotion``: one sub-command per entry of ``_COMMANDS``."""
    from . import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="sklearn-emotion", description=_DESCRIPTION, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"sklearn-emotion {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, func, add_arguments, texts in _COMMANDS:
        description = _wrap(" ".join(add_arguments.__doc__.split()))
        add_arguments(_command(sub, formatter, name, func, description=description, **texts))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"sklearn-emotion {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError, TypeError, ImportError, OSError) as exc:
        print(f"sklearn-emotion {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # e.g. a pretrained model that cannot be downloaded (BackboneUnavailableError)
        from .media import BackboneUnavailableError

        hint = ""
        if isinstance(exc, BackboneUnavailableError) and args.command in ("extract", "demo"):
            hint = (" On the command line, pass local files with --image-weights, --audio-weights and "
                    "--pca-params, or a folder of small models with --weights-dir.")
        print(f"sklearn-emotion {args.command}: error: {exc}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"sklearn-emotion {args.command}: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
