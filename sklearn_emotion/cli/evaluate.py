"""``sklearn-emotion evaluate``: predictions vs annotations -> the MediaEval table, per-movie rows, plots
(:func:`~sklearn_emotion.workflows.evaluate.evaluate_folders`)."""

from __future__ import annotations

import argparse

from ._common import echo, warn
from ._options import add_max_length_difference_option


def run(args: argparse.Namespace) -> int:
    from ..workflows.evaluate import evaluate_folders

    evaluate_folders(args.predictions, args.annotations, average=args.average, paper=args.paper,
                     max_length_difference=args.max_length_difference, per_movie=args.per_movie,
                     plots_dir=args.plots, output=args.output, held_out_only=args.held_out_only,
                     echo=echo, warn=lambda message: warn("evaluate", message))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Score per-second predictions (CSV files from `predict`, one per movie) against annotations with the
    MediaEval 2018 metrics: MSE and Pearson correlation of valence and arousal, computed per movie and
    averaged over movies. Each PREDICTIONS folder is one row. Movies without annotations, or whose
    annotations are all NaN, are skipped with a warning; annotations and predictions must both be on
    the [-1, 1] scale. Movies the model was trained on (by the SHA-256 of their input, which `predict`
    records in predictions.json) are named in a warning, or refused with --held-out-only. When the rows
    are scored on different movies, every row is scored on the movies they have in common (a note says
    so), or, with none in common, a note says the numbers are not comparable. To measure a model on
    movies it was not trained on without predicting them yourself, see `cross-validate`.
    """
    parser.add_argument("predictions", nargs="+", metavar="PREDICTIONS", help="folder(s) of prediction files")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    parser.add_argument("--average", choices=("movie", "pooled"), default="movie",
                        help="movie: per movie then averaged (MediaEval, default); pooled: over all seconds")
    parser.add_argument("--paper", action="store_true",
                        help="show the paper's Table 1 numbers beside rows named 'Run 1' ... 'Run 5'")
    add_max_length_difference_option(parser, "predictions and annotations")
    parser.add_argument("--per-movie", action="store_true",
                        help="also print a table per PREDICTIONS folder with a row per movie")
    parser.add_argument("--plots", metavar="DIR",
                        help="write DIR/<row>/<movie>.png: predicted and annotated valence and arousal of each "
                             "movie, with the model's name and the movie's MSE and Pearson r in the title")
    parser.add_argument("-o", "--output", metavar="FILE", help="also write the table(s) (Markdown) to FILE")
    parser.add_argument("--held-out-only", action="store_true",
                        help="refuse to score movies the model was trained on (or that predictions.json cannot "
                             "tell apart from them) instead of warning")
