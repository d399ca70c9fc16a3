"""Options shared by several commands, each defined here once (the commands only choose their help's subject)."""

from __future__ import annotations

from typing import Any

#: Where an official model file is looked for, first to last (stated by ``models --help`` and docs/cli.md).
LOOKUP_ORDER = ("the folder given with --weights-dir, $SKLEARN_EMOTION_WEIGHTS, the model cache (digest-checked), "
                "../shared/weights beside the checkout")

_Parser = Any  # an ArgumentParser or one of its argument groups


def add_weights_dir_option(parser: _Parser, help: str | None = None) -> None:
    """``--weights-dir DIR``: the folder of small pretrained models, looked in before the other places."""
    parser.add_argument("--weights-dir", metavar="DIR",
                        help=help or ("folder holding the pretrained model files the model's features need, "
                                      f"looked in first (order: {LOOKUP_ORDER})"))


def add_trust_model_option(parser: _Parser) -> None:
    """``--trust-model``: load a pickle-based model file (it can run any code)."""
    parser.add_argument("--trust-model", action="store_true",
                        help="load a pickle-based model file (.joblib of sklearn-emotion 0.1): it can run any "
                             "code, so only for files from a source you trust")


def add_n_jobs_option(parser: _Parser, help: str = "videos processed in parallel") -> None:
    """``--n-jobs N``: how many movies are processed at once (default: one at a time)."""
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help=help)


def add_missing_audio_option(parser: _Parser, default: str | None = None) -> None:
    """``--missing-audio``: what a video without sound track gets (extract's default ``error``; predict and
    report read the model's policy when ``default`` is None)."""
    recorded = ("default: the policy the model's features were extracted with (recorded by `fit`), else error"
                if default is None else f"default: {default}")
    parser.add_argument("--missing-audio", choices=("error", "silence"), default=default,
                        help="a video without sound track fails (error) or gets the features of silence, with a "
                             f"warning naming it (silence); {recorded}")


def add_model_video_options(parser: _Parser) -> None:
    """The options of the commands that read videos with a saved model (predict, report)."""
    add_n_jobs_option(parser)
    add_missing_audio_option(parser)
    add_weights_dir_option(parser)
    add_trust_model_option(parser)



def add_max_length_difference_option(parser: _Parser, between: str) -> None:
    """``--max-length-difference S``: seconds by which a movie's two files (``between``) may differ in length."""
    import inspect

    from ..workflows.corpus import load_feature_corpus
    from ._common import non_negative_seconds

    default = inspect.signature(load_feature_corpus).parameters["max_length_difference"].default
    parser.add_argument("--max-length-difference", type=non_negative_seconds, default=default, metavar="S",
                        help=f"accepted difference in seconds between {between} (default %(default)s; they are cut "
                             "to the shorter); more is an error")
