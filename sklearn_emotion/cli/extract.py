"""``sklearn-emotion extract``: videos -> per-second features, every finished movie kept."""

from __future__ import annotations

import argparse

from ._common import echo, progress_enabled
from ._features import add_feature_options, feature_spec_from_args
from ._options import add_missing_audio_option, add_n_jobs_option


def run(args: argparse.Namespace) -> int:
    from ..workflows.extract import extract_to_folder

    spec, notes = feature_spec_from_args(args)
    extract_to_folder(args.videos, args.output, spec, notes=notes, n_jobs=args.n_jobs, cache_dir=args.cache_dir,
                      overwrite=args.overwrite, missing_audio=args.missing_audio, progress=progress_enabled(args),
                      echo=echo)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Decode each video once at one frame (and one second of sound) per second and embed it with
    every modality at once. Writes DIR/<movie>.npz (one array per modality, one row per second) as
    soon as each movie is done, and DIR/features.json (the settings, used by `fit` so that `predict`
    can take videos). A movie already extracted with the same settings from the same file content is
    skipped, so an interrupted run resumes where it stopped, and a replaced video is extracted again.
    A movie that fails (corrupt file, no audio track, tracks of different lengths) fails alone: the
    others are saved, a summary names each failed file, and the exit status is 1. With --image none
    --face none, audio files (.mp3, .wav, .flac, .m4a, ...) are taken too.
    """
    parser.add_argument("videos", nargs="+", metavar="VIDEO",
                        help="video files or folders of videos (audio files too when only audio is extracted)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the feature files")
    add_feature_options(parser)
    add_n_jobs_option(parser, "movies processed in parallel")
    parser.add_argument("--cache-dir", metavar="DIR", help="embedder cache (reused across folders and runs)")
    parser.add_argument("--overwrite", action="store_true", help="re-extract movies that already have features")
    add_missing_audio_option(parser, default="error")
