"""The official pretrained models: list them, download them into the model cache (the ``models`` command).

Where a feature extraction then finds a model file is :func:`sklearn_emotion.media.models.model_places`'
order: the folder given explicitly, ``$SKLEARN_EMOTION_WEIGHTS``, the model cache, ``../shared/weights``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["cache_lines", "download_models", "list_models"]


def cache_lines() -> list[str]:
    """Lines saying where the cache is and where files are downloaded from."""
    from ..media.models import models_dir
    from ..media.models import MIRROR_ENV_VAR

    home = os.environ.get("SKLEARN_EMOTION_HOME")
    lines = [f"Model cache: {models_dir()} "
             + ("(from $SKLEARN_EMOTION_HOME)" if home else "(set $SKLEARN_EMOTION_HOME to change it)")]
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if mirror:
        lines.append(f"Downloads from the mirror {mirror} (${MIRROR_ENV_VAR}), not the official addresses.")
    return lines


def _size(size: int | None) -> str:
    from ..media.models import size_text

    return size_text(size) if size is not None else "-"


def list_models(*, echo: Callable[[str], None] = print) -> None:
    """Say where the cache is and, per official model, whether it is cached (path, size) and passes its check.

    Raises
    ------
    ValueError
        Naming the models whose cached file fails its check (once every model is listed).

    Examples
    --------
    >>> from sklearn_emotion.workflows import list_models
    >>> lines = []
    >>> list_models(echo=lines.append)
    >>> lines[0].startswith("Model cache: ")  # the folder, and where it comes from
    True
    >>> any(line.startswith("yamnet ") for line in lines)
    True
    """
    from ..media.models import OFFICIAL_MODELS

    for line in cache_lines():
        echo(line)
    echo("")
    width = max(map(len, OFFICIAL_MODELS))
    failing = []
    for name, model in OFFICIAL_MODELS.items():
        status = model.status()
        state = "cached" if status.ok is not False else "FAILS ITS CHECK"
        state = state if status.cached else "not cached"
        default = "  [default]" if model.default else ""
        echo(f"{name:<{width}}  {state:<10}  {_size(status.size):>8}  {model.description}{default}")
        if not status.cached:
            echo(f"{'':<{width}}  from {model.url}; check: {model.verification}")
        elif status.ok is False:
            failing.append(name)
            echo(f"{'':<{width}}  {status.check}")
        else:
            echo(f"{'':<{width}}  {status.path}: {status.check}")
    if failing:
        raise ValueError(
            f"{', '.join(failing)}: the cached file fails its check (modified or corrupted); download it again with "
            f"`sklearn-emotion models download --force {' '.join(failing)}`."
        )


def _names(requested: Sequence[str]) -> list[str]:
    """The registry names to download: the default models, ``all``, or the names given (checked)."""
    from ..media.models import DEFAULT_MODELS, OFFICIAL_MODELS

    if not requested:
        return list(DEFAULT_MODELS)
    if "all" in requested:
        return list(OFFICIAL_MODELS)
    unknown = [name for name in requested if name not in OFFICIAL_MODELS]
    if unknown:
        raise ValueError(
            f"unknown model {', '.join(map(repr, unknown))}; known: {', '.join(OFFICIAL_MODELS)} (or 'all')."
        )
    return list(dict.fromkeys(requested))


def _progress_bar(name: str, enabled: bool) -> tuple[Callable[[int, int | None], None], Callable[[], None]]:
    """A byte progress bar made at the first call (when the size is known) and a function closing it."""
    bar: Any = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, desc=name, unit="B", unit_scale=True, leave=False, disable=not enabled)
        bar.update(done - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


def download_models(requested: Sequence[str] = (), *, force: bool = False, progress: bool = True,
                    echo: Callable[[str], None] = print) -> list[Path]:
    """Download official models into the model cache; a model already cached is checked and kept, unless ``force``.

    Parameters
    ----------
    requested : sequence of str
        Model names (:data:`sklearn_emotion.media.models.OFFICIAL_MODELS`), or ``"all"``; none: the models
        the default features use.
    force : bool, default=False
        Download again even when cached, and record the new file's SHA-256.
    progress : bool, default=True
        Show a byte progress bar per model.
    echo : callable
        Prints a line per model.

    Returns
    -------
    list of Path
        The cached files, in the order of ``requested``.

    Raises
    ------
    ValueError
        For an unknown name (before any download).
    OSError
        Naming the models that could not be obtained, once the others are downloaded.

    Examples
    --------
    Names are checked before any download:

    >>> from sklearn_emotion.workflows import download_models
    >>> download_models(["no-such-model"])
    Traceback (most recent call last):
        ...
    ValueError: unknown model 'no-such-model'; known: ... (or 'all').

    With network access, ``download_models()`` caches the models the default features use:

    >>> paths = download_models()  # doctest: +SKIP
    """
    from ..media.backbones import BackboneUnavailableError
    from ..media.models import OFFICIAL_MODELS

    names = _names(requested)
    for line in cache_lines():
        echo(line)
    failures, paths = [], []
    for name in names:
        model = OFFICIAL_MODELS[name]
        cached = model.cache_path.is_file() and not force
        update, close = _progress_bar(name, progress)
        try:
            path = model.fetch(force=force, progress=update)
        except (BackboneUnavailableError, OSError) as error:
            failures.append((name, " ".join(str(error).split())))
            echo(f"{name}: FAILED" + (f": {failures[-1][1]}" if len(names) > 1 else ""))
            continue
        finally:
            close()
        status = model.status()
        paths.append(path)
        echo(f"{name}: {'already cached' if cached else 'downloaded'}, {path} ({_size(status.size)}), {status.check}")
    if len(failures) == 1:
        raise OSError(f"{failures[0][0]}: {failures[0][1]}")
    if failures:
        raise OSError(f"{len(failures)} of {len(names)} models could not be obtained: "
                      f"{', '.join(name for name, _ in failures)} (the reasons are above).")
    echo(f"{len(names)} model(s) ready.")
    return paths
