"""Every script of examples/ runs end to end with tiny settings on generated data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sklearn_emotion.reporting import PAPER_TABLE_1

REPO_DIR = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_DIR / "examples"
DESCRIPTORS = {"cl": 3, "fc6": 4}
TABLE_ROW = re.compile(r"^\| (?P<name>[^|]+?) +\|(?P<cells>.*)\|$")


def _arff(values: np.ndarray) -> str:
    attributes = "".join(f"@attribute feature_{i} numeric\n" for i in range(len(values)))
    cells = ",".join(f"{v:.6e}" for v in values)
    return f"@relation openSMILE_features\n\n@attribute name string\n{attributes}@attribute class numeric\n\n@data\n\n'unknown',{cells},?\n"


def write_mediaeval_tree(root: Path, movies: list[int], seconds: int, seed: int = 0) -> Path:
    """A miniature MediaEval 2018 release in the official layout (annotations, LIRE-like, openSMILE-like).

    The features carry the movie's emotion (plus noise and a per-movie offset) at very different
    scales, like the real descriptors, so that a model has something to learn.
    """
    rng = np.random.default_rng(seed)
    for movie in movies:
        part = "TestSet" if movie >= 54 else "DevSet-Part1"
        name = f"MEDIAEVAL18_{movie:02d}"
        t = np.arange(seconds)
        curves = np.clip(np.stack([0.5 * np.sin(2 * np.pi * t / rng.uniform(20, 40) + rng.uniform(0, 6)),
                                   0.4 * np.cos(2 * np.pi * t / rng.uniform(20, 40) + rng.uniform(0, 6))], 1), -1, 1)
        folder = root / f"MEDIAEVAL18-{part}-Valence_Arousal-annotations" / "annotations"
        folder.mkdir(parents=True, exist_ok=True)
        rows = "".join(f"{s}\t{v:.4f}\t{a:.4f}\n" for s, (v, a) in enumerate(curves))
        (folder / f"{name}_Valence-Arousal.txt").write_text("Time\tValence\tArousal\n" + rows)
        for descriptor, width in DESCRIPTORS.items():
            folder = root / f"MEDIAEVAL18-{part}-Visual_features" / "visual_features" / name / descriptor
            folder.mkdir(parents=True, exist_ok=True)
            mixing = rng.normal(size=(2, width))
            values = 50 * (curves @ mixing + 0.3 * rng.normal(size=(seconds, width))) + 100
            for s in range(seconds):
                (folder / f"{name}-{s + 1:05d}_{descriptor}.txt").write_text(",".join(f"{v:.5f}" for v in values[s]) + "\n")
        folder = root / f"MEDIAEVAL18-{part}-Audio_features" / "audio_features" / name
        folder.mkdir(parents=True, exist_ok=True)
        audio = 1e3 * (curves[:, ::-1] + 0.3 * rng.normal(size=(seconds, 2)))
        for s in range(seconds):
            (folder / f"{name}_{s + 1:05d}.csv").write_text(_arff(audio[s]))
    return root


@pytest.fixture(scope="module")
def mediaeval_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("me18")
    return write_mediaeval_tree(root, movies=[0, 1, 2, 3, 4, 5, 54, 55], seconds=24)


def _run_example(script: str, *args: str, timeout: int = 400) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                            capture_output=True, text=True, env=env, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def _table(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        match = TABLE_ROW.match(line)
        if match and match["name"] != "Run" and not line.startswith("|-"):
            rows[match["name"]] = [cell.strip() for cell in match["cells"].split("|")]
    return rows


TINY = ("--visual-descriptors", "cl", "fc6", "--units", "4", "--epochs", "2", "--batch-size", "32", "--cutoff", "0.1")


def test_every_example_has_a_test():
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - {"mediaeval_common.py"}
    tested = {"reproduce_table1.py", "ablations.py", "quickstart.py", "compare_models.py"}  # the last: test_tcn.py
    assert scripts == tested


@pytest.mark.subprocess
def test_reproduce_table1_prints_the_five_runs_beside_the_paper(mediaeval_root, tmp_path):
    out = _run_example("reproduce_table1.py", mediaeval_root, *TINY, "--window", "8", "--cache-dir", tmp_path)
    rows = _table(out)
    assert list(rows) == ["Run 1", "Run 2", "Run 3", "Run 4", "Run 5"]
    for name, cells in rows.items():
        assert len(cells) == 8  # four metrics, ours and the paper's
        ours, reference = [float(c) for c in cells[0::2] if c != "nan"], cells[1::2]
        assert all(0 <= value < 2 for value in ours[::2])
        assert reference[0] == f"{PAPER_TABLE_1[name]['Valence MSE']:.4f}"
    assert "trained on 4 movies" in out  # run 2: about 70 % of the 6 development movies
    assert "6 development and 2 test movies" in out


@pytest.mark.subprocess
def test_ablations_compare_windows_cells_and_smoothers(mediaeval_root):
    out = _run_example("ablations.py", mediaeval_root, *TINY, "--windows", "4", "8", "--moving-average", "5")
    rows = _table(out)
    assert list(rows) == [
        "GRU, 4 s, Butterworth", "GRU, 8 s, Butterworth", "LSTM, 8 s, Butterworth",
        "GRU, 8 s, moving average 5 s", "GRU, 8 s, not smoothed",
    ]
    assert "validating on 2" in out
    # Smoothing changes the curves: the three rows of the same network differ.
    mse = [rows[name][0] for name in ("GRU, 8 s, Butterworth", "GRU, 8 s, moving average 5 s", "GRU, 8 s, not smoothed")]
    assert len(set(mse)) == 3


@pytest.mark.subprocess
def test_quickstart(tmp_path):
    out = _run_example("quickstart.py", "--output-dir", tmp_path, "--quick")
    rows = _table(out)
    assert set(rows) == {"per-second Ridge", "GRU+MoE+Butterworth"}
    assert (tmp_path / "quickstart.png").stat().st_size > 10_000
