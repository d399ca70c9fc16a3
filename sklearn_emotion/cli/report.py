"""``sklearn-emotion report``: a model + videos -> HTML pages playing each movie over its emotion curves."""

from __future__ import annotations

import argparse

from ._common import echo, progress_enabled, warn
from ._options import add_model_video_options


def run(args: argparse.Namespace) -> int:
    from ..workflows.report import report_to_folder

    report_to_folder(args.model, args.videos, args.output, trust_pickle=args.trust_model,
                     annotations=args.annotations, proxy=args.proxy, n_peaks=args.peaks,
                     peak_distance=args.peak_distance, overwrite=args.overwrite, weights_dir=args.weights_dir,
                     n_jobs=args.n_jobs, missing_audio=args.missing_audio, explain=args.explain,
                     progress=progress_enabled(args), echo=echo, warn=lambda message: warn("report", message))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Write an HTML page per movie that plays the movie with its predicted valence and arousal drawn under
    it: a cursor follows playback, a click on the curves seeks the video, the peaks of arousal are listed as
    times to jump to, and with --annotations the annotation is drawn too and the page gives the movie's MSE
    and Pearson r. When the model also predicts the viewers' standard deviation (fitted with
    predict_std=True), the band prediction +- std and the peaks of disagreement are shown. Writes DIR/<movie>.html, and
    DIR/index.html linking them when there are several movies. The pages need no network (style, script
    and data are inside them) and link each video by its path relative to DIR, so keep the videos where
    they are; --proxy writes a small WebM copy of each (DIR/media/<movie>.webm, VP9 + Opus) for a
    browser that cannot play the original codec or a folder that travels on its own. The videos'
    features are extracted as the model's were (see `predict`; --missing-audio likewise); a
    pickle-based model needs --trust-model. A movie that fails (unreadable video, no sound track, a
    malformed annotation file, NaN or infinite predictions) fails alone: the others' pages are
    written, a summary names each failed file, and the exit status is 1. Each page records the
    SHA-256 of the model file: DIR holding pages of another model is refused unless --overwrite.
    With --explain, a "what drives this moment" band under each curve stacks what each modality
    (image, audio, face) contributes every second, and each arousal peak names the modality
    contributing most.
    """
    parser.add_argument("model", metavar="MODEL", help="model file written by `fit` (.skops)")
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="movie files, or folders of them")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the HTML pages")
    parser.add_argument("--annotations", metavar="DIR",
                        help="annotation folder (<movie>_Valence-Arousal.txt, <movie>.csv, ... as for `fit`): "
                             "draws the annotation and gives each movie's scores")
    parser.add_argument("--proxy", action="store_true",
                        help="play a small WebM copy (VP9 + Opus, at most 360 lines) written to DIR/media "
                             "instead of the original file")
    parser.add_argument("--peaks", type=int, default=5, metavar="N", help="peaks of arousal listed per movie "
                        "(default: 5)")
    parser.add_argument("--peak-distance", type=float, default=10.0, metavar="SECONDS",
                        help="smallest time between two listed peaks (default: 10)")
    parser.add_argument("--explain", action="store_true",
                        help="draw under each curve what each modality contributes every second (exact Shapley "
                             "values of the modalities, stacked; their sum is the prediction minus the prediction "
                             "with every modality replaced by its mean training features) and name the modality "
                             "contributing most to each arousal peak. Costs 2^M predictions per movie for M "
                             "modalities (8 for image, audio and face) instead of 1, 2^M + 1 for a model that "
                             "predicts the viewers' std")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the report of another model in DIR (its pages are removed)")
    add_model_video_options(parser)
