"""The modules and names that moved in 0.2, served from one table until 0.4 (:data:`MOVED`).

Code and pickled model files written for 0.1 keep working: ``import sklearn_emotion.network``,
``from sklearn_emotion.meta import SmoothedRegressor`` or a 0.1 model file naming
``sklearn_emotion.meta.SmoothedRegressor`` get the object from its new home, with a
:class:`MovedNameWarning`.

* An old module that no longer exists as a file (``blocks``, ``layers``, ``network``, ``reference``,
  ``meta``) is made on import by :class:`MovedModuleFinder`, which ``sklearn_emotion/__init__.py``
  appends to :data:`sys.meta_path` (:func:`serve_moved_modules`).
* A real module that lost names serves them with ``__getattr__ = moved_names(__name__)``.

``FutureWarning``, not ``DeprecationWarning``: end users, not only developers, should see it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["MOVED", "REMOVED_IN", "IGNORED_PARAMETERS", "MovedModuleFinder", "MovedNameWarning", "moved_names",
           "serve_moved_modules", "warn_ignored_parameter"]

#: The version whose release removes every entry of :data:`MOVED` (tests/test_compat.py checks).
REMOVED_IN = "0.4"

#: Old name -> new home. ``"package.module"`` is a whole module (its public names, ``__all__``);
#: ``"package.module:name"`` one name.
MOVED = {
    # 0.2: the GRU-MoE's modules went into the gru_moe package.
    "sklearn_emotion.blocks": "sklearn_emotion.gru_moe.batches",
    "sklearn_emotion.layers": "sklearn_emotion.gru_moe.layers",
    "sklearn_emotion.network": "sklearn_emotion.gru_moe.network",
    "sklearn_emotion.reference": "sklearn_emotion.gru_moe.reference",
    # 0.2: the meta-estimators went to modules named after what they hold (0.1 model files name meta).
    "sklearn_emotion.meta:SmoothedRegressor": "sklearn_emotion.smoothing:SmoothedRegressor",
    "sklearn_emotion.meta:RunAveragingRegressor": "sklearn_emotion.ensemble:RunAveragingRegressor",
    "sklearn_emotion.meta:PerSecondRegressor": "sklearn_emotion.per_second:PerSecondRegressor",
    # 0.2: the scorers and Table 1 moved; mean_squared_error was renamed because it shadowed
    # scikit-learn's function with other defaults (average per movie, one value per column).
    "sklearn_emotion.metrics:mean_squared_error": "sklearn_emotion.metrics:movie_mean_squared_error",
    "sklearn_emotion.metrics:get_scorer": "sklearn_emotion.scoring:get_movie_scorer",
    "sklearn_emotion.metrics:get_scorer_names": "sklearn_emotion.scoring:get_movie_scorer_names",
    "sklearn_emotion.metrics:MEDIAEVAL_SCORING": "sklearn_emotion.scoring:MEDIAEVAL_SCORING",
    "sklearn_emotion.metrics:TABLE_COLUMNS": "sklearn_emotion.reporting:TABLE_COLUMNS",
    "sklearn_emotion.metrics:PAPER_TABLE_1": "sklearn_emotion.reporting:PAPER_TABLE_1",
    "sklearn_emotion.metrics:mediaeval_table": "sklearn_emotion.reporting:mediaeval_table",
}


#: Parameters accepted and ignored since 0.3, removed in :data:`REMOVED_IN`: "function(parameter)" -> why.
IGNORED_PARAMETERS = {
    "default_feature_spec(prefer_folder)": "the given weights folder always comes first since 0.3",
    "locate_official_model(prefer_folder)": "the given weights folder always comes first since 0.3",
}


def warn_ignored_parameter(function: str, parameter: str, stacklevel: int = 2) -> None:
    """A FutureWarning that ``function``'s ``parameter`` (an entry of :data:`IGNORED_PARAMETERS`) is ignored."""
    why = IGNORED_PARAMETERS[f"{function}({parameter})"]
    warnings.warn(f"{function}'s {parameter} is ignored ({why}) and will be removed in sklearn-emotion "
                  f"{REMOVED_IN}: leave it out.", FutureWarning, stacklevel=stacklevel + 1)


class MovedNameWarning(FutureWarning):
    """A module or name moved in 0.2; ``old_name`` is what was used (e.g. ``sklearn_emotion.meta``)."""

    def __init__(self, old_name: str, new_name: str) -> None:
        super().__init__(f"{old_name} moved to {new_name} in sklearn-emotion 0.2; the old name will be "
                         f"removed in {REMOVED_IN}.")
        self.old_name = old_name


def _warn_moved(old: str, new: str, stacklevel: int) -> None:
    # Keys and targets write "module:name"; messages the dotted name a user types.
    warnings.warn(MovedNameWarning(old.replace(":", "."), new.replace(":", ".")), stacklevel=stacklevel + 1)


def _names_moved_from(module: str) -> dict[str, str]:
    """``{old name: "new.module:new_name"}`` for the names that moved out of ``module``."""
    prefix = f"{module}:"
    return {old[len(prefix):]: new for old, new in MOVED.items() if old.startswith(prefix)}


def moved_names(module: str) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` serving the names that moved out of ``module``, each with a warning.

    Use as ``__getattr__ = moved_names(__name__)``; the names are those of :data:`MOVED`.
    """
    moved = _names_moved_from(module)

    def __getattr__(name: str) -> Any:
        target = moved.get(name)
        if target is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        _warn_moved(f"{module}:{name}", target, stacklevel=2)
        new_module, _, new_name = target.partition(":")
        return getattr(importlib.import_module(new_module), new_name)

    return __getattr__


class _MovedModuleLoader:
    """Builds an old module: the public names of its new home (when the whole module moved) and a
    ``__getattr__`` for the names that moved one by one."""

    def create_module(self, spec: Any) -> None:
        return None  # the default: an empty module named spec.name

    def exec_module(self, module: types.ModuleType) -> None:
        old = module.__name__
        new = MOVED.get(old)
        module.__getattr__ = moved_names(old)
        if new is None:  # only some of its names moved (meta): each warns when used
            module.__doc__ = f"Deprecated: the names of {old} moved in 0.2 (removed in {REMOVED_IN})."
            module.__all__ = sorted(_names_moved_from(old))
            return
        # The warning is issued from the import machinery, whose frames warnings skips: it names the importer.
        _warn_moved(old, new, stacklevel=2)
        target = importlib.import_module(new)
        module.__doc__ = f"Deprecated: moved to :mod:`{new}` in 0.2 (removed in {REMOVED_IN})."
        module.__all__ = list(getattr(target, "__all__", []))
        for name in module.__all__:
            setattr(module, name, getattr(target, name))


class MovedModuleFinder:
    """A :data:`sys.meta_path` finder of the old modules of :data:`MOVED` that no longer exist as files.

    Appended after the standard finders, so a real module of the same name is always found first.
    """

    _loader = _MovedModuleLoader()

    @classmethod
    def old_modules(cls) -> set[str]:
        """The old module names: whole moved modules and the modules names moved out of."""
        return {old.partition(":")[0] for old in MOVED}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.old_modules():
            return None
        return importlib.util.spec_from_loader(fullname, self._loader)


def serve_moved_modules() -> None:
    """Append :class:`MovedModuleFinder` to :data:`sys.meta_path` (once, however often it is called)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
