"""``sklearn-emotion predict``: a model + videos or features -> per-second curves and plots."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    VIDEO_SUFFIXES,
    check_widths,
    collect,
    echo,
    load_model_arg,
    progress_enabled,
    video_features,
)


def run(args: argparse.Namespace) -> int:
    from ..files import FEATURE_SUFFIX, load_features, write_curves
    from ..plotting import plot_curves
    from ..prediction_info import write_prediction_info
    from ..scoring import predicts_std

    model = load_model_arg(args)
    inputs = collect(args.inputs, (FEATURE_SUFFIX,) + VIDEO_SUFFIXES, "feature or video file")
    videos = [p for p in inputs if p.suffix != FEATURE_SUFFIX]
    movies: dict[str, dict] = {p.stem: load_features(p) for p in inputs if p.suffix == FEATURE_SUFFIX}
    for name, movie in movies.items():
        check_widths(model, name, movie)
    if videos:
        movies.update({p.stem: m for p, m in zip(videos, video_features(model, videos, args))})
    names = [p.stem for p in inputs]
    output = Path(args.output)
    from tqdm.auto import tqdm

    with_std = predicts_std(model.estimator)  # a model trained on annotations with the viewers' std
    for name in tqdm(names, desc="predicting", unit="movie", disable=not progress_enabled(args)):
        if with_std:
            mean, std = model.estimator.predict([movies[name]], return_std=True)
            curves, spread = mean[0], std[0]
        else:
            curves, spread = model.estimator.predict([movies[name]])[0], None
        write_curves(output / f"{name}.csv", curves, std=spread)
        if not args.no_plot:
            plot_curves(output / f"{name}.png", {"predicted": curves},
                        bands=None if spread is None else {"predicted": spread},
                        title=f"{name}: predicted emotion" + ("" if spread is None else " ± viewers' std"))
    kind = model.info.get("model")  # "paper" or "baseline" for models written by `fit`
    name = Path(args.model).name + (f" ({kind})" if isinstance(kind, str) and kind else "")
    write_prediction_info(output, name, args.model)  # read by `evaluate` to name these predictions
    spread_note = " and the viewers' standard deviation" if with_std else ""
    echo(f"Wrote per-second valence and arousal{spread_note} of {len(names)} movie(s) to {output}"
          + ("" if args.no_plot else " (CSV and PNG per movie)") + ".")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Predict valence and arousal every second. Writes DIR/<movie>.csv (Time,Valence,Arousal) and
    DIR/<movie>.png (both curves over time). A model trained on annotations with the viewers' standard
    deviation also predicts it: the CSV gets the columns Valence_std,Arousal_std and the plot a band of
    ± one std around each curve. Videos need a model trained on features from `extract` (it
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
