"""Shared by the paper-reproduction examples: loading MediaEval 2018, scaling features, the paper's model.

Not an example by itself; ``reproduce_table1.py`` and ``ablations.py`` import it (Python puts the
script's folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
import warnings

from sklearn_emotion import ButterworthSmoother, make_paper_pipeline
from sklearn_emotion.datasets import AnnotationLengthWarning, load_mediaeval2018


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Command-line options naming the data and the size of the networks."""
    parser.add_argument("root", help="folder of the MediaEval 2018 release (annotations and features)")
    parser.add_argument("--layout", choices=("official", "csv"), default="official",
                        help="official per-second files, or root/<modality>/MEDIAEVAL18_XX.csv (default %(default)s)")
    parser.add_argument("--features", nargs="+", default=["visual", "audio"],
                        help="modalities to load (official layout: visual, audio; default %(default)s)")
    parser.add_argument("--visual-descriptors", nargs="+", default=None,
                        help="official visual descriptors to stack (default: all eleven)")
    parser.add_argument("--missing", choices=("error", "nan", "ffill"), default="ffill",
                        help="seconds without a feature file (default %(default)s)")
    parser.add_argument("--cache-dir", default=None, help="cache of the parsed feature files")
    parser.add_argument("--units", type=int, default=128, help="recurrent units per modality (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=512, help="windows per step (paper: 512)")
    parser.add_argument("--cutoff", type=float, default=0.02, help="Butterworth cutoff, Hz (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every run (default %(default)s)")


def load(args: argparse.Namespace, subset: str):
    """The movies of ``subset`` (``X`` modality mappings, ``y`` per-second curves, ``ids``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnnotationLengthWarning)  # truncation is the loader's documented rule
        return load_mediaeval2018(
            args.root, subset=subset, features=args.features, visual_descriptors=args.visual_descriptors,
            layout=args.layout, missing=args.missing, cache_dir=args.cache_dir,
        )


def paper_model(args: argparse.Namespace, *, window: int = 60, rnn: str = "gru", dropout: float = 0.0,
                batch_norm: bool = False, epochs: int | None = None, seed: int | None = None, smoother=None):
    """:func:`sklearn_emotion.make_paper_pipeline` with the options of the command line.

    ``MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor, smoother)``: the organisers'
    descriptors have very different scales, so every modality is standardised with the statistics of
    the training seconds before the network.
    """
    return make_paper_pipeline(
        window_length=window,
        smoother=smoother if smoother is not None else ButterworthSmoother(cutoff=args.cutoff),
        rnn=rnn, units=args.units, dropout=dropout, batch_norm=batch_norm, batch_size=args.batch_size,
        block_size=min(64, args.batch_size), epochs=epochs or args.epochs,
        random_state=args.seed if seed is None else seed,
    )


def unsmoothed_predictions(model, movies):
    """Predictions of a fitted :func:`paper_model` before its smoothing step."""
    return model[-1].regressor_.predict(model[:-1].transform(movies))
