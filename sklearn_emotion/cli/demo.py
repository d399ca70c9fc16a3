"""``sklearn-emotion demo``: the whole method offline on generated test videos."""

from __future__ import annotations

import argparse

from ._common import echo, progress_enabled
from ._options import add_n_jobs_option, add_weights_dir_option


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    run_demo(
        args.output_dir, weights_dir=args.weights_dir, quick=args.quick, n_jobs=args.n_jobs,
        random_state=args.random_state, progress=progress_enabled(args), echo=echo,
    )
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Generate a small corpus of real video files whose pictures and sounds follow known valence and
    arousal curves, extract features (real pretrained models from the weights folder, else weight-free
    ones -- it says which), cross-validate the paper's model against a per-second baseline split by
    movie, print the MediaEval table and plot one held-out movie.
    """
    parser.add_argument("--output-dir", default="sklearn-emotion-demo", metavar="DIR",
                      help="where the videos, features, predictions, table and plot go (default: %(default)s); "
                           "a second run reuses the videos and features found there")
    add_weights_dir_option(parser, help="folder of small pretrained models (see `extract --help`)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter movies (about 2 minutes; its scores mean little)")
    add_n_jobs_option(parser, "movies embedded in parallel")
    parser.add_argument("--random-state", type=int, default=0, metavar="SEED", help="seed of everything (default 0)")
