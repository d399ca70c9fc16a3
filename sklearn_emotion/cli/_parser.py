"""The ``sklearn-emotion`` argument parser: one sub-command per entry of :data:`COMMANDS`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import annotate, annotation_merge, cross_validate, demo, evaluate, extract, fit, models, predict, report
from ._common import wrap

_DESCRIPTION = """\
Predict the emotional impact of movies -- valence (pleasant/unpleasant) and arousal
(calm/excited), every second -- with the MediaEval 2018 best-MSE method: pretrained image,
audio and face embeddings, a recurrent network with a mixture of experts, Butterworth smoothing.

Start with `sklearn-emotion demo`: it makes a small set of test videos with known emotion curves,
trains and evaluates the model on them and writes a plot, offline, in a few minutes.

Typical workflow on your own movies:
  sklearn-emotion extract movies/ -o features/            # videos -> per-second features (.npz)
  sklearn-emotion fit features/ annotations/ -o model.skops
  sklearn-emotion predict model.skops new_movie.mp4 -o predictions/   # CSV + PNG per movie
  sklearn-emotion evaluate predictions/ annotations/       # MediaEval MSE / Pearson table
  sklearn-emotion cross-validate features/ annotations/    # held-out scores, split by movie
  sklearn-emotion report model.skops new_movie.mp4 -o report/   # watch the movie over its curves

No annotations yet? Rate your movies in the browser, then merge the raters:
  sklearn-emotion annotate movies/ -o ratings/ --rater alice
  sklearn-emotion annotations merge ratings/ -o annotations/
"""


def _command(sub: Any, formatter: Any, name: str, module: Any, *, help: str, description: str,
             epilog: str | None = None, progress: bool = True) -> argparse.ArgumentParser:
    """A sub-command's parser, run by ``module.run``; long-running commands get ``--no-progress``."""
    parser = sub.add_parser(name, formatter_class=formatter, help=help, description=description, epilog=epilog)
    parser.set_defaults(command_module=module)
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    parser.add_argument("--verbose", action="store_true",
                        help="show the native libraries' logs (TensorFlow, LiteRT, MediaPipe), hidden by default")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    return parser


#: Sub-commands: name, module (its ``run(args)`` and ``add_arguments(parser)``, whose docstring is the
#: description), one-line help, examples (after ``sklearn-emotion``), whether it shows progress bars.
COMMANDS = [
    ("demo", demo, "run the whole method offline on generated test videos", [], True),
    ("extract", extract, "videos -> per-second features (one .npz per movie)",
     ["extract movies/ -o features/ --weights-dir ../shared/weights --n-jobs 2"], True),
    ("fit", fit, "features + annotations -> a saved model",
     ["fit features/ annotations/ -o model.skops", "fit features/ annotations/ -o baseline.skops --model baseline"],
     True),
    ("predict", predict, "a model + videos or features -> per-second CSV and PNG plot",
     ["predict model.skops film.mp4 -o predictions/", "predict old-0.1-model.joblib film.mp4 -o predictions/ "
      "--trust-model   # a pickle: only if you trust it"], True),
    ("evaluate", evaluate, "predictions vs annotations -> the MediaEval table",
     ["evaluate predictions/ baseline-predictions/ annotations/ --paper"], False),
    ("cross-validate", cross_validate, "features + annotations -> held-out MediaEval scores of a model, split by movie",
     ["cross-validate features/ annotations/ --model baseline", "cross-validate features/ annotations/ --folds 3 -o cv/"],
     True),
    ("report", report, "a model + videos -> HTML pages playing each movie over its emotion curves",
     ["report model.skops film.mp4 -o report/",
      "report model.skops movies/ -o report/ --annotations annotations/ --proxy"], True),
    ("annotate", annotate, "rate movies' valence and arousal continuously in the browser -> per-rater traces",
     ["annotate film.mp4 other.mp4 -o ratings/ --rater alice"], False),
    ("annotations", annotation_merge, "raters' ratings -> annotations (mean and std across raters) + their agreement",
     ["annotations merge ratings/ -o annotations/ --max-lag 5"], False),
    ("models", models, "the official pretrained models: list them, download them", [], False),
]


def _epilog(examples: list[str]) -> str | None:
    if not examples:
        return None
    return ("example:" if len(examples) == 1 else "examples:") + "".join(f"\n  sklearn-emotion {e}" for e in examples)


class _Parser(argparse.ArgumentParser):
    """The top-level parser: ``--version --verbose`` (either order, before the command) prints
    :func:`~sklearn_emotion.show_versions`' lines and exits.

    argparse's version action exits as soon as it is read, before a later ``--verbose`` is, so the
    pair is looked for in the arguments before they are parsed.
    """

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        options = arguments[:next((i for i, a in enumerate(arguments) if not a.startswith("-")), len(arguments))]
        if "--version" in options and "--verbose" in options:
            from .._show_versions import show_versions

            show_versions()
            self.exit()
        return super().parse_known_args(arguments, namespace)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-emotion``: one sub-command per entry of ``COMMANDS``."""
    from .. import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="sklearn-emotion", description=_DESCRIPTION, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"sklearn-emotion {__version__}",
                        help="show the version (one line) and exit; with --verbose, the versions of Python, the "
                             "platform, the dependencies and the device Keras uses, for a bug report")
    # The commands' parsers are plain ones: --version --verbose is the top level's alone.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=argparse.ArgumentParser)
    for name, module, help, examples, progress in COMMANDS:
        description = wrap(" ".join(module.add_arguments.__doc__.split()))
        module.add_arguments(_command(sub, formatter, name, module, help=help, description=description,
                                      epilog=_epilog(examples), progress=progress))
    return parser
