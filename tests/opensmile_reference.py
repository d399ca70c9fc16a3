"""openSMILE's own ``process_signal`` on given samples, run in a fresh Python process.

The tests' reference: in the test process TensorFlow and LiteRT are loaded, and openSMILE's library
exports functions of the same names as TensorFlow's (the Ooura FFT), so processing a signal there can
abort the whole test run (``malloc(): invalid size``) -- the very crash the package avoids by running
openSMILE in a worker process.  Here nothing but numpy and opensmile is loaded.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_SCRIPT = r"""
import sys
import numpy as np
import opensmile
feature_set, rate, source, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                        feature_level=opensmile.FeatureLevel.Functionals)
with np.load(source) as windows:
    rows = [smile.process_signal(windows[key], rate).to_numpy().reshape(-1) for key in sorted(windows, key=int)]
np.savez(target, rows=np.stack(rows), names=np.array(smile.feature_names))
"""


def opensmile_rows(feature_set: str, windows: list[np.ndarray], rate: int) -> tuple[np.ndarray, list[str]]:
    """``(rows, feature names)``: one row of functionals of ``feature_set`` (e.g. ``"eGeMAPSv02"``) per window."""
    with tempfile.TemporaryDirectory(prefix="opensmile-reference-") as folder:
        source, target = Path(folder) / "windows.npz", Path(folder) / "rows.npz"
        np.savez(source, **{str(i): np.asarray(w, dtype=np.float32) for i, w in enumerate(windows)})
        done = subprocess.run([sys.executable, "-c", _SCRIPT, feature_set, str(rate), str(source), str(target)],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        with np.load(target) as result:
            return result["rows"], [str(name) for name in result["names"]]
