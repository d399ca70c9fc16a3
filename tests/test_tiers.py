"""The test tiers: a test marked with a costly category is also ``slow``, so ``pytest -m "not slow"`` (the
developers' quick loop) leaves it out; every category is declared in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ("pytester",)

TESTS = Path(__file__).parent


def test_every_category_is_a_declared_marker(pytestconfig):
    from conftest import SLOW_CATEGORIES

    declared = {line.split(":")[0].strip() for line in pytestconfig.getini("markers")}
    assert {"slow", *SLOW_CATEGORIES} <= declared


def test_a_category_marker_makes_a_test_slow(pytester):
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_sample="""
        import pytest

        pytestmark = pytest.mark.distributed

        def test_cluster():
            pass
    """, test_other="""
        import pytest

        @pytest.mark.keras
        def test_fit():
            pass

        @pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.subprocess)])
        def test_param(n):
            pass

        @pytest.mark.slow
        @pytest.mark.browser
        def test_page():
            pass

        def test_quick():
            pass
    """)
    quick = pytester.runpytest("-m", "not slow", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert [line for line in quick.outlines if "::" in line] == ["test_other.py::test_param[1]",
                                                                  "test_other.py::test_quick"]
    slow = pytester.runpytest("-m", "slow", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert len([line for line in slow.outlines if "::" in line]) == 4
