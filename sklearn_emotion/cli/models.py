"""``sklearn-emotion models``: list the official pretrained models, download them into the model cache."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import Any

from ._common import CommandError, echo, progress_enabled, wrap


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list()
    return _download(args.names, force=args.force, progress=progress_enabled(args))


def _where() -> list[str]:
    """Lines saying where the cache is and where files are downloaded from."""
    from ..media.backbones import models_dir
    from ..media.models import MIRROR_ENV_VAR

    home = os.environ.get("SKLEARN_EMOTION_HOME")
    lines = [f"Model cache: {models_dir()} "
             + ("(from $SKLEARN_EMOTION_HOME)" if home else "(set $SKLEARN_EMOTION_HOME to change it)")]
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if mirror:
        lines.append(f"Downloads from the mirror {mirror} (${MIRROR_ENV_VAR}), not the official addresses.")
    return lines


def _size(size: int | None) -> str:
    from ..media.models import _size_text

    return _size_text(size) if size is not None else "-"


def _list() -> int:
    from ..media.models import OFFICIAL_MODELS

    for line in _where():
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
        raise CommandError(
            f"{', '.join(failing)}: the cached file fails its check (modified or corrupted); download it again with "
            f"`sklearn-emotion models download --force {' '.join(failing)}`."
        )
    return 0


def _names(requested: Sequence[str]) -> list[str]:
    """The registry names to download: the default models, ``all``, or the names given (checked)."""
    from ..media.models import DEFAULT_MODELS, OFFICIAL_MODELS

    if not requested:
        return list(DEFAULT_MODELS)
    if "all" in requested:
        return list(OFFICIAL_MODELS)
    unknown = [name for name in requested if name not in OFFICIAL_MODELS]
    if unknown:
        raise CommandError(
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


def _download(requested: Sequence[str], *, force: bool, progress: bool) -> int:
    from ..media.backbones import BackboneUnavailableError
    from ..media.models import OFFICIAL_MODELS

    names = _names(requested)
    for line in _where():
        echo(line)
    failures = []
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
        echo(f"{name}: {'already cached' if cached else 'downloaded'}, {path} ({_size(status.size)}), {status.check}")
    if len(failures) == 1:
        raise CommandError(f"{failures[0][0]}: {failures[0][1]}")
    if failures:
        raise CommandError(f"{len(failures)} of {len(names)} models could not be obtained: "
                           f"{', '.join(name for name, _ in failures)} (the reasons are above).")
    echo(f"{len(names)} model(s) ready.")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """List the official pretrained models the features use (MobileNet, YAMNet, BlazeFace, the FER model; the
    paper's InceptionV3 and VGGish) and download them from their official addresses into the model cache
    ($SKLEARN_EMOTION_HOME/models, by default in the platform's cache folder). Downloads are atomic and checked:
    against the digest the publisher gives, else against the SHA-256 recorded at the first download. Set
    $SKLEARN_EMOTION_MODEL_MIRROR to a base address (or a folder) holding the files under their cache names to
    download from there. `extract` and `demo` use cached models before a weights folder.
    """
    parser.epilog = ("examples:\n  sklearn-emotion models list\n"
                     "  sklearn-emotion models download          # the small models of the default features\n"
                     "  sklearn-emotion models download all      # also the paper's InceptionV3 and VGGish\n"
                     "  SKLEARN_EMOTION_MODEL_MIRROR=http://intranet/models/ sklearn-emotion models download")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    formatter = parser.formatter_class
    listing = actions.add_parser(
        "list", formatter_class=formatter, help="the models, whether each is cached, its size and its check",
        description=wrap("List the official models: whether each is cached (path, size) and whether the cached "
                         "file passes its check (exit status 1 when one does not)."),
    )
    download = actions.add_parser(
        "download", formatter_class=formatter,
        help="download models into the cache (default: those the default features use)",
        description=wrap("Download the named models (default: the small ones the default features use; 'all': "
                         "also the paper's InceptionV3 and VGGish, a few hundred MB) into the model cache. A model "
                         "already cached is checked and kept, unless --force."),
        epilog="examples:\n  sklearn-emotion models download\n  sklearn-emotion models download all\n"
               "  sklearn-emotion models download --force yamnet",
    )
    download.add_argument("names", nargs="*", metavar="NAME", help="model names (see `models list`) or 'all'")
    download.add_argument("--force", action="store_true",
                          help="download again even when cached, and record the new file's SHA-256")
    download.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    for action in (listing, download):  # also after the action; SUPPRESS keeps a value given before it
        action.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                            help="show the native libraries' logs")
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                            help="show the traceback of an error")
