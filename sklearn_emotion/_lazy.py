"""Public names imported on first use, so that importing a package loads nothing heavy (PEP 562)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, public: Mapping[str, str], eager: Sequence[str] = ()) -> tuple[
        list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` of a package whose names live in its submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    public : mapping str -> str
        Each public name -> the submodule (relative to ``package``) that defines it.
    eager : sequence of str
        Public names the package defines itself (listed in ``__all__`` too).
    """
    names = sorted(public) + list(eager)

    def __getattr__(name: str) -> Any:
        module = public.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{module}", package), name)

    def __dir__() -> list[str]:
        return names

    return names, __getattr__, __dir__
