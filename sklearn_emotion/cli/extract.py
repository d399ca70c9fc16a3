"""``sklearn-emotion extract``: videos -> per-second features, every finished movie kept."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ._common import (
    AUDIO_SUFFIXES,
    VIDEO_SUFFIXES,
    CommandError,
    add_feature_options,
    collect,
    device_line,
    echo,
    feature_spec_from_args,
    one_line,
    progress_enabled,
)
from ._options import add_missing_audio_option, add_n_jobs_option


def _inputs_to_extract(args: argparse.Namespace, spec: dict[str, Any]) -> list[Path]:
    """The movie files named on the command line; audio files too when only audio is extracted."""
    audio_only = set(spec) == {"audio"}
    suffixes = VIDEO_SUFFIXES + AUDIO_SUFFIXES if audio_only else VIDEO_SUFFIXES
    try:
        return collect(args.videos, suffixes, "movie or audio file" if audio_only else "video file")
    except CommandError as error:
        folders = [Path(p) for p in args.videos if Path(p).is_dir()]
        if not audio_only and any(f.suffix.lower() in AUDIO_SUFFIXES for d in folders for f in d.iterdir()):
            raise CommandError(f"{error} It holds audio files: to extract audio features only, add "
                               "--image none --face none.") from None
        raise


def _settings_error(error: Exception) -> CommandError:
    return CommandError(f"{error}\nUse another output folder, or --overwrite to replace them.")


def run(args: argparse.Namespace) -> int:
    from ..extraction import feature_union
    from ..feature_folder import MANIFEST, FeatureFolder, FolderSettingsError
    from ..files import FEATURE_SUFFIX, check_writable
    from ..media.cache import content_digest

    spec, notes = feature_spec_from_args(args)
    videos = _inputs_to_extract(args, spec)
    for note in notes:
        echo(note)
    echo(device_line())
    folder = FeatureFolder(args.output)
    if folder.path.exists() and not folder.path.is_dir():
        raise CommandError(f"-o {folder.path}: a file of that name exists; the output must be a folder.")
    check_writable(folder.path)  # a read-only folder is found before any movie is extracted
    refusal = folder.refusal(spec)
    if refusal is not None and not args.overwrite:  # checked again under the lock before the first and every movie
        raise _settings_error(refusal)
    contents = {video: content_digest(video) for video in videos}  # the skip key: a replaced file is redone
    todo = [v for v in videos if args.overwrite or not folder.is_done(v.stem, contents[v], spec)]
    if len(todo) < len(videos):
        echo(f"{len(videos) - len(todo)} movie(s) already extracted in {folder.path}, skipped (--overwrite to redo).")
    failures: dict[Path, Exception] = {}
    union = None
    if todo:
        union = feature_union(spec, n_jobs=args.n_jobs, cache_dir=args.cache_dir,
                              progress=progress_enabled(args), missing_audio=args.missing_audio)
        try:  # the folder's settings are recorded before the first movie, so that another run sees them
            folder.claim(spec, args.missing_audio, overwrite=args.overwrite)
        except FolderSettingsError as error:
            raise _settings_error(error) from None
    try:
        if union is not None:
            echo(f"Extracting {len(todo)} movie(s)...")
            for index, result in union.iter_transform([os.fspath(v) for v in todo], on_error="return"):
                video = todo[index]
                if not isinstance(result, Exception):
                    try:  # on disk at once: an interruption or a later failure keeps it
                        folder.save(video.stem, result, source=video, content=contents[video], spec=spec,
                                    missing_audio=args.missing_audio)
                    except (FolderSettingsError, OSError) as error:  # e.g. a name too long: this movie alone
                        result = error
                if isinstance(result, Exception):
                    failures[video] = result
                    echo(f"FAILED {video}: {one_line(result)}")
    finally:
        manifest, manifest_error = None, None
        try:
            manifest = folder.write_manifest(spec, args.missing_audio)
        except OSError as error:  # e.g. a full disk: said with the failures, not instead of them
            manifest_error = error
    if manifest is not None:
        done = sum(1 for v in videos if v.stem in manifest["movies"])
        echo(f"Features of {done} of {len(videos)} movie(s) in {folder.path} (one {FEATURE_SUFFIX} per movie).")
    problems = []
    if failures:
        lines = "\n".join(f"  {video}: {one_line(error)}" for video, error in failures.items())
        problems.append(f"{len(failures)} movie(s) failed; the others are saved, rerun to retry:\n{lines}")
    if manifest_error is not None:
        problems.append(f"{one_line(manifest_error)}: the feature files saved are kept, and the next run into "
                        f"{folder.path} writes {MANIFEST} again.")
    if problems:
        raise CommandError("\n".join(problems))
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
