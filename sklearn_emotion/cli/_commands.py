"""The commands of an argument parser, nested sub-commands included: the one walk over them.

The wheel's smoke test runs ``--help`` of each command, the documentation writes a page for each.
"""

from __future__ import annotations

import argparse

__all__ = ["command_parsers", "command_paths"]


def command_paths(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """Every command of ``parser``, nested ones included, as the words that name it, in definition order.

    The one walk over ``sklearn-emotion``'s sub-commands (argparse has no public accessor for them), for
    whatever must visit each command: the wheel's smoke test runs ``--help`` of each, the documentation
    writes a page for each.  An alias is left out (its parser is the command's own).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Usually :func:`build_parser`'s.

    Returns
    -------
    list of tuple of str
        A command's path before those of its sub-commands: ``("annotations",)``, then
        ``("annotations", "merge")``.

    Examples
    --------
    >>> from sklearn_emotion.cli import build_parser, command_paths
    >>> paths = command_paths(build_parser())
    >>> paths[:2]
    [('demo',), ('extract',)]
    >>> ("models", "download") in paths
    True
    """
    return list(command_parsers(parser))


def command_parsers(parser: argparse.ArgumentParser) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """The parser of every command of ``parser``, keyed and ordered as :func:`command_paths` (which walks it).

    Examples
    --------
    >>> from sklearn_emotion.cli import build_parser, command_parsers
    >>> parsers = command_parsers(build_parser())
    >>> parsers[("annotations", "merge")].prog
    'sklearn-emotion annotations merge'
    """
    parsers: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:  # argparse has no public accessor for its sub-parsers
            if isinstance(action, argparse._SubParsersAction):
                seen: set[int] = set()
                for name, sub in action.choices.items():
                    if id(sub) not in seen:  # aliases map to the parser already visited
                        seen.add(id(sub))
                        parsers[(*path, name)] = sub
                        walk(sub, (*path, name))

    walk(parser, ())
    return parsers
