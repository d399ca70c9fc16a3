"""``sklearn-emotion models``: list the official pretrained models, download them into the model cache."""

from __future__ import annotations

import argparse

from ._common import echo, progress_enabled, wrap


def run(args: argparse.Namespace) -> int:
    from ..workflows.models import download_models, list_models

    if args.action == "list":
        list_models(echo=echo)
    else:
        download_models(args.names, force=args.force, progress=progress_enabled(args), echo=echo)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """List the official pretrained models the features use (MobileNet, YAMNet, BlazeFace, the FER model; the
    paper's InceptionV3 and VGGish) and download them from their official addresses into the model cache
    ($SKLEARN_EMOTION_HOME/models, by default in the platform's cache folder). Downloads are atomic and checked:
    against the digest the publisher gives, else against the SHA-256 recorded at the first download. Set
    $SKLEARN_EMOTION_MODEL_MIRROR to a base address (or a folder) holding the files under their cache names to
    download from there. Model files are looked up in this order: the folder given with --weights-dir,
    $SKLEARN_EMOTION_WEIGHTS, the model cache (digest-checked), ../shared/weights beside the checkout (until
    0.2, the model cache came first unless --weights-dir was given).
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
