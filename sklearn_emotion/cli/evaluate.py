"""``sklearn-emotion evaluate``: predictions vs annotations -> the MediaEval table."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ._common import CommandError, collect, echo


def run(args: argparse.Namespace) -> int:
    from ..files import (
        atomic_write_bytes,
        read_annotations,
        read_curves,
        truncate_to_shortest,
    )
    from ..metrics import mediaeval_scores
    from ..reporting import PAPER_TABLE_1, mediaeval_table

    rows = {}
    for folder in args.predictions:
        files = collect([folder], (".csv", ".tsv", ".txt"), "prediction file")
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
        echo(f"{label}: {len(files)} movie(s), {sum(len(t) for t, _ in pairs)} seconds")
    table = mediaeval_table(rows, PAPER_TABLE_1 if args.paper else None)
    echo(table)
    if args.output:
        atomic_write_bytes(args.output, lambda out: out.write((table + "\n").encode()))
        echo(f"Table written to {args.output}.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
