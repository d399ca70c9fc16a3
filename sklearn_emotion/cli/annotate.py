"""``sklearn-emotion annotate``: rate movies' valence and arousal continuously in the browser."""

from __future__ import annotations

import argparse

from ._common import echo, warn


def run(args: argparse.Namespace) -> int:
    from ..workflows.annotate import annotate_movies

    annotate_movies(args.videos, args.output, rater=args.rater, dimension=args.dimension, host=args.host,
                    port=args.port, open_browser=not args.no_browser, echo=echo,
                    warn=lambda message: warn("annotate", message))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Rate the valence and arousal of movies continuously, in a web browser, as they play. Starts a small
    local web server (Python's standard library, bound to 127.0.0.1), prints its address on a line of its
    own and opens it in the default browser (unless --no-browser): a page lists the movies with each one's
    progress, and each movie's page plays it while the rater keeps a dot on what they feel -- both
    dimensions at once on a 2-D pad (valence left to right, arousal bottom to top, each in [-1, 1]; the
    default), or one dimension on a vertical scale (--dimension valence|arousal) -- with the pointer or the
    arrow keys (left/right valence, up/down arousal, step 0.05). The rating follows the video's time, 20
    samples per second of video at any playback speed (the pointer is read once per screen frame, so above
    about 3x at 60 frames per second neighbouring samples repeat a value); pausing is allowed, and seeking back re-rates what
    is played again (the newest pass wins). The page saves every second: each batch is appended to
    DIR/RATER/<movie>.journal (fsync'd) before DIR/RATER/<movie>.trace.csv (video_time,valence,arousal: the
    current rating) and DIR/RATER/<movie>.csv (Time,Valence,Arousal per second, NaN where unrated; the
    input of `annotations merge`) are rewritten, so a browser or server killed loses at most the last
    seconds; running the command again on the same DIR and rater resumes each movie at its last rated
    second. Every request must carry the URL's random token, name this server as its Host (with --host
    0.0.0.0 or ::, one of this machine's names or addresses) and, when the browser gives its Origin, come
    from this server's pages (403 otherwise); only the videos given are served; a movie whose name ends in
    .trace is refused (its DIR/RATER/<movie>.csv would read as a trace). Ctrl-C stops the server (exit
    status 130) once the batch being received is saved.
    """
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="movie files, or folders of them "
                        "(the browser must play their codecs: H.264/AAC MP4 or VP9/Opus WebM are safe)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="ratings folder (the files go to DIR/RATER/)")
    parser.add_argument("--rater", required=True, metavar="NAME",
                        help="the rater's name: ASCII letters, digits, '.', '_' or '-', starting with a letter or "
                             "digit, at most 64 characters")
    parser.add_argument("--dimension", choices=("both", "valence", "arousal"), default="both",
                        help="rate both on a 2-D pad (default), or one on a vertical scale")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only; another address is warned "
                             "about: anyone reaching it with the token can rate and read the videos; 0.0.0.0 or :: "
                             "binds every interface and accepts only this machine's names and addresses as Host)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: 0, a free port)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser; open the printed "
                        "address yourself")
