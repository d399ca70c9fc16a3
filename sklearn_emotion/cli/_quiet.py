"""Quiet output for the command line: native libraries' log chatter filtered, warnings on one line.

TensorFlow, LiteRT (TFLite), XNNPACK, MediaPipe and absl write informational logs from C++
straight to the standard-error *descriptor* (``I0000 ... port.cc:153] oneDNN custom operations
are on``, ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``, ``W0000 ...
inference_runner_litert.cc] Input tensor memory is not aligned``), which Python cannot silence
with logging settings.  :func:`quiet_native_logs` points descriptor 2 at a pipe read by a thread
that drops lines recognised as such logs and passes everything else on (real errors: ``E``/``F``
lines, anything unrecognised), while Python's own ``sys.stderr`` (progress bars, warnings, the
commands' messages) keeps writing to the terminal directly.  Child processes (``--n-jobs``)
inherit the filtered descriptor.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from typing import Any

from .._backend import NATIVE_LOG  # one list of the lines hidden, for the library and the command line

__all__ = ["quiet_native_logs", "one_line_warnings", "NATIVE_LOG"]


def quiet_native_logs() -> None:
    """Filter native log lines out of standard error for the rest of this process (see the module)."""
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2 (e.g. an embedding host): leave it
        return
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                           errors="backslashreplace", closefd=False)
    threading.Thread(target=_forward, args=(read_end, terminal), name="sklearn-emotion log filter",
                     daemon=True).start()
    # TensorFlow's Python-side warnings (e.g. tf.function retracing) go through this logger.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _forward(read_end: int, terminal: int) -> None:
    """Copy lines from the pipe to the terminal, dropping native log lines."""
    pending = b""
    while True:
        try:
            chunk = os.read(read_end, 65536)
        except OSError:
            return
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = [line for line in lines if not NATIVE_LOG.match(line.decode("utf-8", "replace"))]
        if kept:
            os.write(terminal, b"\n".join(kept) + b"\n")


def one_line_warnings() -> None:
    """Show warnings as ``warning: <message>`` on one line, without the source file and line."""

    def format_warning(message: Any, category: type, filename: str, lineno: int, line: str | None = None) -> str:
        text = " ".join(str(message).split())
        return f"warning: {text}\n"

    warnings.formatwarning = format_warning
