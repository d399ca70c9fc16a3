"""The model options of ``fit`` and ``cross-validate``, defined once; every default read from the estimator."""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from ._common import CommandError
from ._options import add_max_length_difference_option

#: Options of both networks, of the paper model, of the TCN -> their parameter (None: the estimator's default).
_SHARED = {name: name for name in ("dropout", "learning_rate", "batch_size", "epochs", "patience")}
_PAPER = {"rnn": "rnn", "units": "units", "layers": "n_layers", "experts": "n_experts", "batch_norm": "batch_norm"}
_TCN = {"levels": "levels", "filters": "filters", "causal": "causal"}


def _defaults(function: Any) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """FEATURES, ANNOTATIONS, ``--max-length-difference`` and ``--target-range``: the training corpus."""
    from ..gru_moe import GRUMoERegressor
    parser.add_argument("features", nargs="+", metavar="FEATURES", help="feature files (.npz) or folders of them")
    parser.add_argument("annotations", metavar="ANNOTATIONS", help="folder of annotation files")
    add_max_length_difference_option(parser, "a movie's features and annotations")
    low, high = _defaults(GRUMoERegressor)["target_range"]
    parser.add_argument("--target-range", nargs="+", default=[f"{low:g}", f"{high:g}"], metavar="LOW HIGH",
                        help=f"scale of the annotations, e.g. 1 9 (default {low:g} {high:g}, MediaEval's) or 'auto' "
                             "(their min and max): the networks predict within it")


def target_range(args: argparse.Namespace) -> tuple[float, float] | str:
    """``--target-range LOW HIGH`` or ``auto``, as the estimators take it."""
    if args.target_range == ["auto"]:
        return "auto"
    try:
        low, high = (float(value) for value in args.target_range)
    except ValueError:
        raise CommandError(f"--target-range takes LOW HIGH or auto, got {' '.join(args.target_range)}.") from None
    if not low < high:
        raise CommandError(f"--target-range {low:g} {high:g}: LOW must be below HIGH.")
    return low, high


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model`` and the options of each model and of the smoothing, defaults from the estimators."""
    from ..gru_moe import GRUMoERegressor
    from ..pipelines import SMOOTHER_NAMES
    from ..smoothing import ButterworthSmoother, MovingAverageSmoother
    from ..tcn import TCNRegressor
    from ..workflows.fit import MODEL_KINDS, model_maker

    gru, tcn, makers = _defaults(GRUMoERegressor), _defaults(TCNRegressor), {k: model_maker(k) for k in MODEL_KINDS}

    def both(name: str) -> str:
        return f"default: {gru[name]} for the paper model, {tcn[name]} for --model tcn"

    parser.add_argument("--model", choices=tuple(makers), default="paper",
                        help="paper: windows -> GRU + mixture of experts; tcn: whole movies -> encoder-decoder "
                             "temporal convolutional network (section 3 of the paper); baseline: per-second Ridge "
                             "(default %(default)s)")
    net = parser.add_argument_group("both networks (paper and tcn)")
    net.add_argument("--dropout", type=float, help=f"dropout rate (paper runs 2-4: > 0; {both('dropout')})")
    net.add_argument("--learning-rate", type=float, help=f"Adam learning rate ({both('learning_rate')})")
    net.add_argument("--batch-size", type=int, help=f"training batch size ({both('batch_size')}; the paper "
                     "model's 'auto' sizes its batch of windows to the corpus, 32 to the paper's 512)")
    net.add_argument("--epochs", type=int, metavar="N", help=f"maximum epochs ({both('epochs')})")
    net.add_argument("--patience", type=int, help=f"epochs without improvement before stopping ({both('patience')}); "
                     "the loss watched is that of held-out movies when 3 or more can be held out, else the training loss")
    net.add_argument("--random-state", type=int, default=0, metavar="SEED",
                     help="seed of the networks' weights and of cross-validate's folds (default %(default)s)")
    paper = parser.add_argument_group("paper model")
    paper.add_argument("--window", type=int, default=_defaults(makers["paper"])["window_length"], metavar="S",
                       help="window length in seconds (paper: 10, 30, 60; default %(default)s)")
    paper.add_argument("--rnn", choices=("gru", "lstm"), help=f"recurrent cell (default {gru['rnn']})")
    paper.add_argument("--units", type=int, help=f"recurrent units per modality (default {gru['units']})")
    paper.add_argument("--layers", type=int, help=f"stacked recurrent layers (default {gru['n_layers']})")
    paper.add_argument("--experts", type=int, help=f"experts of the mixture (default {gru['n_experts']})")
    paper.add_argument("--batch-norm", action="store_const", const=True,
                       help=f"batch-normalise the fused states (paper runs 2-4; default {gru['batch_norm']})")
    tcn_group = parser.add_argument_group("tcn model")
    tcn_group.add_argument("--causal", action="store_const", const=True,
                           help=f"each second sees only the past (default {tcn['causal']}: acausal, as Lea et al.)")
    tcn_group.add_argument("--levels", type=int, help=f"pooling levels of the encoder (default {tcn['levels']})")
    tcn_group.add_argument("--filters", type=int, help=f"convolution filters per level (default {tcn['filters']})")
    base = parser.add_argument_group("baseline model")
    base.add_argument("--alpha", type=float, default=_defaults(makers["baseline"])["alpha"],
                      help="Ridge penalty (default: chosen in 1e-2 ... 1e4 by leave-one-out on the training seconds)")
    smoothers = ", ".join(f"{_defaults(make)['smoother']} for " + ("the paper model" if kind == "paper" else
                                                                    f"--model {kind}") for kind, make in makers.items())
    smooth = parser.add_argument_group("smoothing of the predicted curves")
    smooth.add_argument("--smoother", choices=SMOOTHER_NAMES, help=f"default: {smoothers}")
    smooth.add_argument("--cutoff", type=float, default=_defaults(ButterworthSmoother)["cutoff"],
                        help="Butterworth cutoff in Hz (default %(default)s)")
    smooth.add_argument("--smoothing-window", type=int, default=_defaults(MovingAverageSmoother)["window"],
                        metavar="S", help="moving-average window in seconds (default %(default)s)")


def model_options(args: argparse.Namespace, *, verbose: int = 0) -> dict[str, Any]:
    """The keyword arguments of :func:`sklearn_emotion.workflows.fit.make_model` given on the command line.

    Options left out are not passed, so the model takes the estimators' own defaults: the command line
    trains what Python users get.
    """
    from ..smoothing import ButterworthSmoother, MovingAverageSmoother
    from ..workflows.fit import model_maker

    name = args.smoother or _defaults(model_maker(args.model))["smoother"]
    smoother = {"butterworth": lambda: ButterworthSmoother(cutoff=args.cutoff),
                "moving-average": lambda: MovingAverageSmoother(window=args.smoothing_window)}.get(name, lambda: None)()
    if args.model == "baseline":
        return {"alpha": args.alpha, "smoother": smoother}
    options = {**_SHARED, **(_PAPER if args.model == "paper" else _TCN)}
    params = {param: getattr(args, option) for option, param in options.items() if getattr(args, option) is not None}
    extra = {"window_length": args.window} if args.model == "paper" else {}
    return {"smoother": smoother, **extra, **params, "random_state": args.random_state, "verbose": verbose}
