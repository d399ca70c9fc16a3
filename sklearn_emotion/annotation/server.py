"""The local web server of ``sklearn-emotion annotate``: the rating pages, the videos, and the samples' receipt.

Standard library only (:class:`http.server.ThreadingHTTPServer`): the server talks to one browser on
the rater's machine, so a web framework would add a dependency and nothing the page needs.

Security, because any web page the rater visits meanwhile can send requests to a local port:

* every request carries the session's random token (``?token=``, from :func:`secrets.token_urlsafe`),
  compared in constant time: 403 otherwise;
* the ``Host`` header must name the bound address and port (``127.0.0.1`` and ``localhost`` are
  aliases of each other; no port means 80): 403 otherwise, which defeats DNS rebinding; bound to
  every interface (``0.0.0.0``, ``::``), the name may be any of this machine's own: ``localhost``,
  its loopback addresses, its host name, the addresses that name resolves to, and the address the
  request arrived on; an ``Origin`` header, when present, must be this server's own origin (the
  same names): 403 otherwise;
* only the videos named on the command line are served, by their index (``/video/0``), never by a
  path: nothing else on disk can be reached;
* it binds to 127.0.0.1 unless told otherwise (the caller warns when it is not a loopback address).

Routes (all ``GET`` but the samples): ``/`` the list of movies, ``/movie/<i>`` the rating page of
movie ``i``, ``/static/<name>`` its script and style, ``/video/<i>`` the video (with HTTP ``Range``
requests, which browsers need to seek), ``/api/movies`` every movie's state (JSON), and ``POST
/api/samples/<i>`` a batch of samples (JSON; a list of batches from ``navigator.sendBeacon``).
"""

from __future__ import annotations

import html
import http.server
import ipaddress
import json
import mimetypes
import os
import re
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .store import MovieRating

__all__ = ["DIMENSIONS", "AnnotationServer", "is_loopback"]

#: What the page rates: both dimensions on a 2-D pad, or one on a vertical scale.
DIMENSIONS = ("both", "valence", "arousal")
STATIC_FILES = {"annotate.js": "text/javascript; charset=utf-8", "annotate.css": "text/css; charset=utf-8"}
MAX_BODY_BYTES = 4 * 1024 * 1024
CHUNK = 256 * 1024
_WILDCARDS = ("0.0.0.0", "::")
_LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_ROUTE = re.compile(r"/(?:(?P<page>movie|video|api/samples)/(?P<index>[0-9]{1,6})|(?P<name>api/movies)|"
                    r"static/(?P<static>[a-z]+\.(?:js|css))|)")
_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]/@]*)(?::([0-9]{1,5}))?")
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                     "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
_PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; connect-src 'self'; "
                "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bracketed(address: str) -> str:
    """An address as a Host header writes it: IPv6 in brackets, names in lower case."""
    address = address.split("%")[0]  # an IPv6 zone ("fe80::1%eth0") is never in a Host header
    return f"[{address}]" if ":" in address else address.lower()


def _machine_names() -> set[str]:
    """This machine's own names and addresses, as a Host header writes them."""
    names = {*_LOOPBACK_NAMES, "[::1]"}
    try:
        hostname = socket.gethostname()
        names |= {hostname.lower(), socket.getfqdn().lower()}
        names |= {_bracketed(info[4][0]) for info in socket.getaddrinfo(hostname, None)}
    except OSError:  # a host name that does not resolve: its name is still this machine's
        pass
    return names


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a video still streaming does not keep the process alive; batches: see close()
    app: AnnotationServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that drops a video connection while seeking is normal: say nothing about it.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class AnnotationServer:
    """Serve the rating pages of ``videos`` and save what the rater sends into ``folder``.

    Parameters
    ----------
    videos : sequence of path-like
        The movies, each named after its file's stem (stems must differ).
    folder : path-like
        The rater's folder (``DIR/<rater>``): :class:`~sklearn_emotion.annotation.store.MovieRating`
        files per movie.
    rater : str
        The rater's name, shown on the page.
    dimension : {"both", "valence", "arousal"}, default="both"
        Both on a 2-D pad, or one on a vertical scale.
    host : str, default="127.0.0.1"
        Address to bind.
    port : int, default=0
        Port to bind; 0 = a free port chosen by the system.
    token : str, optional
        The secret every request must carry (default: :func:`secrets.token_urlsafe` of 32 bytes).
    warn : callable, optional
        Called with a message when a batch cannot be saved (the page is told too).

    Attributes
    ----------
    url : str
        The address to open (the list of movies), token included.
    ratings : dict of str to MovieRating
        Each movie's rating, by name.
    """

    def __init__(self, videos: Sequence[str | os.PathLike], folder: str | os.PathLike, *, rater: str,
                 dimension: str = "both", host: str = "127.0.0.1", port: int = 0, token: str | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        if dimension not in DIMENSIONS:
            raise ValueError(f"dimension must be one of {DIMENSIONS}, got {dimension!r}.")
        self.videos = [Path(video) for video in videos]
        names = [video.stem for video in self.videos]
        if len(set(names)) != len(names):
            raise ValueError(f"two videos share a movie name: {sorted(n for n in names if names.count(n) > 1)}.")
        self.rater, self.dimension, self.warn = rater, dimension, warn
        self.token = token or secrets.token_urlsafe(32)
        self.ratings = {name: MovieRating(folder, name) for name in names}
        self.lock = threading.Lock()  # one batch saved at a time; close() waits for the one being saved
        self.closed = False
        server_class = type("_Server", (_HTTPServer,), {"address_family": _family(host)})
        self.httpd = server_class((host, port), _Handler)
        self.httpd.app = self
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._own_names = _machine_names() if host in _WILDCARDS else set()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------- addresses
    @property
    def url(self) -> str:
        return self.address("/")

    def address(self, path: str) -> str:
        """The full URL of ``path`` on this server, token included."""
        host = "127.0.0.1" if self.host in _WILDCARDS else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{path}?token={self.token}"

    def movie_url(self, movie: str | int) -> str:
        """The rating page of ``movie`` (its name or index)."""
        index = movie if isinstance(movie, int) else list(self.ratings).index(movie)
        return self.address(f"/movie/{index}")

    def allowed_hosts(self, local_address: str | None = None) -> set[str]:
        """The accepted ``Host`` names (without port): the bound address and its aliases; bound to every
        interface, this machine's own names and addresses, and ``local_address`` (where a request arrived)."""
        if self.host in _WILDCARDS:
            names = set(self._own_names)
            if local_address:
                names.add(_bracketed(local_address))
                if local_address.lower().startswith("::ffff:") and "." in local_address:  # IPv4 on a dual socket
                    names.add(local_address[7:])
            return names
        if is_loopback(self.host):
            return {*_LOOPBACK_NAMES, "[::1]"} if ":" in self.host else set(_LOOPBACK_NAMES)
        return {_bracketed(self.host)}

    def accepts_host(self, authority: str, local_address: str | None = None) -> bool:
        """Whether a ``Host`` header's value (``name[:port]``, no port = 80) names this server."""
        match = _AUTHORITY.fullmatch(authority.strip())
        if match is None:
            return False
        name, port = match.groups()
        return int(port or 80) == self.port and name.lower() in self.allowed_hosts(local_address)

    # -------------------------------------------------------------------- running
    def serve_forever(self) -> None:
        """Serve until :meth:`close` (from another thread) or an exception such as KeyboardInterrupt."""
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> AnnotationServer:
        """Serve in a background thread (tests, notebooks); :meth:`close` stops it."""
        self._thread = threading.Thread(target=self.serve_forever, name="annotate-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving; a batch being saved is saved first, later ones are refused (503)."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        with self.lock:
            self.closed = True
        self.httpd.server_close()

    def __enter__(self) -> AnnotationServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------------- content
    def states(self) -> list[dict[str, Any]]:
        """Each movie's :meth:`~sklearn_emotion.annotation.store.MovieRating.state`, with what another
        process saved into the folder meanwhile."""
        for rating in self.ratings.values():
            rating.refresh()
        return [rating.state() for rating in self.ratings.values()]

    def page(self, index: int | None) -> bytes:
        """The HTML of the list of movies (``index`` None) or of movie ``index``'s rating page."""
        movies = [{"name": name, "url": self.movie_url(i), "state": state}
                  for i, (name, state) in enumerate(zip(self.ratings, self.states()))]
        config = {"rater": self.rater, "dimension": self.dimension, "token": self.token, "movies": movies,
                  "samples_url": None if index is None else self.address(f"/api/samples/{index}"),
                  "video_url": None if index is None else self.address(f"/video/{index}"),
                  "index_url": self.url, "movie": None if index is None else index}
        title = "movies to rate" if index is None else movies[index]["name"]
        template = resources.files(__package__).joinpath("static", "annotate.html").read_text(encoding="utf-8")
        data = json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        values = {"title": html.escape(f"{title} - {self.rater} - sklearn-emotion annotate"), "token": self.token,
                  "config": data}
        # One pass: a movie named "{{config}}" stays a name.
        return re.sub(r"\{\{(title|token|config)\}\}", lambda m: values[m.group(1)], template).encode()

    def save(self, index: int, payload: Any) -> dict[str, Any]:
        """Save one batch (a JSON object) or several (a list); the movie's new state."""
        rating = list(self.ratings.values())[index]
        batches = payload if isinstance(payload, list) else [payload]
        with self.lock:
            if self.closed:
                raise ConnectionAbortedError("the annotate server is stopping")
            for batch in batches:
                if not isinstance(batch, dict):
                    raise ValueError(f"movie {rating.movie}: a batch must be a JSON object, got {type(batch).__name__}.")
                rating.add(batch)
            return rating.state()


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a batch may hold (JSON has none).")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class _Handler(http.server.BaseHTTPRequestHandler):
    """One request: checks (host, token, origin), then the route."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 60  # a connection idle this long is closed (its thread ends)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal shows the URL and the summary, not every request

    # -------------------------------------------------------------------- checks
    def _refusal(self, query: dict[str, list[str]]) -> str | None:
        app = self.server.app
        local_address = self.connection.getsockname()[0]
        if not app.accepts_host(self.headers.get("Host") or "", local_address):
            return "wrong Host header"
        origin = self.headers.get("Origin")
        if origin is not None:
            scheme, _, rest = origin.partition("://")
            if scheme != "http" or not app.accepts_host(rest, local_address):
                return "request from another origin"
        tokens = query.get("token", [])
        if len(tokens) != 1 or not secrets.compare_digest(tokens[0].encode(), app.token.encode()):
            return "missing or wrong token"
        return None

    def _route(self) -> tuple[re.Match | None, str | None]:
        parts = urlsplit(self.path)
        refusal = self._refusal(parse_qs(parts.query, keep_blank_values=True))
        if refusal is not None:
            self._send_text(403, f"403 forbidden: {refusal}.")
            return None, refusal
        match = _ROUTE.fullmatch(parts.path)  # the raw path: an encoded "..", "/" or "%00" never matches
        index = match and match.group("index")
        if match is None or (index is not None and int(index) >= len(self.server.app.ratings)) or (
                match.group("static") is not None and match.group("static") not in STATIC_FILES):
            self._send_text(404, "404 not found.")
            return None, "not found"
        return match, None

    # -------------------------------------------------------------------- responses
    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if self.close_connection:
            headers = {**(headers or {}), "Connection": "close"}
        for name, value in {**_SECURITY_HEADERS, "Content-Type": content_type,
                            "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_text(self, status: int, text: str) -> None:
        if status >= 400:  # a refused request's body may be unread: never reuse the connection
            self.close_connection = True
        self._send(status, text.encode() + b"\n", "text/plain; charset=utf-8")

    def _send_json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def do_HEAD(self) -> None:  # noqa: N802 - the base class's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        match, _ = self._route()
        if match is None:
            return
        app = self.server.app
        if match.group("page") == "api/samples":
            self._send_text(405, "405: send samples with POST.")
        elif match.group("static") is not None:
            name = match.group("static")
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            self._send(200, body, STATIC_FILES[name])
        elif match.group("name") == "api/movies":
            self._send_json(200, app.states())
        elif match.group("page") == "video":
            self._send_video(app.videos[int(match.group("index"))])
        else:
            index = None if match.group("page") is None else int(match.group("index"))
            self._send(200, app.page(index), "text/html; charset=utf-8", {"Content-Security-Policy": _PAGE_POLICY})

    def do_POST(self) -> None:  # noqa: N802
        match, _ = self._route()
        if match is None:
            return
        if match.group("page") != "api/samples":
            self._send_text(405, "405: only samples are sent with POST.")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send_text(411, "411: Content-Length required.")
            return
        if not 0 < length <= MAX_BODY_BYTES:
            self._send_text(413, f"413: a batch must be 1 byte to {MAX_BODY_BYTES} bytes, got {length}.")
            self.close_connection = True
            return
        self._save(int(match.group("index")), self.rfile.read(length))

    def _save(self, index: int, body: bytes) -> None:
        app = self.server.app
        movie = list(app.ratings)[index]
        try:
            state = app.save(index, json.loads(body, parse_constant=_no_constant))
        except (ValueError, UnicodeDecodeError) as exc:  # json.JSONDecodeError is a ValueError
            self._send_json(400, {"error": str(exc) if movie in str(exc) else f"movie {movie}: {exc}"})
        except RecursionError:
            self._send_json(400, {"error": f"movie {movie}: the JSON is nested too deeply to be a batch."})
        except ConnectionAbortedError as exc:
            self.close_connection = True  # the page's retry then reaches whatever serves this port next
            self._send_json(503, {"error": str(exc)})
        except OSError as exc:  # a full disk, a folder removed: the page says "not saved" and retries
            if app.warn is not None:
                app.warn(f"could not save the samples of movie {list(app.ratings)[index]}: {exc}")
            self._send_json(500, {"error": f"not saved: {exc}"})
        else:
            self._send_json(200, state)

    def _send_video(self, path: Path) -> None:
        """The video file, or the byte range asked for (206), streamed in chunks."""
        size = path.stat().st_size
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        start, end, status = 0, size - 1, 200
        requested = self.headers.get("Range")
        if requested and "," in requested:  # several ranges: RFC 9110 lets a server ignore Range, and send it all
            requested = None
        match = _RANGE.fullmatch(requested.strip()) if requested else None
        if requested and (match is None or match.groups() == ("", "")):
            self._send(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
            return
        if match is not None:
            first, last = match.groups()
            if first == "":  # the last N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start, end = int(first), min(size - 1, int(last)) if last else size - 1
            if start >= size or start > end:
                self._send(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        self.send_response(status)
        headers = {**_SECURITY_HEADERS, "Content-Type": content_type, "Content-Length": str(end - start + 1),
                   "Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            try:
                while remaining > 0 and (chunk := handle.read(min(CHUNK, remaining))):
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
            except (ConnectionError, TimeoutError):  # the browser seeks elsewhere and drops this one
                self.close_connection = True
