"""Shape rules of the package's own code (issue 9): functions short enough to read in one screen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_emotion"
MAX_BODY_LINES = 70


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring does not count
    return 0 if not body else body[-1].end_lineno - body[0].lineno + 1


def test_no_function_body_is_longer_than_70_lines():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _body_lines(node) > MAX_BODY_LINES:
                long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({_body_lines(node)} lines)")
    assert not long, "functions over 70 lines:\n" + "\n".join(long)
