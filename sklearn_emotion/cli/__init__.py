"""The ``sklearn-emotion`` command line (also ``python -m sklearn_emotion``).

Subcommands: ``demo``, ``extract``, ``fit``, ``predict``, ``evaluate``, ``cross-validate``, ``report``,
``models`` (:data:`._parser.COMMANDS`); ``sklearn-emotion <command> --help`` explains each.  Each is
argument parsing plus one call of a library workflow (:mod:`sklearn_emotion.workflows`).  File formats
are described in :mod:`sklearn_emotion.files` and docs/cli.md.

Exit codes: 0 success, 1 an error in the inputs or while running (the message says which file or
movie), 2 wrong command-line usage, 130 interrupted.
"""

from __future__ import annotations

from ._commands import command_parsers, command_paths
from ._common import AUDIO_SUFFIXES, VIDEO_SUFFIXES, CommandError
from ._main import console_main, main
from ._parser import build_parser

__all__ = ["main", "console_main", "build_parser", "command_parsers", "command_paths", "VIDEO_SUFFIXES",
           "AUDIO_SUFFIXES", "CommandError"]


if __name__ == "__main__":  # pragma: no cover
    console_main()
