"""Shared by the paper-reproduction examples: loading MediaEval 2018, scaling features, the paper's model.

Not an example by itself; ``reproduce_table1.py`` and ``ablations.py`` import it (Python puts the
script's folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_emotion.datasets import AnnotationLengthWarning, load_mediaeval2018
from sklearn_emotion.gru_moe import GRUMoERegressor
from sklearn_emotion.meta import SmoothedRegressor
from sklearn_emotion.smoothing import ButterworthSmoother
from sklearn_emotion.windowing import Windower


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


class MovieStandardizer:
    """Standardise each modality with the mean and deviation of the training seconds.

    The organisers' descriptors (and openSMILE functionals) have very different scales; recurrent
    networks train poorly on unscaled inputs.  Statistics come from the training movies only.
    """

    def fit(self, movies: list[dict[str, np.ndarray]]) -> "MovieStandardizer":
        self.stats_ = {}
        for name in movies[0]:
            stacked = np.concatenate([movie[name] for movie in movies])
            scale = stacked.std(axis=0)
            self.stats_[name] = (stacked.mean(axis=0), np.where(scale > 0, scale, 1.0))
        return self

    def transform(self, movies: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        return [
            {name: ((array - self.stats_[name][0]) / self.stats_[name][1]).astype(np.float32)
             for name, array in movie.items()}
            for movie in movies
        ]


def paper_model(args: argparse.Namespace, *, window: int = 60, rnn: str = "gru", dropout: float = 0.0,
                batch_norm: bool = False, epochs: int | None = None, seed: int | None = None, smoother=None):
    """``Windower -> SmoothedRegressor(GRUMoERegressor, smoother)`` with the paper's settings."""
    network = GRUMoERegressor(
        rnn=rnn, units=args.units, dropout=dropout, batch_norm=batch_norm, batch_size=args.batch_size,
        block_size=min(64, args.batch_size), epochs=epochs or args.epochs,
        random_state=args.seed if seed is None else seed,
    )
    smoother = smoother if smoother is not None else ButterworthSmoother(cutoff=args.cutoff)
    return make_pipeline(Windower(length=window), SmoothedRegressor(network, smoother))


def unsmoothed_predictions(model, movies):
    """Predictions of a fitted :func:`paper_model` before its smoothing step."""
    return model[-1].regressor_.predict(model[:-1].transform(movies))
