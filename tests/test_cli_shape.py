"""The command line's shape (issue 20): small files, each shared option defined once, no library code importing it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_emotion"
CLI = PACKAGE / "cli"
MAX_LINES = 120


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_every_file_of_the_command_line_is_under_120_lines():
    long = {path.relative_to(PACKAGE).as_posix(): n for path in _sources(CLI)
            if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert _sources(CLI) and not long, f"files of {MAX_LINES} lines or more (move their logic into the library): {long}"


@pytest.mark.parametrize("option", ["--weights-dir", "--trust-model", "--n-jobs", "--missing-audio"])
def test_each_shared_option_is_defined_once(option):
    call = re.compile(r"add_argument\(\s*" + re.escape(f'"{option}"'))
    places = [f"{path.relative_to(PACKAGE).as_posix()}:{text[:match.start()].count(chr(10)) + 1}"
              for path in _sources(PACKAGE) for text in [path.read_text(encoding="utf-8")]
              for match in call.finditer(text)]
    assert len(places) == 1, f"{option} is defined by {len(places)} add_argument calls: {places}"


#: An import of the command line, absolute or relative.
IMPORTS_CLI = re.compile(r"^\s*(from\s+(sklearn_emotion|\.+)\s*\.?\s*cli\b|from\s+(sklearn_emotion|\.+)\s+import\s+cli\b|"
                         r"import\s+sklearn_emotion\.cli\b)", re.MULTILINE)


def test_the_library_never_imports_the_command_line():
    # Only the entry point (python -m sklearn_emotion) loads it; workflows are called by it, not the reverse.
    offenders = [path.relative_to(PACKAGE).as_posix() for path in _sources(PACKAGE)
                 if CLI not in path.parents and path.name != "__main__.py"
                 and IMPORTS_CLI.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
    # The pattern recognises the entry point's own import, and the usual spellings.
    assert IMPORTS_CLI.search((PACKAGE / "__main__.py").read_text(encoding="utf-8"))
    for line in ("from ..cli import main", "from sklearn_emotion.cli._common import echo", "from .. import cli",
                 "import sklearn_emotion.cli"):
        assert IMPORTS_CLI.search(line), line


def test_every_command_is_parsing_plus_one_library_call():
    # run(args) of each command holds no loop: the work is a library function's.
    for path in _sources(CLI):
        text = path.read_text(encoding="utf-8")
        body = re.search(r"^def run\(args.*?(?=^def |\Z)", text, re.MULTILINE | re.DOTALL)
        if body is not None:
            assert not re.search(r"^\s+(for|while) ", body.group(0), re.MULTILINE), path.name


def test_models_help_states_the_model_file_lookup_order(capsys):
    from sklearn_emotion.cli import main
    from sklearn_emotion.cli._options import LOOKUP_ORDER
    from sklearn_emotion.media.models import LOOKUP_ORDER as LIBRARY_ORDER

    assert LOOKUP_ORDER == LIBRARY_ORDER  # the command line's copy (its help imports no media module)
    for command in ("models", "predict"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert re.sub(r"\s+", "", LOOKUP_ORDER) in re.sub(r"\s+", "", capsys.readouterr().out), command
