"""command_paths: the one walk over the command line's sub-commands (the smoke test and the docs use it)."""

from __future__ import annotations

import argparse

import pytest

from sklearn_emotion.cli import build_parser, command_paths
from sklearn_emotion.cli._parser import COMMANDS


def test_every_command_of_sklearn_emotion_nested_ones_after_their_parent():
    paths = command_paths(build_parser())
    assert [path for path in paths if len(path) == 1] == [(entry[0],) for entry in COMMANDS]
    assert paths.index(("annotations",)) + 1 == paths.index(("annotations", "merge"))
    assert {path for path in paths if len(path) == 2} == {("annotations", "merge"), ("models", "list"),
                                                          ("models", "download")}


@pytest.mark.parametrize("path", command_paths(build_parser()), ids=" ".join)
def test_each_path_names_a_command_with_its_help(path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*path, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: sklearn-emotion {' '.join(path)} ")


def test_aliases_are_left_out_and_nesting_is_followed():
    parser = argparse.ArgumentParser(prog="tool")
    commands = parser.add_subparsers()
    first = commands.add_parser("first", aliases=["1st"])
    first.add_subparsers().add_parser("inner").add_subparsers().add_parser("deepest")
    commands.add_parser("second")
    assert command_paths(parser) == [("first",), ("first", "inner"), ("first", "inner", "deepest"), ("second",)]
    assert command_paths(argparse.ArgumentParser()) == []
