"""``sklearn-emotion cross-validate``: features + annotations -> held-out MediaEval scores, split by movie
(:func:`~sklearn_emotion.workflows.cross_validate.cross_validate_corpus`)."""

from __future__ import annotations

import argparse
import inspect

from ._common import echo, progress_enabled
from ._model_options import add_corpus_arguments, add_model_arguments, model_options, target_range


def run(args: argparse.Namespace) -> int:
    from ..workflows.cross_validate import cross_validate_corpus, read_groups

    cross_validate_corpus(
        args.features, args.annotations, model=args.model,
        model_options=model_options(args, verbose=1 if progress_enabled(args) else 0),
        n_splits=args.folds, groups=read_groups(args.groups) if args.groups else None,
        random_state=args.random_state, target_range=target_range(args),
        max_length_difference=args.max_length_difference, output_dir=args.output, echo=echo)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Measure a model on your own corpus, on movies it was not trained on: the movies of FEATURES (with
    their annotations in ANNOTATIONS, as `fit` reads them) are split into --folds folds, and each fold
    is predicted by the model trained on the others, so every movie is predicted exactly once, held
    out. Movies cut from one source share a fold: a name ending in _crop<N>, -part<N>, _clip<N>, _cut<N>,
    _seg<N>, _segment<N>, _scene<N>, _shot<N>, _chunk<N> or _excerpt<N> (any case; _ - . or a space
    before the word) belongs to the source named by the rest (film_crop1 and film_crop2: film), or
    --groups FILE gives every movie's group. Prints the MediaEval table (MSE and Pearson r of valence
    and arousal, per movie then averaged over movies) and each movie's scores; with -o DIR, writes
    DIR/<model>/<movie>.csv (the held-out prediction), DIR/<model>/<movie>.png (beside the annotation)
    and DIR/table.md. The model options are those of `fit`, with the same defaults.
    """
    from ..workflows.cross_validate import cross_validate_corpus

    add_corpus_arguments(parser)
    parser.add_argument("--folds", type=int, metavar="K", default=inspect.signature(
                            cross_validate_corpus).parameters["n_splits"].default,
                        help="number of folds (default %(default)s; at most the number of sources)")
    parser.add_argument("--groups", metavar="FILE",
                        help="text file of 'movie group' lines (comma, tab or spaces between): movies of one "
                             "group share a fold (default: from the names, see above)")
    parser.add_argument("-o", "--output", metavar="DIR", help="write the held-out predictions, plots and tables here")
    add_model_arguments(parser)
