"""What every ``sklearn-emotion`` command shares: its error type, output lines and argparse types."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from ..workflows.movies import AUDIO_SUFFIXES, VIDEO_SUFFIXES

__all__ = ["AUDIO_SUFFIXES", "VIDEO_SUFFIXES", "CommandError", "echo", "non_negative_seconds",
           "progress_enabled", "warn", "wrap"]


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
