"""Training and prediction at the scale of the continuous LIRIS-ACCEDE collection.

Builds a synthetic corpus with the real movie lengths (read from ``../shared/data`` when present) and
the paper's feature sizes (image 2048 + audio 128 + face 1024), then, each part in its own process so
that peak RSS is measured per part:

* side by side, in one process: the steady-state training throughput (windows/s) of the package's
  network and of the naive model, the same architecture built from stock ``keras.layers.GRU`` fed
  with materialised windows, on the same batches of 512 windows, interleaved so that both see the
  same machine load; their ratio;
* for each window length, in a fresh process: one epoch of ``GRUMoERegressor.fit`` on the whole
  corpus, end to end, and its peak RSS; after the 60-s fit, a 2-hour movie (7,200 s) to its smoothed
  per-second curve, timed;
* one more 60-s epoch with every parameter of ``GRUMoERegressor`` at its default (batch sized to the
  corpus, early stopping holding out and scoring movies), so the defaults' cost is in the same table.

Usage::

    python benchmarks/train_scale.py                 # the full benchmark (about 10 minutes on 2 cores)
    python benchmarks/train_scale.py --quick         # a smaller corpus, for a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SKLEARN_EMOTION_SHARED", HERE.parent.parent / "shared"))
MODALITIES = [("image", 2048), ("audio", 128), ("face", 1024)]
BATCH = 512


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20   # ru_maxrss is KiB on Linux


def movie_lengths(quick: bool) -> list[int]:
    folder = SHARED / "data" / "liris-accede-continuous"
    if folder.is_dir():
        from sklearn_emotion.datasets import load_liris_accede

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lengths = [int(n) for n in load_liris_accede(folder).lengths]
        source = "real LIRIS-ACCEDE lengths"
    else:  # same count and range, drawn log-uniformly
        rng = np.random.RandomState(0)
        lengths = np.exp(rng.uniform(np.log(119), np.log(4568), 30)).astype(int).tolist()
        source = "synthetic lengths (../shared absent)"
    if quick:
        lengths = [max(60, n // 10) for n in lengths[:10]]
    print(f"# corpus: {len(lengths)} movies, {sum(lengths)} seconds ({source})", file=sys.stderr)
    return lengths


def make_corpus(lengths: list[int], seed: int = 0) -> tuple[list[dict], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    movies, targets = [], []
    for n in lengths:
        movies.append({name: rng.standard_normal((n, dim), dtype=np.float32) for name, dim in MODALITIES})
        walk = np.cumsum(rng.standard_normal((n, 2)), axis=0)
        targets.append(np.tanh(walk / (3 * np.sqrt(n))))
    return movies, targets


def network_config(window: int) -> dict:
    units = {name: 128 for name, _ in MODALITIES}
    return dict(modalities=MODALITIES, window_length=window, cell="gru", units=units,
                n_layers={name: 1 for name, _ in MODALITIES}, n_experts=4, n_outputs=2, l2=1e-5,
                dropout=0.0, batch_norm=False, batch_norm_inference="population", seed=0)


def side_by_side(window: int, quick: bool, rounds: int) -> dict:
    """Steady-state training throughput of the package's network and the naive one, interleaved.

    Both get the same shuffled batches of 512 windows; the naive model receives them materialised as
    ``(512, L, d)`` arrays (gathering them is part of its cost, as for any feeder that does not hold
    the 19 GB of windows).  Each round runs a few package steps then one naive step, so both see the
    same machine load; both are warmed up (traced) first.
    """
    import keras

    from sklearn_emotion.gru_moe.batches import BlockBatches
    from sklearn_emotion.gru_moe.network import GRUMoENetwork
    from sklearn_emotion.gru_moe.reference import ReferenceNetwork, blocks_to_windows
    from sklearn_emotion.sequence_regressor.losses import masked_loss

    movies, targets = make_corpus(movie_lengths(quick))
    scaled = [((t + 1) / 2).astype(np.float32) for t in targets]
    block = 64
    batches = BlockBatches(movies, scaled, MODALITIES, window, block, BATCH // block, shuffle=True, seed=0)
    package = GRUMoENetwork(**network_config(window))
    package.build_for_blocks(1)
    naive = ReferenceNetwork.from_network(package)
    for network in (package, naive):
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(network.trainable_variables)
        network.compile(optimizer=optimizer, loss=masked_loss("cross_entropy"))

    def step(network, index, materialise):
        inputs, y = batches[index % len(batches)]
        start = time.perf_counter()
        network.train_on_batch(blocks_to_windows(inputs, window, MODALITIES) if materialise else inputs, y)
        return time.perf_counter() - start, int(np.sum(inputs["window_mask"]))

    step(package, 0, False)
    step(naive, 0, True)
    totals = {"package": [0.0, 0], "naive": [0.0, 0]}
    index = 1
    for _ in range(rounds):
        for _ in range(4):
            seconds, n = step(package, index, False)
            totals["package"][0] += seconds
            totals["package"][1] += n
            index += 1
        seconds, n = step(naive, index, True)
        totals["naive"][0] += seconds
        totals["naive"][1] += n
        index += 1
    rates = {name: n / seconds for name, (seconds, n) in totals.items()}
    return {"window": window, "package_windows_per_s": rates["package"],
            "naive_windows_per_s": rates["naive"], "ratio": rates["package"] / rates["naive"],
            "peak_rss_gib": peak_rss_gib(),
            "materialised_gib_if_whole_corpus": sum(len(t) for t in targets) * window * 3200 * 4 / 2**30}


def run_package(window: int, quick: bool, predict: bool, defaults: bool = False) -> dict:
    from sklearn_emotion import ButterworthSmoother, GRUMoERegressor, Windower

    movies, targets = make_corpus(movie_lengths(quick))
    corpus_gib = sum(a.nbytes for m in movies for a in m.values()) / 2**30
    windows = Windower(length=window).fit_transform(movies)
    if defaults:  # every parameter at its default (auto batch and early stopping) but one epoch
        model = GRUMoERegressor(epochs=1, random_state=0)
    else:
        model = GRUMoERegressor(units=128, epochs=1, early_stopping=False, batch_size=BATCH, random_state=0)
    start = time.perf_counter()
    model.fit(windows, targets)
    epoch_s = time.perf_counter() - start
    n_windows = sum(windows.lengths)
    result = {"window": window, "batch_size": model.batch_size_, "block_size": model.block_size_,
              "held_out_movies": model.validation_size_, "corpus_gib": corpus_gib, "n_windows": n_windows, "epoch_s": epoch_s,
              "epoch_windows_per_s": n_windows / epoch_s, "fit_peak_rss_gib": peak_rss_gib()}

    if predict:
        rng = np.random.default_rng(1)
        long_movie = {name: rng.standard_normal((7200, dim), dtype=np.float32) for name, dim in MODALITIES}
        smoother = ButterworthSmoother()
        start = time.perf_counter()
        curve = smoother.transform(model.predict(Windower(length=window).fit_transform([long_movie])))[0]
        result["predict_2h_s"] = time.perf_counter() - start
        result["predict_shape"] = list(curve.shape)
        result["predict_peak_rss_gib"] = peak_rss_gib()
    return result


def in_subprocess(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark part {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 short movies instead of the full corpus")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of 4 package steps + 1 naive step")
    parser.add_argument("--windows", default="10,30,60", help="window lengths for the memory check")
    parser.add_argument("--part", choices=["package", "side-by-side"], help=argparse.SUPPRESS)
    parser.add_argument("--window", type=int, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--predict", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--defaults", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    if args.part == "package":
        print(json.dumps(run_package(args.window, args.quick, args.predict, args.defaults)))
        return
    if args.part == "side-by-side":
        print(json.dumps(side_by_side(args.window, args.quick, args.rounds)))
        return

    import tensorflow as tf

    print(f"machine: {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, devices "
          f"{[d.device_type for d in tf.config.list_physical_devices()]}")
    speed = in_subprocess(["--part", "side-by-side", "--window", "60", "--rounds", str(args.rounds), *quick])
    print(f"\ntraining throughput, 60-s windows, batch 512, image 2048 + audio 128 + face 1024, GRU 128 units "
          f"per modality, measured side by side in one process ({args.rounds} rounds of 4 package steps + 1 naive step):")
    print("\n| model | windows/s |")
    print("|---|---|")
    print(f"| package (block-shared input projections) | {speed['package_windows_per_s']:.0f} |")
    print(f"| naive (stock keras.layers.GRU on materialised windows) | {speed['naive_windows_per_s']:.0f} |")
    print(f"\nspeed-up: {speed['ratio']:.1f}x")

    print("\none epoch of GRUMoERegressor.fit on the whole corpus, each in a fresh process:")
    print("\n| window length | windows | epoch wall time (incl. tracing) | windows/s | peak RSS |")
    print("|---|---|---|---|---|")
    for window in [int(w) for w in args.windows.split(",")]:
        extra = ["--predict"] if window == 60 else []
        part = in_subprocess(["--part", "package", "--window", str(window), *extra, *quick])
        if window == 60:
            prediction = part
        print(f"| {window} s | {part['n_windows']} | {part['epoch_s']:.0f} s | {part['epoch_windows_per_s']:.0f} "
              f"| {part['fit_peak_rss_gib']:.2f} GiB |")
    part = in_subprocess(["--part", "package", "--window", "60", "--defaults", *quick])
    print(f"| 60 s, every parameter at its default (batch {part['batch_size']}, block {part['block_size']}, "
          f"{part['held_out_movies']} movies held out and scored) | {part['n_windows']} | {part['epoch_s']:.0f} s "
          f"| {part['epoch_windows_per_s']:.0f} | {part['fit_peak_rss_gib']:.2f} GiB |")
    print(f"\nfeatures: {prediction['corpus_gib']:.2f} GiB float32; materialised 60-s windows would take "
          f"{speed['materialised_gib_if_whole_corpus']:.1f} GiB")
    print(f"prediction: a 2-hour movie (7,200 s of features) to its Butterworth-smoothed curve "
          f"{tuple(prediction['predict_shape'])} in {prediction['predict_2h_s']:.1f} s, "
          f"peak RSS {prediction['predict_peak_rss_gib']:.2f} GiB")


if __name__ == "__main__":
    main()
