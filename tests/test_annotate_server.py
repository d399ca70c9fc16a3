"""`sklearn-emotion annotate` at the HTTP level: an in-process server on a thread, plain HTTP requests.

What the browser tests (tests/test_annotate_browser.py) check with a real page, checked here fast and
exhaustively: the token, the Host and Origin checks, that nothing but the named videos can be read
(traversal, encoded variants, other indices), HTTP Range requests, the journal (durable, replayed
after a kill, a torn last line ignored), the newest pass winning whatever order batches arrive in,
and the trace and 1-Hz files written after each batch.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import socket
import threading
import time

import numpy as np
import pytest

from sklearn_emotion.annotation import read_trace
from sklearn_emotion.annotation.server import AnnotationServer, is_loopback
from sklearn_emotion.annotation.store import Batch, MovieRating, check_rater, resolve_passes
from sklearn_emotion.files import read_curves


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def videos(tmp_path):
    """Two "videos" of known bytes (the server never decodes them: it only serves them)."""
    rng = np.random.default_rng(0)
    paths = []
    for name, size in (("alpha", 300_000), ("beta", 1000)):
        path = tmp_path / "movies" / f"{name}.mp4"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        paths.append(path)
    return paths


@pytest.fixture
def server(videos, tmp_path):
    with AnnotationServer(videos, tmp_path / "ratings" / "alice", rater="alice").start() as running:
        yield running


def request(server, path, *, method="GET", body=None, headers=None, token=True, host=None):
    """``(status, headers, body)`` of a raw request (the path sent exactly as written)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    if token:
        path += ("&" if "?" in path else "?") + f"token={server.token}"
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", f"127.0.0.1:{server.port}" if host is None else host)
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def post(server, index, payload, **kwargs):
    status, _, data = request(server, f"/api/samples/{index}", method="POST", body=json.dumps(payload).encode(),
                              headers={"Content-Type": "application/json", **kwargs.pop("headers", {})}, **kwargs)
    return status, json.loads(data) if data.startswith((b"{", b"[")) else data


def samples(start, stop, valence, arousal=0.0, step=0.05):
    return [[round(t, 3), valence, arousal] for t in np.arange(start, stop + 1e-9, step)]


# ------------------------------------------------------------------------------------ security
def test_every_request_needs_the_token(server):
    for path in ("/", "/movie/0", "/video/0", "/static/annotate.js", "/static/annotate.css", "/api/movies"):
        assert request(server, path)[0] == 200, path
        assert request(server, path, token=False)[0] == 403, path
        assert request(server, path + "?token=wrong", token=False)[0] == 403, path
        assert request(server, path + f"?token={server.token}x", token=False)[0] == 403, path
        assert request(server, path + f"?token={server.token}&token={server.token}", token=False)[0] == 403, path
    status, _, body = request(server, "/video/0", token=False)
    assert b"token" in body and len(body) < 100  # the refusal, not the video
    assert post(server, 0, {"pass": 1, "seq": 0, "samples": samples(0, 1, 0.5)}, token=False)[0] == 403
    assert not (server.ratings["alpha"].journal.exists())
    assert len(server.token) >= 40 and server.token in server.url  # 32 random bytes, URL-safe


def test_the_host_must_be_this_server_and_the_origin_its_page(server):
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert request(server, "/", host=host)[0] == 200, host
    for host in (f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", f"127.0.0.1.evil.example:{port}", ""):
        assert request(server, "/", host=host)[0] == 403, host  # DNS rebinding, another port, no port
    ok = {"pass": 1, "seq": 0, "samples": samples(0, 1, 0.5)}
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        assert post(server, 0, ok, headers={"Origin": origin})[0] == 200, origin
    for origin in ("http://evil.example", f"http://evil.example:{port}", f"https://127.0.0.1:{port}", "null",
                   f"http://127.0.0.1:{port + 1}"):
        assert post(server, 0, {**ok, "seq": 1}, headers={"Origin": origin})[0] == 403, origin
    assert len(server.ratings["alpha"].trace) == len(ok["samples"])  # only the accepted batch


def test_the_host_check_with_port_80_and_on_every_interface(server, videos, tmp_path):
    port = server.port
    try:  # a Host without a port means port 80: only a server on port 80 accepts it
        server.port = 80
        assert server.accepts_host("127.0.0.1") and server.accepts_host("localhost:80")
        assert not server.accepts_host("127.0.0.1:8080") and not server.accepts_host("evil.example")
    finally:
        server.port = port
    assert not server.accepts_host("127.0.0.1") and server.accepts_host(f"[::1]:{port}") is False
    with AnnotationServer(videos, tmp_path / "wild", rater="w", host="0.0.0.0").start() as wild:
        wport = wild.port
        for host in (f"127.0.0.1:{wport}", f"localhost:{wport}", f"{socket.gethostname()}:{wport}"):
            assert request(wild, "/", host=host)[0] == 200, host
        for host in (f"evil.example:{wport}", f"127.0.0.1.evil.example:{wport}", f"127.0.0.1:{wport + 1}", ""):
            assert request(wild, "/", host=host)[0] == 403, host  # DNS rebinding is refused on every interface too
        ok = {"pass": 1, "seq": 0, "samples": samples(0, 1, 0.5)}
        assert post(wild, 0, ok, headers={"Origin": f"http://evil.example:{wport}"})[0] == 403
        assert post(wild, 0, ok, headers={"Origin": f"http://127.0.0.1:{wport}"})[0] == 200


def test_only_the_named_videos_are_served(server, videos):
    for path in ("/video/../../etc/passwd", "/video/%2e%2e/%2e%2e/etc/passwd", "/video/..%2f..%2fetc%2fpasswd",
                 "/video/2", "/video/99", "/video/-1", "/video/0/../1", "/video/0%00", "/video/%30",
                 "/video/alpha.mp4", "/video/" + os.fspath(videos[0]), "/movie/2", "/static/../store.py",
                 "/static/%2e%2e/store.py", "/static/store.py", "/static/annotate.html",
                 "/api/samples/7", "/video/0/"):
        status, _, body = request(server, path)
        assert status in (404, 405) and len(body) < 100, (path, status)
    assert request(server, "/video/1")[2] == videos[1].read_bytes()


def test_range_requests_serve_the_bytes_asked_for(server, videos):
    data = videos[0].read_bytes()
    status, headers, body = request(server, "/video/0")
    assert status == 200 and body == data and headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "video/mp4"
    for asked, (start, end) in {"bytes=100-199": (100, 199), "bytes=299000-": (299_000, 299_999),
                                "bytes=-500": (299_500, 299_999), "bytes=0-0": (0, 0),
                                "bytes=299990-400000": (299_990, 299_999)}.items():
        status, headers, body = request(server, "/video/0", headers={"Range": asked})
        assert status == 206 and body == data[start : end + 1], asked
        assert headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}", asked
        assert int(headers["Content-Length"]) == end - start + 1
    for asked in ("bytes=300000-", "bytes=5-2", "bytes=-", "items=0-5"):
        status, headers, _ = request(server, "/video/0", headers={"Range": asked})
        assert status == 416 and headers["Content-Range"] == f"bytes */{len(data)}", asked
    for asked in ("bytes=0-5,10-20", "bytes=0-5, 300000-"):  # several ranges: ignored (RFC 9110), all sent
        status, headers, body = request(server, "/video/0", headers={"Range": asked})
        assert status == 200 and body == data and "Content-Range" not in headers, asked
    status, headers, body = request(server, "/video/0", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(data)


def test_pages_carry_no_outside_reference_and_a_strict_policy(server):
    status, headers, body = request(server, "/movie/0")
    page = body.decode()
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    links = [link for link in page.split('"') if link.startswith(("http:", "https:", "//"))]
    assert all(link.startswith(f"http://127.0.0.1:{server.port}/") for link in links), links
    assert f"/static/annotate.js?token={server.token}" in page and f"/video/0?token={server.token}" in page
    for path in ("/static/annotate.js", "/static/annotate.css"):
        text = request(server, path)[2].decode()
        assert "http://" not in text and "https://" not in text and "@import" not in text, path


def test_is_loopback():
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.2", "example.org", "::"]))


def test_rater_names_are_safe_file_names():
    for name in ("alice", "Rater_02", "a.b-c", "7"):
        assert check_rater(name) == name
    for name in ("", ".hidden", "-x", "../x", "a/b", "a\\b", "al ice", "élodie", "x" * 65, "a\x00"):
        with pytest.raises(ValueError, match="letters, digits"):
            check_rater(name)


# ------------------------------------------------------------------------------------ saving
def test_each_batch_is_journaled_then_the_trace_and_seconds_are_rewritten(server):
    rating = server.ratings["alpha"]
    status, state = post(server, 0, {"pass": 10, "seq": 0, "duration": 4.5, "samples": samples(0, 0.95, 0.2, -0.4)})
    assert status == 200 and state["samples"] == 20 and state["rated"] == pytest.approx(1 / 4)
    status, state = post(server, 0, {"pass": 10, "seq": 1, "duration": 4.5,
                                     "samples": [[1.0, 0.6, None], [1.5, 0.8, None]]})
    assert status == 200 and state["resume"] == 1.0 and state["last_time"] == 1.5 and state["rated"] == 0.5
    trace = read_trace(rating.trace_file)
    assert trace.shape == (22, 3) and np.isnan(trace[-2:, 2]).all() and (np.diff(trace[:, 0]) > 0).all()
    seconds = read_curves(rating.curve_file)
    assert seconds.shape == (4, 2)  # the whole seconds of 4.5 s, as extract counts them
    np.testing.assert_allclose(seconds[:2], [[0.2, -0.4], [0.7, np.nan]])
    assert np.isnan(seconds[2:]).all()
    lines = rating.journal.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["samples"][0] == [1.0, 0.6, None]
    assert server.ratings["beta"].trace.shape == (0, 3) and not server.ratings["beta"].journal.exists()


def test_malformed_batches_are_refused_before_anything_is_written(server):
    bad = [{"seq": 0, "samples": []}, {"pass": 1, "seq": 0, "samples": [[0, 2.0, 0]]},
           {"pass": 1, "seq": 0, "samples": [[-1, 0, 0]]}, {"pass": 1, "seq": 0, "samples": [[0, 0]]},
           {"pass": 1, "seq": 0, "samples": [["x", 0, 0]]}, {"pass": 1, "seq": 0, "duration": -3, "samples": []},
           [1, 2], "text", {"pass": float("inf"), "seq": 0, "samples": []},
           {"pass": 2**63, "seq": 0, "samples": []}, {"pass": 1.5, "seq": 0, "samples": []},
           {"pass": 1, "seq": -1, "samples": []}, {"pass": True, "seq": 0, "samples": []},
           {"pass": 1, "seq": 0, "samples": [[10**400, 0, 0]]}, {"pass": 1, "seq": 0, "samples": [[float("nan"), 0, 0]]}]
    for payload in bad:
        status, body = post(server, 0, payload)
        assert status == 400 and "alpha" in body["error"], payload
    for raw, problem in ((b"{not json", "alpha"), (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
                         (b'{"pass": Infinity, "seq": 0, "samples": []}', "Infinity"),
                         (b'{"pass": 1, "seq": 0, "samples": [[1e400, 0, 0]]}', "not finite")):
        status, _, body = request(server, "/api/samples/0", method="POST", body=raw)
        assert status == 400 and problem in json.loads(body)["error"], raw[:40]
    status, _, _ = request(server, "/api/samples/0", method="POST", body=b"",
                           headers={"Content-Length": str(5 * 1024 * 1024)})  # refused before it is read
    assert status == 413
    assert not server.ratings["alpha"].journal.exists()


def test_the_newest_pass_wins_whatever_order_batches_arrive_in(tmp_path):
    first = [Batch(1, 0, np.array(samples(0, 4.95, 0.1))), Batch(1, 1, np.array(samples(5, 9.95, 0.1)))]
    again = [Batch(2, 0, np.array(samples(3, 4.95, 0.9))), Batch(2, 1, np.array(samples(5, 5.95, 0.9)))]
    expected = np.array(samples(0, 9.95, 0.1))
    expected[(expected[:, 0] >= 3) & (expected[:, 0] < 6), 1] = 0.9
    for order in ([*first, *again], [first[0], again[0], first[1], again[1]], [*again, *first],
                  [again[1], first[1], again[0], first[0], first[0]]):
        np.testing.assert_allclose(resolve_passes(order), expected)
        rating = MovieRating(tmp_path / str(id(order)), "m")
        for batch in order:  # the same through the store, batch by batch (late batches too)
            rating.add({"pass": batch.pass_id, "seq": batch.seq, "samples": batch.samples.tolist()})
        np.testing.assert_allclose(read_trace(rating.trace_file), expected)
    # a resent batch counts once, and is journaled once
    assert len(rating.journal.read_text().splitlines()) == 4


def test_a_restart_rebuilds_the_trace_from_the_journal(tmp_path):
    folder = tmp_path / "alice"
    rating = MovieRating(folder, "m")
    rating.add({"pass": 1, "seq": 0, "duration": 12.2, "samples": samples(0, 3, 0.3)})
    rating.add({"pass": 1, "seq": 1, "duration": 12.2, "samples": samples(3.05, 6, 0.4)})
    expected = rating.trace
    # killed after the journal append, before the rewrite: the trace is one batch behind
    line = Batch.from_json({"pass": 2, "seq": 0, "duration": 12.2, "samples": samples(2, 2.5, -0.5)}).to_json()
    with open(rating.journal, "a") as journal:
        journal.write(line + "\n" + line[:25])  # and a torn last line, as a kill in the middle of a write leaves
    (folder / f".m.trace.csv.{'0' * 16}.tmp").write_text("partial")  # a killed atomic rewrite
    again = MovieRating(folder, "m")
    expected[(expected[:, 0] >= 2) & (expected[:, 0] <= 2.5), 1] = -0.5
    np.testing.assert_allclose(read_trace(again.trace_file), expected)
    np.testing.assert_allclose(again.trace, expected)
    assert again.state()["resume"] == 6 and again.state()["duration"] == 12.2 and again.state()["last_pass"] == 2
    assert rating.journal.read_bytes().endswith(b"\n") and not list(folder.glob(".*.tmp"))
    assert read_curves(again.curve_file).shape == (12, 2)  # the 12 whole seconds of 12.2 s
    # appending after the cut-off line keeps the journal readable
    again.add({"pass": 3, "seq": 0, "samples": samples(6.05, 7, 0.1)})
    assert MovieRating(folder, "m").state()["last_time"] == 7.0


def test_two_processes_on_one_folder_see_each_others_batches(tmp_path, videos):
    one, two = MovieRating(tmp_path, "m"), MovieRating(tmp_path, "m")
    one.add({"pass": 1, "seq": 0, "samples": samples(0, 1, 0.1)})
    two.add({"pass": 2, "seq": 0, "samples": samples(2, 3, 0.2)})
    np.testing.assert_allclose(read_trace(tmp_path / "m.trace.csv")[:, 1], [0.1] * 21 + [0.2] * 21)
    # a server shows what another process saved into its folder since it started
    with AnnotationServer(videos, tmp_path / "r", rater="r").start() as running:
        assert json.loads(request(running, "/api/movies")[2])[1]["samples"] == 0
        MovieRating(tmp_path / "r", "beta").add({"pass": 1, "seq": 0, "duration": 2.0, "samples": samples(0, 1, 0.1)})
        assert [state["samples"] for state in json.loads(request(running, "/api/movies")[2])] == [0, 21]
        assert '"samples": 21' in request(running, "/")[2].decode()  # the list page too


def _apply_batch_by_batch(batches):
    """The rule stated plainly (the first implementation's): batches in (pass, seq) order; each removes the
    samples of other passes from its pass's first time so far to its own last time."""
    kept, passes, start = np.empty((0, 3)), np.empty(0), {}
    for batch in sorted({(b.pass_id, b.seq): b for b in batches}.values(), key=lambda b: (b.pass_id, b.seq)):
        if not len(batch.samples):
            continue
        low = min(start.setdefault(batch.pass_id, batch.samples[0, 0]), batch.samples[0, 0])
        older = (passes != batch.pass_id) & (kept[:, 0] >= low) & (kept[:, 0] <= batch.samples[-1, 0])
        kept = np.vstack([kept[~older], batch.samples])
        passes = np.concatenate([passes[~older], np.full(len(batch.samples), batch.pass_id)])
    return kept[np.argsort(kept[:, 0], kind="stable")]


def test_resolving_passes_equals_applying_them_batch_by_batch():
    rng = np.random.default_rng(3)
    for trial in range(40):  # passes over random spans of a 60-s movie, cut in batches, in random order
        batches = []
        for pass_id in rng.choice(1000, size=rng.integers(1, 8), replace=False):
            start = rng.integers(0, 1000) * 0.05
            times = start + 0.05 * np.arange(rng.integers(1, 300))
            values = rng.uniform(-1, 1, (len(times), 2))
            for seq, chunk in enumerate(np.array_split(np.column_stack([times, values]), rng.integers(1, 6))):
                batches.append(Batch(int(pass_id), seq, chunk))
        order = [batches[i] for i in rng.permutation(len(batches))]
        np.testing.assert_array_equal(resolve_passes(order), _apply_batch_by_batch(batches), err_msg=str(trial))


def test_a_2_hour_journal_is_resolved_in_well_under_a_second_per_batch(tmp_path):
    # 7,200 batches of 20 samples (2 hours at 20 Hz): applying them one by one re-stacked the whole trace
    # per batch (21.9 s to replay; minutes on a loaded machine); one sort and the passes' spans: ~0.03 s.
    batches = [Batch(1, seq, np.column_stack([np.arange(20 * seq, 20 * seq + 20) * 0.05, np.zeros((20, 2))]))
               for seq in range(7200)]
    batches.append(Batch(0, 0, np.array([[5.0, 0.5, 0.5]])))  # a late batch of an older pass
    started = time.perf_counter()
    trace = resolve_passes(batches)
    assert time.perf_counter() - started < 2.0
    assert trace.shape == (144_000, 3) and not trace[:, 1:].any()  # the older pass's sample is covered


def test_a_short_write_is_cut_back_and_refused_never_reported_saved(tmp_path, monkeypatch):
    rating = MovieRating(tmp_path, "m")
    rating.add({"pass": 1, "seq": 0, "samples": samples(0, 1, 0.1)})
    size = rating.journal.stat().st_size
    real_write = os.write

    def full_disk(descriptor, data):  # the disk takes half the line, then has no room left
        if calls.append(len(data)) or len(calls) == 1:
            return real_write(descriptor, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    calls = []
    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        rating.add({"pass": 1, "seq": 1, "samples": samples(1.05, 2, 0.2)})
    assert rating.journal.stat().st_size == size and rating.state()["samples"] == 21  # as before the batch

    def slow_disk(descriptor, data):  # short writes that all succeed in the end: the whole line is written
        calls.append(len(data))
        return real_write(descriptor, bytes(data[:100]))

    calls = []
    monkeypatch.setattr(os, "write", slow_disk)
    rating.add({"pass": 1, "seq": 1, "samples": samples(1.05, 2, 0.2)})  # the page's retry
    monkeypatch.undo()
    assert len(calls) > 1
    rating.add({"pass": 1, "seq": 2, "samples": samples(2.05, 3, 0.3)})  # the next batch reads no half line
    again = MovieRating(tmp_path, "m")  # the journal reads back whole
    np.testing.assert_allclose(again.trace[:, 1], [0.1] * 21 + [0.2] * 20 + [0.3] * 20)
    assert rating.journal.read_bytes().count(b"\n") == 3


def test_a_failed_rewrite_is_done_again_when_the_batch_is_resent(tmp_path, monkeypatch):
    import sklearn_emotion.annotation.store as store

    rating = MovieRating(tmp_path, "m")
    real_write_trace = store.write_trace

    def fails_once(path, trace):
        monkeypatch.setattr(store, "write_trace", real_write_trace)
        raise OSError(errno.ENOSPC, "No space left on device", os.fspath(path))

    monkeypatch.setattr(store, "write_trace", fails_once)
    batch = {"pass": 1, "seq": 0, "samples": samples(0, 1, 0.1)}
    with pytest.raises(OSError):  # journaled, but the trace not rewritten: the page hears "not saved"
        rating.add(batch)
    assert not rating.trace_file.exists()
    assert rating.add(batch)["samples"] == 21  # the page's retry: already journaled, and now the files too
    assert len(read_trace(rating.trace_file)) == 21 and rating.journal.read_text().count("\n") == 1


def test_a_damaged_journal_is_an_error_naming_it(tmp_path):
    (tmp_path / "m.journal").write_text('{"pass": 1, "seq": 0, "samples": [[0, 5, 0]]}\n')
    with pytest.raises(ValueError, match=r"m\.journal: line 1 .*outside \[-1, 1\]"):
        MovieRating(tmp_path, "m")


def test_close_waits_for_the_batch_being_saved_and_refuses_later_ones(videos, tmp_path, monkeypatch):
    server = AnnotationServer(videos, tmp_path / "r", rater="r").start()
    rating = server.ratings["alpha"]
    inside, release, results = threading.Event(), threading.Event(), []
    add = rating.add

    def slow_add(payload):  # a batch in the middle of being saved when close() is called
        inside.set()
        assert release.wait(10)
        return add(payload)

    monkeypatch.setattr(rating, "add", slow_add)
    sender = threading.Thread(target=lambda: results.append(post(server, 0, {"pass": 1, "seq": 0,
                                                                              "samples": samples(0, 1, 0.5)})))
    sender.start()
    assert inside.wait(10)
    closer = threading.Thread(target=server.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # close() waits for the batch
    release.set()
    sender.join(10)
    closer.join(10)
    assert not closer.is_alive() and results[0][0] == 200 and len(read_trace(rating.trace_file)) == 21
    with pytest.raises(ConnectionAbortedError):
        server.save(0, {"pass": 1, "seq": 1, "samples": samples(1.05, 2, 0.5)})


# ------------------------------------------------------------------------------------ the workflow and command
def test_the_workflow_prints_the_url_at_once_and_a_summary(videos, tmp_path):
    from sklearn_emotion.workflows.annotate import annotate_movies

    lines, warnings = [], []

    def rate_then_stop(server):
        def work():
            post(server, 1, {"pass": 1, "seq": 0, "duration": 2.0, "samples": samples(0, 1.5, 0.5)})
            server.httpd.shutdown()

        threading.Thread(target=work).start()

    states = annotate_movies(videos, tmp_path / "out", rater="bob", open_browser=False, echo=lines.append,
                             warn=warnings.append, on_ready=rate_then_stop)
    assert lines[1].startswith("http://127.0.0.1:") and "?token=" in lines[1] and not warnings
    assert states["beta"]["rated"] == 1.0 and states["alpha"]["samples"] == 0
    assert any("beta: 100 % rated" in line for line in lines)
    assert read_curves(tmp_path / "out" / "bob" / "beta.csv").shape == (2, 2)


def test_the_workflow_warns_about_another_host_and_refuses_bad_inputs(videos, tmp_path):
    from sklearn_emotion.workflows.annotate import annotate_movies

    warnings = []
    annotate_movies(videos[:1], tmp_path / "out", rater="bob", host="0.0.0.0", open_browser=False,
                    echo=lambda line: None, warn=warnings.append,
                    on_ready=lambda s: threading.Thread(target=s.httpd.shutdown).start())
    assert len(warnings) == 1 and "0.0.0.0" in warnings[0] and "token" in warnings[0]
    twin = videos[0].parent / "other" / "alpha.mkv"
    twin.parent.mkdir()
    twin.write_bytes(b"x")
    clash = videos[0].parent / "alpha.trace.mp4"
    clash.write_bytes(b"x")
    for inputs, rater, error in (([videos[0], twin], "bob", "share the movie name"),
                                 ([videos[0], clash], "bob", "ends in '.trace'"),
                                 ([clash], "bob", r"alpha\.trace\.csv would be taken for a trace file"),
                                 ([videos[0]], "../bob", "rater name"),
                                 ([tmp_path / "missing.mp4"], "bob", "not found")):
        with pytest.raises((ValueError, FileNotFoundError), match=error):
            annotate_movies(inputs, tmp_path / "out", rater=rater, open_browser=False, echo=lambda line: None)


def test_annotate_help_documents_the_command(capsys):
    from sklearn_emotion.cli import main

    with pytest.raises(SystemExit):
        main(["annotate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("--rater NAME", "--dimension {both,valence,arousal}", "--no-browser", "--port", "--host",
                   "token", "resumes", "trace.csv", "journal", "newest pass wins", "arrow keys", "20 samples"):
        assert phrase in text, phrase

