"""The ``sklearn-emotion`` command line (also ``python -m sklearn_emotion``).

Subcommands: ``demo``, ``extract``, ``fit``, ``predict``, ``evaluate``, ``report``, ``models``;
``sklearn-emotion <command> --help`` explains each.  File formats are described in :mod:`sklearn_emotion.files` and docs/cli.md.

Exit codes: 0 success, 1 an error in the inputs or while running (the message says which file or
movie), 2 wrong command-line usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from . import demo, evaluate, extract, fit, models, predict, report
from ._common import AUDIO_SUFFIXES, VIDEO_SUFFIXES, CommandError, wrap
from .fit import build_estimator

__all__ = ["main", "console_main", "build_parser", "build_estimator", "VIDEO_SUFFIXES", "AUDIO_SUFFIXES", "CommandError"]


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
  sklearn-emotion report model.skops new_movie.mp4 -o report/   # watch the movie over its curves
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
#: description), help texts.
_COMMANDS = [
    ("demo", demo, dict(help="run the whole method offline on generated test videos")),
    ("extract", extract, dict(
        help="videos -> per-second features (one .npz per movie)",
        epilog="example:\n  sklearn-emotion extract movies/ -o features/ --weights-dir ../shared/weights --n-jobs 2")),
    ("fit", fit, dict(
        help="features + annotations -> a saved model",
        epilog="examples:\n  sklearn-emotion fit features/ annotations/ -o model.skops\n"
               "  sklearn-emotion fit features/ annotations/ -o baseline.skops --model baseline")),
    ("predict", predict, dict(
        help="a model + videos or features -> per-second CSV and PNG plot",
        epilog="examples:\n  sklearn-emotion predict model.skops film.mp4 -o predictions/\n"
               "  sklearn-emotion predict old-0.1-model.joblib film.mp4 -o predictions/ --trust-model"
               "   # a pickle: only if you trust it")),
    ("evaluate", evaluate, dict(
        help="predictions vs annotations -> the MediaEval table", progress=False,
        epilog="example:\n  sklearn-emotion evaluate predictions/ baseline-predictions/ annotations/ --paper")),
    ("report", report, dict(
        help="a model + videos -> HTML pages playing each movie over its emotion curves",
        epilog="examples:\n  sklearn-emotion report model.skops film.mp4 -o report/\n"
               "  sklearn-emotion report model.skops movies/ -o report/ --annotations annotations/ --proxy")),
    ("models", models, dict(help="the official pretrained models: list them, download them", progress=False)),
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sklearn-emotion``: one sub-command per entry of ``_COMMANDS``."""
    from .. import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="sklearn-emotion", description=_DESCRIPTION, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"sklearn-emotion {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module, texts in _COMMANDS:
        description = wrap(" ".join(module.add_arguments.__doc__.split()))
        module.add_arguments(_command(sub, formatter, name, module, description=description, **texts))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Every failure is one line, ``sklearn-emotion <command>: error: <message>`` (``--debug`` adds the
    traceback); ``console_main`` is the installed program, which also quiets native logs.
    """
    import signal
    import threading

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    args = None
    # Ctrl-C raises KeyboardInterrupt as usual, but is also remembered: a native library that swallows
    # it (e.g. while TensorFlow is being imported) fails later with some other error, which is then
    # still an interruption.  Only where Python's own handler is in place (not when SIGINT is ignored).
    received: list[int] = []

    def on_sigint(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        args = build_parser().parse_args(argv)
        return int(args.command_module.run(args) or 0)
    except KeyboardInterrupt as interruption:
        return _interrupted(getattr(args, "command", None), interruption)
    except Exception as exc:  # the one error path: a line naming what failed
        if received:
            return _interrupted(getattr(args, "command", None), exc)
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"sklearn-emotion {args.command}: error: {_error_text(exc, args.command)}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


#: Packages whose native state a KeyboardInterrupt raised inside their Python code may leave half built.
_NATIVE_PACKAGES = ("tensorflow", "keras", "tf_keras", "mediapipe", "ai_edge_litert", "tflite_runtime", "av",
                    "h5py", "optree", "opensmile")


def _inside_native_library(error: BaseException) -> str | None:
    """The native library whose code ``error`` went through (innermost first), if any."""
    tb = error.__traceback__
    packages = []
    while tb is not None:
        parts = tb.tb_frame.f_code.co_filename.replace("\\", "/").split("/")
        installed = [i + 1 for i, part in enumerate(parts[:-1]) if part in ("site-packages", "dist-packages")]
        if installed and parts[installed[-1]] in _NATIVE_PACKAGES:
            packages.append(parts[installed[-1]])
        tb = tb.tb_next
    return packages[-1] if packages else None


def _interrupted(command: str | None, error: BaseException | None = None) -> int:
    """Ctrl-C: say so, make sure no decoding or embedding thread still runs, and give exit code 130.

    The movie being extracted has already stopped and joined its threads
    (:func:`~sklearn_emotion.media.stages.extract_movie` does on its way out); this checks it once
    more, with a bound, because returning lets the interpreter exit, and a thread still inside
    PyAV, TFLite or MediaPipe while Python tears its modules down kills the process with SIGSEGV
    or SIGABRT instead of exit code 130.
    """
    print(f"sklearn-emotion{' ' + command if command else ''}: interrupted.", file=sys.stderr)
    stages = sys.modules.get("sklearn_emotion.media.stages")  # not imported: no thread of it can run
    stuck = []
    while stages is not None:
        try:
            stuck = stages.wait_for_stage_threads()
            break
        except KeyboardInterrupt:  # another Ctrl-C while waiting: keep waiting (the wait is bounded)
            continue
    library = _inside_native_library(error) if error is not None else None
    if stuck or library:
        # Last resort, only after the bounded join: a thread still running native code, or a library
        # interrupted half way through building its native objects (e.g. loading a model), would
        # crash the interpreter's shutdown (their destructors run on it), so end the process now,
        # without it.  Every feature file is already on disk (written atomically); streams are flushed.
        if stuck:
            print(f"sklearn-emotion{' ' + command if command else ''}: {len(stuck)} thread(s) did not stop; "
                  "exiting without cleanup.", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    _forget_unhandled_interrupt()
    return 130


def _forget_unhandled_interrupt() -> None:
    """Keep exit code 130 although native code saw the KeyboardInterrupt pass.

    CPython (3.8-3.12) marks a KeyboardInterrupt that leaves code run through ``PyRun_String`` --
    as pybind11 modules (TensorFlow, LiteRT, optree) do while they are imported -- as unhandled even
    when it is caught afterwards, and then ends the process by SIGINT at exit instead of with the
    exit code: clear that mark once the interruption is handled.  No-op where the mark does not exist.
    """
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, AttributeError, ValueError, OSError):
        pass


def _error_text(exc: Exception, command: str) -> str:
    """An exception as the one line of the error path, with a hint where one helps."""
    from ..media import BackboneUnavailableError

    text = " ".join(str(exc).split())
    expected = (CommandError, OSError, ValueError, TypeError, ImportError, BackboneUnavailableError)
    if not isinstance(exc, expected) or not text:  # not raised on purpose: say what it is, how to see more
        text = f"unexpected {type(exc).__name__}: {text or '(no message)'} (--debug shows the traceback)"
    if type(exc) is BackboneUnavailableError and command in ("extract", "demo"):  # not ModelIntegrityError
        text += (" On the command line, pass local files with --image-weights, --audio-weights and "
                 "--pca-params, or a folder of small models with --weights-dir.")
    return text


def console_main() -> None:
    """The installed ``sklearn-emotion`` program: :func:`main` with quiet native logs and one-line warnings."""
    from .._backend import set_native_logs
    from ._quiet import one_line_warnings, quiet_native_logs

    argv = sys.argv[1:]
    if "--verbose" not in argv:
        quiet_native_logs()
    else:  # also the library's own hiding, here and in child processes
        set_native_logs(True)
    if "--debug" not in argv:
        one_line_warnings()
    try:
        code = main(argv)
    except KeyboardInterrupt:  # landed as main returned, after its own handler: the command is over
        code = 130
    finally:
        # The command is over and its files are written: a Ctrl-C while TensorFlow, LiteRT and MediaPipe
        # tear down at exit has nothing left to interrupt, and would end the process by SIGINT or SIGABRT.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
