"""The cost of running openSMILE in a worker process (issue 19, item 8): eGeMAPS of a 45-s emoMusic clip.

Usage: python benchmarks/opensmile_worker_cost.py [AUDIO_FILE]  (default: ../shared/data/emomusic/audio/10.mp3)

Prints the seconds of ``AudioEmbedder("egemaps").transform`` on the file: the first call (which
starts the worker) and the best of three later calls.  Run it with ``PYTHONPATH`` pointing at another
checkout to compare releases.
"""

import sys
import time

import sklearn_emotion
from sklearn_emotion.media import AudioEmbedder

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/emomusic/audio/10.mp3"
embedder = AudioEmbedder("egemaps")
start = time.perf_counter()
(rows,) = embedder.transform([path])
first = time.perf_counter() - start
later = []
for _ in range(3):
    start = time.perf_counter()
    embedder.transform([path])
    later.append(time.perf_counter() - start)
print(f"{sklearn_emotion.__file__}: {rows.shape[0]} s of audio, first call {first:.2f} s, then {min(later):.2f} s")
