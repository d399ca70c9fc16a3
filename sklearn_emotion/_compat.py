"""Deprecated aliases of modules and names that moved in 0.2 (removed in 0.4)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

__all__ = ["alias_module"]


def alias_module(old: str, new: str, namespace: dict[str, Any]) -> None:
    """Make module ``old`` re-export the public names of ``new``, with a ``FutureWarning`` on import.

    ``FutureWarning``, not ``DeprecationWarning``: end users, not only developers, should see it.
    """
    warnings.warn(
        f"{old} moved to {new} in sklearn-emotion 0.2; the old name will be removed in 0.4.",
        FutureWarning, stacklevel=3,
    )
    module = importlib.import_module(new)
    names = list(getattr(module, "__all__", []))
    namespace.update({name: getattr(module, name) for name in names})
    namespace["__all__"] = names
