"""Deprecated aliases of modules and names that moved in 0.2 (removed in 0.4): the one idiom for both.

``FutureWarning``, not ``DeprecationWarning``: end users, not only developers, should see it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["MovedNameWarning", "alias_module", "deprecated_names"]


class MovedNameWarning(FutureWarning):
    """A module or name moved in 0.2; ``old_name`` is what was used (e.g. ``sklearn_emotion.meta``)."""

    def __init__(self, old_name: str, new_name: str) -> None:
        super().__init__(f"{old_name} moved to {new_name} in sklearn-emotion 0.2; the old name will be removed in 0.4.")
        self.old_name = old_name


def _warn_moved(old: str, new: str, stacklevel: int) -> None:
    warnings.warn(MovedNameWarning(old, new), stacklevel=stacklevel + 1)


def alias_module(old: str, new: str, namespace: dict[str, Any]) -> None:
    """Make module ``old`` re-export the public names of module ``new``, warning once on import.

    Use as the whole body of the old module: ``alias_module(__name__, "sklearn_emotion.x.y", globals())``.
    """
    _warn_moved(old, new, stacklevel=3)
    module = importlib.import_module(new)
    names = list(getattr(module, "__all__", []))
    namespace.update({name: getattr(module, name) for name in names})
    namespace["__all__"] = names


def deprecated_names(module: str, moved: dict[str, str]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` serving names that moved elsewhere, each with a warning.

    ``moved`` maps an old name to ``"new.module"`` (same name) or ``"new.module:new_name"``::

        __getattr__ = deprecated_names(__name__, {"mediaeval_table": "sklearn_emotion.reporting"})
    """

    def __getattr__(name: str) -> Any:
        target = moved.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new_module, _, new_name = target.partition(":")
        new_name = new_name or name
        _warn_moved(f"{module}.{name}", f"{new_module}.{new_name}", stacklevel=2)
        return getattr(importlib.import_module(new_module), new_name)

    return __getattr__
