"""``sklearn-emotion predict``: a model + videos or features -> per-second curves and plots."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import VIDEO_SUFFIXES, CommandError, collect, echo, progress_enabled


def run(args: argparse.Namespace) -> int:
    from ..extraction import extract_features
    from ..files import FEATURE_SUFFIX, load_features, write_curves
    from ..model_files import resolve_feature_spec
    from ..persistence import load_model
    from ..plotting import plot_curves
    from ..prediction_info import write_prediction_info

    try:
        model = load_model(args.model, trust_pickle=args.trust_model)
    except (FileNotFoundError, ValueError) as exc:
        raise CommandError(" ".join(str(exc).split())) from None
    inputs = collect(args.inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    movies: dict[str, dict] = {p.stem: load_features(p) for p in inputs if p.suffix == FEATURE_SUFFIX}
    if videos:
        if model.feature_spec is None:
            raise CommandError(
                f"{args.model} does not record how its features were extracted, so it cannot read videos; "
                "extract them with `sklearn-emotion extract` using the same options and pass the .npz files."
            )
        try:
            spec = resolve_feature_spec(model.feature_spec, args.weights_dir, source=args.model)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(" ".join(str(exc).split())) from None
        echo(f"Extracting features of {len(videos)} video(s)...")
        extracted = extract_features(videos, spec, n_jobs=args.n_jobs, progress=progress_enabled(args))
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

    for name in tqdm(names, desc="predicting", unit="movie", disable=not progress_enabled(args)):
        curves = model.estimator.predict([movies[name]])[0]
        write_curves(output / f"{name}.csv", curves)
        if not args.no_plot:
            plot_curves(output / f"{name}.png", {"predicted": curves}, title=f"{name}: predicted emotion")
    kind = model.info.get("model")  # "paper" or "baseline" for models written by `fit`
    name = Path(args.model).name + (f" ({kind})" if isinstance(kind, str) and kind else "")
    write_prediction_info(output, name, args.model)  # read by `evaluate` to name these predictions
    echo(f"Wrote per-second valence and arousal of {len(names)} movie(s) to {output}"
          + ("" if args.no_plot else " (CSV and PNG per movie)") + ".")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Predict valence and arousal every second. Writes DIR/<movie>.csv (Time,Valence,Arousal) and
    DIR/<movie>.png (both curves over time). Videos need a model trained on features from `extract` (it
    re-extracts them with the same settings, finding the same pretrained model files by name and
    SHA-256 in the weights folder or the model cache). Model files written by `fit` (.skops) hold data
    only and are safe to share: loading one runs no code from it, and only scikit-learn's and
    sklearn-emotion's estimator types are accepted. Pickle-based model files (.joblib of
    sklearn-emotion 0.1) can run any code when loaded: they are refused unless you pass --trust-model.
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit` (.skops)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="videos, .npz feature files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the CSV and PNG files")
    parser.add_argument("--no-plot", action="store_true", help="write only the CSV files")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help="videos processed in parallel")
    parser.add_argument("--weights-dir", metavar="DIR",
                        help="folder holding the pretrained model files the model's features need (default: "
                             "$SKLEARN_EMOTION_WEIGHTS, or ../shared/weights if it exists; then the model cache)")
    parser.add_argument("--trust-model", action="store_true",
                        help="load a pickle-based model file (.joblib of sklearn-emotion 0.1): it can run any "
                             "code, so only for files from a source you trust")
