"""``sklearn-emotion fit``: features + annotations -> a saved model (:func:`~sklearn_emotion.workflows.fit.fit_model_file`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import echo, progress_enabled, warn
from ._model_options import add_corpus_arguments, add_model_arguments, model_options, target_range


def run(args: argparse.Namespace) -> int:
    from ..persistence import PICKLE_SUFFIXES
    from ..workflows.fit import fit_model_file

    output = fit_model_file(
        args.features, args.annotations, args.output, model=args.model,
        model_options=model_options(args, verbose=1 if progress_enabled(args) else 0),  # one line per epoch
        overwrite=args.overwrite, max_length_difference=args.max_length_difference,
        target_range=target_range(args), ignore_std=args.ignore_std,
        info={"options": {k: v for k, v in vars(args).items() if k != "command_module"}},
        echo=echo, warn=lambda message: warn("fit", message))
    if Path(output).suffix.lower() in PICKLE_SUFFIXES:
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
    files), the paper model and the TCN learn it too and `predict` writes it (unless --ignore-std).
    Everything is checked before training starts: the model file can be written (and is not overwritten
    without --overwrite), every movie has annotations within --target-range, and each feature file agrees
    with the features.json and records of its folder, when present (a file they do not vouch for gives a
    warning, and a model that predicts feature files only). A model that cannot be written at the end is
    saved in the system's temporary folder, named in the error. The model file is written in the skops
    format whatever its name: it holds data only, is safe to share, and `predict` loads it without running
    code from it; pickle-based model files of sklearn-emotion 0.1 load only with `predict --trust-model`.
    Options left out take the estimators' own defaults, stated in each option's help.
    """
    add_corpus_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write, e.g. model.skops (data only, safe to share)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model file")
    parser.add_argument("--ignore-std", action="store_true",
                        help="do not learn the viewers' standard deviation even when the annotations give it "
                             "(columns Valence_std Arousal_std, or LIRIS-ACCEDE's Std); the baseline never does")
    add_model_arguments(parser)
