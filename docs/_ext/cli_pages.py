"""One page per ``sklearn-emotion`` command, rendered from the real argument parser at every build.

The pages (``commands/<name>.rst`` and ``commands/index.rst``) hold the ``--help`` text of
:func:`sklearn_emotion.cli._parser.build_parser`, sub-commands of a command (``annotations merge``)
included, so they cannot drift from the options.  The prose guide stays ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

COMMAND_FOLDER = "commands"
HELP_WIDTH = "88"  # argparse wraps to $COLUMNS: fixed, so the pages do not depend on the terminal


def _help(parser: argparse.ArgumentParser) -> str:
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH
    try:
        return parser.format_help()
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _literal(text: str) -> str:
    return ".. code-block:: text\n\n" + "".join(f"   {line}".rstrip() + "\n" for line in text.splitlines()) + "\n"


def _title(text: str, line: str = "=") -> str:
    return f"{text}\n{line * len(text)}\n\n"


def command_pages() -> dict[str, str]:
    """Command name -> the reStructuredText of its page (``index`` -> the commands' index)."""
    from sklearn_emotion.cli import build_parser, command_parsers
    from sklearn_emotion.cli._parser import COMMANDS

    parser = build_parser()
    parsers = command_parsers(parser)
    pages = {}
    rows = []
    for name, _module, summary, _examples, _progress in COMMANDS:
        text = [f".. _command-{name}:\n\n", _title(f"``sklearn-emotion {name}``"),
                f"{summary[0].upper()}{summary[1:]}.\n\n", _literal(_help(parsers[(name,)]))]
        for path, sub in parsers.items():
            if len(path) > 1 and path[0] == name:
                text += [_title(f"``sklearn-emotion {' '.join(path)}``", "-"), _literal(_help(sub))]
        text.append("The options and file formats are explained in :doc:`/cli`.\n")
        pages[name] = "".join(text)
        rows.append(f"   * - :doc:`{name}`\n     - {summary}\n")
    pages["index"] = "".join([
        ".. _commands:\n\n", _title("Command reference"),
        "Every command of ``sklearn-emotion``, each with its ``--help`` as printed by the installed\n"
        "version (these pages are rendered from the argument parser when the documentation is built).\n"
        "The guide to the commands, their files and formats is :doc:`/cli`.\n\n",
        _literal(_help(parser)),
        ".. list-table::\n   :header-rows: 1\n\n   * - command\n     - what it does\n", *rows,
        "\n.. toctree::\n   :hidden:\n\n", *(f"   {name}\n" for name, *_ in COMMANDS),
    ])
    return pages


def write_command_pages(srcdir: str | Path) -> list[str]:
    """Write ``srcdir/commands/*.rst``; delete the page of a command that is gone. Returns the names."""
    folder = Path(srcdir) / COMMAND_FOLDER
    folder.mkdir(exist_ok=True)
    pages = command_pages()
    for name, text in pages.items():
        path = folder / f"{name}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in folder.glob("*.rst"):
        if path.stem not in pages:
            path.unlink()
    return [name for name in pages if name != "index"]


def setup(app):
    app.connect("config-inited", lambda app, config: write_command_pages(app.srcdir))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
