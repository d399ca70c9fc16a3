"""Quick start with the Python API
===============================

Videos -> per-second features -> the paper's model -> scores and a plot.

Uses the demo's generated movies (real H.264/AAC files whose pictures and sounds follow known
valence/arousal curves, see ``sklearn_emotion.demo``), so it runs offline.  With ``--weights-dir``
the features come from small pretrained networks; without, from weight-free descriptors.  Run it as::

    python examples/quickstart.py --output-dir /tmp/quickstart [--weights-dir ../shared/weights]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn_emotion import (
    AudioEmbedder,
    ButterworthSmoother,
    ImageEmbedder,
    ModalityUnion,
    make_baseline_pipeline,
    make_paper_pipeline,
)
from sklearn_emotion.demo import DemoConfig, make_corpus
from sklearn_emotion.extraction import colour_layout_model
from sklearn_emotion.metrics import mediaeval_scores
from sklearn_emotion.plotting import plot_curves
from sklearn_emotion.reporting import mediaeval_table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", default="quickstart-output")
    parser.add_argument("--weights-dir", default=None, help="folder with yamnet.tflite and the MobileNet extractor")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter movies and shorter windows")
    args = parser.parse_args(argv)
    output = Path(args.output_dir)

    # 1. Movies: video files and their per-second (valence, arousal) annotations.
    config = DemoConfig(n_movies=4, min_seconds=20, max_seconds=24) if args.quick else DemoConfig(n_movies=8)
    movies = make_corpus(output / "corpus", config, random_state=0)
    videos, y = [str(m.video) for m in movies], [m.curves for m in movies]

    # 2. Features: one embedder per modality; ModalityUnion gives {modality: (T, d)} per movie.
    if args.weights_dir:
        weights = Path(args.weights_dir)
        image = ImageEmbedder(weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")
        audio = AudioEmbedder(weights / "yamnet.tflite")
    else:
        image = ImageEmbedder(colour_layout_model(), preprocessing="unit")  # weight-free colour layout
        audio = AudioEmbedder("descriptors")  # weight-free log-mel / MFCC statistics
    X = ModalityUnion([("image", image), ("audio", audio)]).fit_transform(videos)
    y = [curves[: len(features["image"])] for curves, features in zip(y, X)]

    # 3. Split by movie, train the paper's pipeline and the per-second baseline.
    n_test = max(1, len(X) // 4)
    X_train, y_train, X_test, y_test = X[n_test:], y[n_test:], X[:n_test], y[:n_test]
    # MovieStandardScaler -> Windower -> SmoothedRegressor(GRUMoERegressor, smoother): the scaler puts the
    # modalities' very different scales on one footing; training is sized to the corpus by the defaults.
    paper = make_paper_pipeline(window_length=10 if args.quick else 30, smoother=ButterworthSmoother(cutoff=0.05),
                                units=16, random_state=0).fit(X_train, y_train)
    baseline = make_baseline_pipeline().fit(X_train, y_train)  # PerSecondRegressor(RidgeCV)

    # 4. MediaEval scores of the held-out movies, and a plot of the first one.
    predictions = {"per-second Ridge": baseline.predict(X_test), "GRU+MoE+Butterworth": paper.predict(X_test)}
    print(mediaeval_table({name: mediaeval_scores(y_test, p) for name, p in predictions.items()}))
    curves = {"annotation": y_test[0], **{name: p[0] for name, p in predictions.items()}}
    roles = {"annotation": "annotation", "GRU+MoE+Butterworth": "model", "per-second Ridge": "baseline"}
    print("plot:", plot_curves(output / "quickstart.png", curves, roles=roles, title=f"{movies[0].name} (held out)"))


if __name__ == "__main__":
    main()
