"""Rate movies continuously in the browser: the ``annotate`` command.

A local web server (:class:`~sklearn_emotion.annotation.server.AnnotationServer`) serves a page per
movie that plays it and records the rater's valence/arousal on the video's time; every batch of
samples is saved durably as it arrives (:class:`~sklearn_emotion.annotation.store.MovieRating`):
``DIR/<rater>/<movie>.trace.csv`` (the current rating), ``<movie>.csv`` (1 Hz) and
``<movie>.journal`` (the record the others are rebuilt from).  Running it again on the same folder
and rater resumes each movie at its last rated second.
"""

from __future__ import annotations

import os
import threading
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .movies import VIDEO_SUFFIXES

__all__ = ["annotate_movies"]


def annotate_movies(videos: Sequence[str | os.PathLike], output: str | os.PathLike, *, rater: str,
                    dimension: str = "both", host: str = "127.0.0.1", port: int = 0, open_browser: bool = True,
                    echo: Callable[[str], None] = print, warn: Callable[[str], None] | None = None,
                    on_ready: Callable[[Any], None] | None = None) -> dict[str, dict[str, Any]]:
    """Serve the rating pages of ``videos`` until interrupted (Ctrl-C), saving the ratings into ``output/rater``.

    Parameters
    ----------
    videos : sequence of path-like
        Movie files, or folders of them; names (file stems) must differ.
    output : path-like
        The ratings folder: this rater's files go to ``output/<rater>/``.
    rater : str
        The rater's name: 1 to 64 ASCII letters, digits, ``.``, ``_`` or ``-``, starting with a letter
        or digit.
    dimension : {"both", "valence", "arousal"}, default="both"
        Both at once on a 2-D pad, or one on a vertical scale (the other is NaN in the files).
    host : str, default="127.0.0.1"
        Address to bind; anything but a loopback address makes the page reachable from other machines
        (anyone who also has the URL's token): ``warn`` says so.
    port : int, default=0
        Port; 0 = a free one.
    open_browser : bool, default=True
        Open the URL in the default web browser.
    echo : callable, default=print
        Receives the URL (a line of its own, at once) and the final summary.
    warn : callable, optional
        Receives the warning about a non-loopback ``host`` and failures to save (default: ``echo``).
    on_ready : callable, optional
        Called with the running :class:`~sklearn_emotion.annotation.server.AnnotationServer` (tests).

    Returns
    -------
    dict
        ``{movie: state}`` (:meth:`~sklearn_emotion.annotation.store.MovieRating.state`) when the server
        is stopped by :meth:`close` from ``on_ready``'s thread; a KeyboardInterrupt is re-raised once
        the server is closed (every batch received is saved by then).

    Raises
    ------
    ValueError, FileNotFoundError, OSError
        Before serving: a bad rater name or dimension, a feature file, two videos of one name, a
        missing video, an output folder that cannot be written, a damaged journal, a busy port.

    Examples
    --------
    Serves until Ctrl-C; the command ``sklearn-emotion annotate`` calls it:

    >>> from sklearn_emotion.workflows import annotate_movies
    >>> states = annotate_movies(["movies/"], "ratings", rater="ann")  # doctest: +SKIP
    Rating 2 movie(s) as ann into ratings/ann; open this address in a web browser (Ctrl-C stops):
    http://127.0.0.1:.../?token=...
    ...
    """
    from ..annotation.server import AnnotationServer, is_loopback

    warn = warn or echo
    folder, videos = _check_inputs(videos, output, rater)
    server = AnnotationServer(videos, folder, rater=rater, dimension=dimension, host=host, port=port, warn=warn)
    try:
        if not is_loopback(host):
            warn(f"serving on {host}, not on this machine only: anyone who can reach port {server.port} and "
                 "knows the URL's token can read the videos and send ratings.")
        echo(f"Rating {len(videos)} movie(s) as {rater} into {folder}; open this address in a web browser "
             "(Ctrl-C stops):")
        echo(server.url)
        if open_browser:  # in a thread: some browsers' launchers wait until the browser exits
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        if on_ready is not None:
            on_ready(server)
        server.serve_forever()
    finally:
        server.close()
        for rating in server.ratings.values():
            state = rating.state()
            rated = "not rated" if not state["samples"] else (
                f"{100 * (state['rated'] or 0):.0f} % rated, up to {state['last_time']:.1f} s")
            echo(f"  {rating.movie}: {rated} -> {rating.trace_file}")
    return {name: rating.state() for name, rating in server.ratings.items()}


def _check_inputs(videos: Sequence[str | os.PathLike], output: str | os.PathLike,
                  rater: str) -> tuple[Path, list[Path]]:
    """The rater's folder (writable) and the videos, once the names are known to be usable."""
    from ..annotation.store import check_rater
    from ..files import FEATURE_SUFFIX, check_writable, find_files

    check_rater(rater)
    found = find_files(videos, VIDEO_SUFFIXES, "video file")  # refuses two videos of one name
    features = [video for video in found if video.suffix.lower() == FEATURE_SUFFIX]
    if features:
        raise ValueError(f"{features[0]} is a feature file: rating needs the movie itself (a video file).")
    traces = [video for video in found if video.stem.lower().endswith(".trace")]
    if traces:  # its 1-Hz file <movie>.csv would read as a trace file (<name>.trace.csv): merge would skip it
        raise ValueError(f"the movie name {traces[0].stem!r} ends in '.trace': its ratings file {traces[0].stem}.csv "
                         f"would be taken for a trace file (and another movie's trace file could be its own); "
                         f"rename {traces[0]}.")
    return check_writable(Path(output) / rater), found
