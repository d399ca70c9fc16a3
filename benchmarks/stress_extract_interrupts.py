"""Ctrl-C at random moments during `sklearn-emotion extract`: exit 130 every time, reruns complete, features exact.

Makes ``--movies`` small generated movies, extracts them once without interruption (the reference),
then, into a second folder, starts ``extract`` again and again and sends each run SIGINT to its
process group (as Ctrl-C in a terminal does) after a random, seeded delay drawn uniformly over the
reference run's duration, so that signals land in start-up, model loading, decoding, embedding and
saving alike.  A run that the signal reaches must exit 130 (never a signal death: every exit code
is counted); the next run into the folder resumes it.  When a run completes (exit 0) every feature
file must be bitwise equal to the reference's, and the folder starts over.  Stops after
``--interrupts`` signals or ``--budget`` seconds, and prints the figures.

With ``../shared/weights`` (or ``--weights-dir``) the default pretrained models run (MobileNet
TFLite, YAMNet TFLite, BlazeFace + FER Keras); ``--weight-free`` uses the weight-free features.

    python benchmarks/stress_extract_interrupts.py                # 100 interrupts, 8 movies, <= 15 min
    python benchmarks/stress_extract_interrupts.py --interrupts 5 --movies 2 --weight-free
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WEIGHTS = REPO_DIR.parent / "shared" / "weights"


def _default_sigint() -> None:
    # A terminal's Ctrl-C must reach the child even when this script was started with SIGINT ignored
    # (in the background of a non-interactive shell): children inherit ignored signals.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _phase(log: Path) -> str:
    """Where a signal landed, from what the run had printed: before, during or after the command's work."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    if any(line.startswith("Features of ") for line in lines):  # its last line: the interpreter was exiting
        return "after the work (exiting)"
    if not any(line.startswith("Features:") for line in lines):  # its first line: what is used
        return "start-up (before the command's first line)"
    return "during the command"


def _start(movies: Path, output: Path, work: Path, weights_dir: Path | None, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SKLEARN_EMOTION_HOME": str(work / "home"),
           "SKLEARN_EMOTION_WEIGHTS": ""}
    env.pop("SKLEARN_EMOTION_MODEL_MIRROR", None)
    command = [sys.executable, "-m", "sklearn_emotion", "extract", str(movies), "-o", str(output), "--no-progress"]
    if weights_dir is not None:
        command += ["--weights-dir", str(weights_dir)]
    # Its own process group: the signal goes to the whole group, as a terminal's Ctrl-C does.
    with open(log, "wb") as sink:
        return subprocess.Popen(command, cwd=work, env=env, stdout=sink, stderr=sink,
                                start_new_session=True, preexec_fn=_default_sigint)


def _features(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    from sklearn_emotion.files import load_features

    return {path.stem: load_features(path) for path in sorted(folder.glob("*.npz"))}


def _equal(a: dict[str, dict[str, np.ndarray]], b: dict[str, dict[str, np.ndarray]]) -> bool:
    if a.keys() != b.keys():
        return False
    for movie in a:
        if a[movie].keys() != b[movie].keys():
            return False
        for modality in a[movie]:
            x, y = a[movie][modality], b[movie][modality]
            if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
                return False
    return True


def stress(work: str | os.PathLike, *, n_interrupts: int = 100, n_movies: int = 8, seconds: tuple[int, int] = (4, 8),
           weights_dir: str | os.PathLike | None = None, seed: int = 0, budget_s: float = 900.0,
           exit_timeout_s: float = 180.0, echo=print) -> dict:
    """Interrupt ``extract`` ``n_interrupts`` times at random moments; the figures as a dict.

    Parameters
    ----------
    work : path
        An empty working folder (movies, feature folders, logs).
    n_interrupts : int
        Signals to deliver to running processes.
    n_movies : int
    seconds : (int, int)
        Range of the movies' lengths.
    weights_dir : path, optional
        The pretrained models' folder; ``None``: the weight-free features.
    seed : int
        Seeds the movies and the moments of the signals.
    budget_s : float
        No new run starts after this many seconds (the figures say how many signals were sent).
    exit_timeout_s : float
        How long an interrupted run may take to exit (then it counts as hung, and is killed).

    Returns
    -------
    dict
        ``exit_codes`` (the interrupted runs' exit codes and how many; negative: killed by that
        signal), ``exit_codes_by_phase`` (the same by where the signal landed: start-up, during
        the command, or after its work while the interpreter exits), ``interrupts``,
        ``completed_runs`` (runs that finished: the reference excluded), ``reruns`` (runs started into a folder an interrupted run had left), ``mismatches``
        (completed runs whose features differ from the reference), ``failures`` (completed runs
        with a non-zero exit), ``hung``, ``seconds``, ``reference_seconds``, ``ok``.
    """
    from sklearn_emotion.datasets import make_movie_files

    started = time.monotonic()
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    movies = work / "movies"
    make_movie_files(movies, n_movies, min_seconds=seconds[0], max_seconds=seconds[1], random_state=seed)
    for annotation in movies.glob("*.txt"):
        annotation.unlink()
    weights = Path(weights_dir) if weights_dir is not None else None
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / "reference.log"

    t0 = time.monotonic()
    reference_run = _start(movies, work / "reference", work, weights, log)
    if reference_run.wait(timeout=max(60.0, budget_s)) != 0:
        raise RuntimeError(f"the uninterrupted reference run failed (exit {reference_run.returncode}); see {log}")
    reference_s = time.monotonic() - t0
    reference = _features(work / "reference")
    if len(reference) != n_movies:
        raise RuntimeError(f"the reference run made {len(reference)} feature files for {n_movies} movies; see {log}")

    rng = random.Random(seed)
    codes: collections.Counter = collections.Counter()
    phases: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    completed = reruns = hung = 0
    mismatches: list[int] = []
    failures: list[tuple[int, int]] = []
    output = work / "features"
    resuming = False  # the folder holds what an interrupted run left
    interrupts = 0
    runs = 0
    while interrupts < n_interrupts and time.monotonic() - started < budget_s:
        runs += 1
        reruns += resuming
        log = logs / f"run_{runs:03d}.log"
        process = _start(movies, output, work, weights, log)
        deadline = time.monotonic() + rng.uniform(0.0, reference_s)
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        signalled = False
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGINT)
                signalled = True
            except ProcessLookupError:
                pass
        try:
            code = process.wait(timeout=exit_timeout_s)
        except subprocess.TimeoutExpired:
            hung += 1
            os.killpg(process.pid, signal.SIGKILL)
            code = process.wait()
        if signalled and code != 0:  # a signal that arrived after the run had finished is no interrupt
            interrupts += 1
            codes[code] += 1
            phases[_phase(log)][code] += 1
            resuming = True
            if code != 130:
                echo(f"run {runs}: interrupted {_phase(log)}, exit code {code} (see {log})")
            continue
        if code != 0:
            failures.append((runs, code))
            echo(f"run {runs}: exit code {code} without an interruption (see {log})")
        else:
            completed += 1
            if not _equal(_features(output), reference):
                mismatches.append(runs)
                echo(f"run {runs}: completed, but its features differ from the reference")
        shutil.rmtree(output, ignore_errors=True)
        resuming = False
    if resuming:  # the last interrupted folder must complete too
        runs += 1
        reruns += 1
        log = logs / f"run_{runs:03d}.log"
        process = _start(movies, output, work, weights, log)
        code = process.wait(timeout=max(60.0, 4 * reference_s))
        if code != 0:
            failures.append((runs, code))
        else:
            completed += 1
            if not _equal(_features(output), reference):
                mismatches.append(runs)
    figures = {
        "interrupts": interrupts,
        "exit_codes": dict(sorted(codes.items())),
        "exit_codes_by_phase": {phase: dict(sorted(counts.items())) for phase, counts in sorted(phases.items())},
        "runs": runs,
        "reruns": reruns,
        "completed_runs": completed,
        "mismatches": mismatches,
        "failures": failures,
        "hung": hung,
        "reference_seconds": round(reference_s, 1),
        "seconds": round(time.monotonic() - started, 1),
    }
    figures["ok"] = (interrupts > 0 and set(codes) == {130} and not mismatches and not failures and not hung)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interrupts", type=int, default=100)
    parser.add_argument("--movies", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds (default: 15 min)")
    parser.add_argument("--weights-dir", type=Path, default=DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_dir() else None)
    parser.add_argument("--weight-free", action="store_true")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    weights = None if args.weight_free else args.weights_dir
    work = args.work or Path(tempfile.mkdtemp(prefix="stress-interrupts-"))
    print(f"{args.interrupts} interrupts, {args.movies} movies, features: "
          f"{weights if weights is not None else 'weight-free'}, work folder {work}", flush=True)
    try:
        figures = stress(work, n_interrupts=args.interrupts, n_movies=args.movies, weights_dir=weights,
                         seed=args.seed, budget_s=args.budget, echo=lambda line: print(line, flush=True))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    for key, value in figures.items():
        print(f"{key}: {value}")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
