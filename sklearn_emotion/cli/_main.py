"""The program: :func:`main` runs a command and turns every failure into one line and an exit code."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from ._common import CommandError
from ._interrupts import interrupted
from ._parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see :mod:`sklearn_emotion.cli`).

    Every failure is one line, ``sklearn-emotion <command>: error: <message>`` (``--debug`` adds the
    traceback); ``console_main`` is the installed program, which also quiets native logs.
    """
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
    args = None  # stays None when building the parser itself fails
    try:
        args = build_parser().parse_args(argv)
        return int(args.command_module.run(args) or 0)
    except KeyboardInterrupt as interruption:
        return interrupted(getattr(args, "command", None), interruption)
    except Exception as exc:  # the one error path: a line naming what failed
        if received:
            return interrupted(getattr(args, "command", None), exc)
        if getattr(args, "debug", False):
            traceback.print_exc()
        command = getattr(args, "command", None) or "(start-up)"
        print(f"sklearn-emotion {command}: error: {_error_text(exc, command)}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


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
