"""What every ``sklearn-emotion`` command shares: errors, output, input files."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..workflows.movies import AUDIO_SUFFIXES, VIDEO_SUFFIXES, error_line
from ..workflows.extract import device_line

__all__ = ["AUDIO_SUFFIXES", "VIDEO_SUFFIXES", "CommandError", "collect", "device_line", "echo", "non_negative_seconds",
           "one_line", "progress_enabled", "warn", "wrap"]

#: An exception as one line (the library's; the commands' failure summaries use it too).
one_line = error_line


class CommandError(Exception):
    """An error the user can fix (bad file, missing input); printed without a traceback."""


def wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


def echo(*parts: Any) -> None:
    print(*parts, flush=True)


def warn(command: str, message: str) -> None:
    """One warning line on stderr, like the error line of the command."""
    print(f"sklearn-emotion {command}: warning: {' '.join(message.split())}", file=sys.stderr, flush=True)


def non_negative_seconds(text: str) -> int:
    """argparse type of a number of seconds such as --max-length-difference: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: expected 0 or more seconds, got {value}")
    return value


def progress_enabled(args: argparse.Namespace) -> bool:
    return not getattr(args, "no_progress", False)


def collect(paths: Sequence[str], suffixes: tuple[str, ...], what: str) -> list[Path]:
    """Files named by ``paths`` (folders expanded to their files with ``suffixes``, sorted)."""
    from ..files import find_files

    try:
        return find_files(paths, suffixes, what)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error
