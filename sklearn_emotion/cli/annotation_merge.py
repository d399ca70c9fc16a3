"""``sklearn-emotion annotations merge``: raters' ratings -> mean and std annotations + their agreement
(:func:`~sklearn_emotion.workflows.annotations.merge_annotation_folder`).  The module is not named
``annotations``: ``from __future__ import annotations`` would shadow it."""

from __future__ import annotations

import argparse

from ._common import echo, wrap

_MERGE = """Merge the raters of every movie of DIR (DIR/<rater>/<movie>.csv, header Time,Valence,Arousal,
nan for an unrated second, as `annotate` writes them) into ANNOTATIONS/<movie>.csv with the columns
Time,Valence,Arousal,Valence_std,Arousal_std: per second, the mean of the raters who rated it and their
standard deviation (ddof=1; nan where fewer than 2 rated), which `fit` learns as the viewers'
disagreement. Every movie needs at least 2 raters. Optionally each rater is normalised first (--normalize)
and shifted earlier by its reaction lag (--max-lag: pairwise lags by maximal cross-correlation within
+-S seconds, combined by least squares, relative to the earliest rater, positive = later). The agreement
of the raters per movie and dimension is printed and written to ANNOTATIONS/agreement.csv: ICC(1,1),
ICC(2,1), ICC(3,1), ICC(1,k), ICC(2,k), ICC(3,k) (Shrout & Fleiss 1979), Cronbach's alpha, the mean
pairwise Pearson r and Lin's CCC, over the seconds every rater rated, of the ratings as rated (shifted by
their lags, not normalised); ANNOTATIONS/raters.csv gives each
rater's correlation with the others' mean (and lag), and raters below --min-correlation are named.
Every file is read and checked before anything is written. See docs/annotate.md."""


def run(args: argparse.Namespace) -> int:
    from ..workflows.annotations import merge_annotation_folder

    merge_annotation_folder(args.folder, args.output, normalize=args.normalize, max_lag=args.max_lag,
                            min_correlation=args.min_correlation, echo=echo)
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds >= 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Work on the annotations of several raters: `annotations merge DIR -o ANNOTATIONS` merges the
    per-rater ratings that `annotate` writes into the mean and standard deviation across raters (an
    annotation folder for `fit`, `evaluate` and `report`) and reports the raters' agreement. See
    `sklearn-emotion annotations merge --help`.
    """
    from ..workflows.annotations import DEFAULT_MIN_CORRELATION

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = actions.add_parser("merge", help="raters' ratings -> mean and std per second + agreement",
                               description=wrap(" ".join(_MERGE.split())),
                               formatter_class=argparse.RawDescriptionHelpFormatter,
                               epilog="example:\n  sklearn-emotion annotations merge ratings/ -o annotations/ "
                                      "--max-lag 5")
    merge.add_argument("folder", metavar="DIR", help="folder of rater folders: DIR/<rater>/<movie>.csv")
    merge.add_argument("-o", "--output", required=True, metavar="ANNOTATIONS",
                       help="folder to write <movie>.csv, agreement.csv and raters.csv into (not inside DIR)")
    merge.add_argument("--normalize", choices=("none", "center", "zscore"), default="none",
                       help="per rater and dimension before merging: none (default), center (minus the "
                            "rater's mean), zscore (also divided by the rater's std; the result leaves "
                            "[-1, 1]: fit it with --target-range auto)")
    merge.add_argument("--max-lag", type=_seconds, metavar="S",
                       help="estimate each rater's reaction lag within +-S seconds and shift it earlier by "
                            "it before merging (default: no lag compensation)")
    merge.add_argument("--min-correlation", type=float, default=DEFAULT_MIN_CORRELATION, metavar="R",
                       help="name the raters whose correlation with the others' mean is below R (default "
                            f"{DEFAULT_MIN_CORRELATION:g}, psychometrics' usual floor for an item-total "
                            "correlation); they are still merged")
    # also accepted after the action's arguments (`annotations merge DIR -o X --debug`)
    merge.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    merge.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the traceback of an error")
