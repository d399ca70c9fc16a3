"""Real audio end to end: emoMusic clips -> AudioEmbedder -> per-second Ridge, leave-one-clip-out.

Reads ``../shared/data/emomusic`` (10 real 45-s clips with their continuous 2 Hz valence/arousal,
resampled to 1 Hz by :func:`sklearn_emotion.datasets.load_emomusic`, seconds 15-44 annotated)
and the shared YAMNet model.  For every audio backbone available offline, each clip is held out in
turn; the per-second baseline after a scaler (``MovieStandardScaler -> make_baseline_pipeline()``, a
``RidgeCV`` fitted per second) trained on the other nine clips predicts it.  Printed:
pooled R² and RMSE over the held-out annotated seconds per axis, against predicting the training
mean (the honest baseline), and the mean per-clip Pearson r.

Run: ``python benchmarks/media_emomusic.py [--shared ../shared]`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline

from sklearn_emotion import MovieStandardScaler, make_baseline_pipeline
from sklearn_emotion.datasets import load_emomusic
from sklearn_emotion.media import AudioEmbedder

AXES = ("valence", "arousal")


def evaluate(features: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Leave-one-clip-out per-second Ridge; metrics over every held-out annotated second."""
    predictions, means = [], []
    for held_out in range(len(features)):
        train = [i for i in range(len(features)) if i != held_out]
        model = make_pipeline(MovieStandardScaler(), make_baseline_pipeline())
        model.fit([features[i] for i in train], [targets[i] for i in train])
        predictions.append(model.predict([features[held_out]])[0])
        means.append(np.nanmean(np.concatenate([targets[i] for i in train]), axis=0))
    true = np.concatenate(targets)
    pred = np.concatenate(predictions)
    base = np.concatenate([np.repeat(m[None], len(t), axis=0) for m, t in zip(means, targets)])
    keep = ~np.isnan(true).any(axis=1)
    report = {}
    for column, axis in enumerate(AXES):
        t, p, b = true[keep, column], pred[keep, column], base[keep, column]
        per_clip_r = []
        for target, prediction in zip(targets, predictions):
            annotated = ~np.isnan(target[:, column])
            if np.std(target[annotated, column]) > 0:
                per_clip_r.append(np.corrcoef(target[annotated, column], prediction[annotated, column])[0, 1])
        report[axis] = {
            "r2": r2_score(t, p),
            "rmse": float(np.sqrt(np.mean((t - p) ** 2))),
            "baseline_r2": r2_score(t, b),
            "baseline_rmse": float(np.sqrt(np.mean((t - b) ** 2))),
            "clip_pearson": float(np.mean(per_clip_r)),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    data = load_emomusic(args.shared / "data" / "emomusic", time_origin="clip", require_audio=True)
    paths = [str(p) for p in data.audio_paths]
    print(f"{len(paths)} clips, songs {[int(s) for s in data.song_ids]}; "
          f"{int(sum((~np.isnan(y[:, 0])).sum() for y in data.y))} annotated seconds")
    backbones = {
        "yamnet (1024-d embedding)": AudioEmbedder(str(args.shared / "weights" / "yamnet.tflite")),
        "descriptors (112 log-mel/MFCC statistics)": AudioEmbedder("descriptors"),
    }
    print("| audio features | axis | R² (LOCO) | RMSE | baseline R² | baseline RMSE | mean per-clip r |")
    print("|---|---|---|---|---|---|---|")
    for name, embedder in backbones.items():
        start = time.perf_counter()
        features = embedder.fit_transform(paths)
        elapsed = time.perf_counter() - start
        lengths = [min(len(f), len(y)) for f, y in zip(features, data.y)]
        features = [f[:n] for f, n in zip(features, lengths)]
        targets = [y[:n] for y, n in zip(data.y, lengths)]
        report = evaluate(features, targets)
        for axis in AXES:
            r = report[axis]
            print(f"| {name} | {axis} | {r['r2']:.3f} | {r['rmse']:.3f} | {r['baseline_r2']:.3f} | "
                  f"{r['baseline_rmse']:.3f} | {r['clip_pearson']:.3f} |")
        print(f"<!-- {name}: features of {sum(lengths)} s of audio in {elapsed:.1f} s -->")


if __name__ == "__main__":
    main()
