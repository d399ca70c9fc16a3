"""Start-up of ``sklearn-emotion extract`` (issue 23): a second extraction of a 5-s clip, 0.2 vs this checkout.

Usage: python benchmarks/startup.py [--repeats 5] [--weights-dir ../shared/weights] [--baseline 43d6c47]

Both versions run with this interpreter (the same virtual environment) as fresh ``python -m
sklearn_emotion extract`` processes with the default features of the weights folder (MobileNet v1
TFLite, YAMNet TFLite, BlazeFace + FER2013), each into a new output folder, on a generated 5-s
320 x 240 clip with a face and a tone.  The baseline is checked out with ``git worktree`` into a
temporary folder (removed at the end) and put first on ``PYTHONPATH``; each process's
``sklearn_emotion.__file__`` is checked.  Each version has its own model cache: its first run (which
converts the FER model to TFLite for this checkout) is reported apart, then the two versions' second
runs alternate ``--repeats`` times and the medians are compared.  Finally one more run of each under
``python -X importtime`` gives where import time goes, grouped by top-level package.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.fspath(REPO / "tests"))


def make_clip(path: Path) -> Path:
    from media_videos import photo, tone, write_video

    photos = [photo(name, (320, 240)) for name in ("astronaut", "chelsea", "astronaut", "coffee", "astronaut")]
    return write_video(path, photos, fps=24, audio=tone(5, 16000))


def run_extract(source: Path, clip: Path, output: Path, home: Path, weights: Path,
                importtime: bool = False) -> tuple[float, str]:
    """Wall seconds of one ``extract`` process importing the package from ``source``, and its standard error."""
    env = {**os.environ, "PYTHONPATH": os.fspath(source), "SKLEARN_EMOTION_HOME": os.fspath(home),
           "KERAS_HOME": os.fspath(home / "keras"), "SKLEARN_EMOTION_WEIGHTS": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "sklearn_emotion", "extract",
               os.fspath(clip), "-o", os.fspath(output), "--weights-dir", os.fspath(weights), "--no-progress"]
    start = time.perf_counter()
    run = subprocess.run(command, env=env, cwd=output.parent, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"extract from {source} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return wall, run.stdout + run.stderr


def imported_from(source: Path, cwd: Path) -> str:
    """Where a process started in ``cwd`` as the benchmark starts them imports the package from, and its version."""
    env = {**os.environ, "PYTHONPATH": os.fspath(source)}
    code = "import sklearn_emotion; print(sklearn_emotion.__file__, sklearn_emotion.__version__)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def import_breakdown(stderr: str) -> tuple[float, dict[str, float]]:
    """Total import seconds and seconds per top-level package (the sum of each module's own time)."""
    groups: dict[str, float] = defaultdict(float)
    total = 0.0
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            own = int(match.group(1)) / 1e6
            groups[match.group(4).split(".")[0].lstrip("_") or "other"] += own
            total += own
    return total, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--weights-dir", type=Path, default=REPO.parent / "shared" / "weights")
    parser.add_argument("--baseline", default="43d6c47", help="commit of 0.2")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    baseline = work / "v02"
    subprocess.run(["git", "-C", os.fspath(REPO), "worktree", "add", "--detach", os.fspath(baseline), args.baseline],
                   check=True, capture_output=True)
    try:
        versions = {"0.2": baseline, "now": REPO}
        for name, source in versions.items():
            where = imported_from(source, work)
            assert where.startswith(os.fspath(source / "sklearn_emotion")), (name, where)
            print(f"{name}: {where}")
        print(f"load before: {os.getloadavg()}; CPUs: {os.cpu_count()}")
        clip = make_clip(work / "clip.mp4")
        count = 0

        def once(name: str, importtime: bool = False) -> tuple[float, str]:
            nonlocal count
            count += 1
            return run_extract(versions[name], clip, work / f"out{count}", work / f"home-{name}", args.weights_dir,
                               importtime)

        first = {name: once(name)[0] for name in versions}
        print("first runs (empty model cache; this checkout converts the FER model): "
              + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in first.items()))
        seconds: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(args.repeats):
            for name in versions:
                seconds[name].append(once(name)[0])
        medians = {name: statistics.median(values) for name, values in seconds.items()}
        print(f"\nsecond runs, {args.repeats} each, alternating (wall seconds of the whole process):\n")
        print("| version | median | runs |\n|---|---|---|")
        for name, values in seconds.items():
            print(f"| {name} | {medians[name]:.2f} s | {', '.join(f'{v:.2f}' for v in values)} |")
        print(f"\nratio now / 0.2: {medians['now'] / medians['0.2']:.2f} (goal <= 0.5)")
        print(f"load after: {os.getloadavg()}")
        breakdowns = {name: import_breakdown(once(name, importtime=True)[1]) for name in versions}
        names = sorted({group for _, groups in breakdowns.values() for group in groups},
                       key=lambda group: -max(groups.get(group, 0.0) for _, groups in breakdowns.values()))
        print("\nimport time of one second run (python -X importtime, own time of each module summed by "
              "top-level package; the rest: 'others'):\n")
        print("| package | 0.2 | now |\n|---|---|---|")
        for group in names[:12]:
            print(f"| {group} | " + " | ".join(f"{groups.get(group, 0.0):.2f} s" for _, groups in breakdowns.values())
                  + " |")
        rest = {name: total - sum(groups.get(group, 0.0) for group in names[:12])
                for name, (total, groups) in breakdowns.items()}
        print("| others | " + " | ".join(f"{rest[name]:.2f} s" for name in versions) + " |")
        print("| **all imports** | " + " | ".join(f"{total:.2f} s" for total, _ in breakdowns.values()) + " |")
    finally:
        subprocess.run(["git", "-C", os.fspath(REPO), "worktree", "remove", "--force", os.fspath(baseline)],
                       check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
