"""``sklearn-emotion predict``: a model + videos or features -> per-second curves and plots."""

from __future__ import annotations

import argparse

from ._common import echo, progress_enabled
from ._options import add_model_video_options


def run(args: argparse.Namespace) -> int:
    from ..workflows.predict import predict_to_folder

    predict_to_folder(args.model, args.inputs, args.output, trust_pickle=args.trust_model, overwrite=args.overwrite,
                      plot=not args.no_plot, weights_dir=args.weights_dir, n_jobs=args.n_jobs,
                      missing_audio=args.missing_audio, explain=args.explain, progress=progress_enabled(args),
                      echo=echo)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Predict valence and arousal every second. Writes DIR/<movie>.csv (Time,Valence,Arousal) and
    DIR/<movie>.png (both curves over time) as soon as each movie is done, and DIR/predictions.json
    (the model, its SHA-256, each movie's input and whether the model was trained on it; read by
    `evaluate`). A model trained on annotations with the viewers' standard deviation also predicts
    it: the CSV gets the columns Valence_std,Arousal_std and the plot a band of ± one std around each
    curve. A movie that fails (unreadable, other features than the model's, a video without sound
    track, NaN or infinite predictions) fails alone: the others are written, a summary names each
    failed file, and the exit status is 1. DIR belongs to one model: a folder holding another
    model's predictions is refused unless --overwrite; the same model may add movies to it. Videos
    need a model trained on features from `extract` (it re-extracts them with the same settings,
    finding the same pretrained model files by name and SHA-256 in the weights folder or the model
    cache). Model files written by `fit` (.skops) hold data only and are safe to share: loading one
    runs no code from it, and only scikit-learn's and sklearn-emotion's estimator types are accepted.
    Pickle-based model files (.joblib of sklearn-emotion 0.1) can run any code when loaded: they are
    refused unless you pass --trust-model. With --explain, also DIR/contributions/<movie>_contributions.csv
    and .png: what each modality (image, audio, face) contributes to every second (exact Shapley values).
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit` (.skops)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="videos, .npz feature files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the CSV and PNG files")
    parser.add_argument("--no-plot", action="store_true", help="write only the CSV files")
    parser.add_argument("--explain", action="store_true",
                        help="also write what each modality contributes every second: the exact Shapley values of "
                             "the modalities (a row's contributions sum to the prediction minus the prediction with "
                             "every modality replaced by its mean training features), in DIR/contributions/<movie>"
                             "_contributions.csv (Time, <modality>_Valence, <modality>_Arousal..., baseline_Valence, "
                             "baseline_Arousal) and .png. Costs 2^M predictions per movie for M modalities "
                             "(8 for image, audio and face) instead of 1, 2^M + 1 for a model that predicts the "
                             "viewers' std")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the predictions of another model in DIR (its CSV and PNG files are removed)")
    add_model_video_options(parser)
