"""Training and prediction at the scale of the continuous LIRIS-ACCEDE collection.

Builds a synthetic corpus with the real movie lengths (read from ``../shared/data`` when present) and
the paper's feature sizes (image 2048 + audio 128 + face 1024), then, each part in its own process so
that peak RSS is measured per part:

* ``package``: one epoch of ``GRUMoERegressor`` (60-s windows, batch 512) on the whole corpus, end to
  end, then the steady-state training throughput of the same network and batches, peak RSS; the same
  for shorter windows to show the peak does not grow with the window length; then a 2-hour movie
  (7,200 s) to its smoothed per-second curve, timed.
* ``naive``: the same architecture built from stock ``keras.layers.GRU`` fed with materialised windows
  (the batches are gathered from the corpus, as any non-materialising feeder would), a bounded number
  of steps, same batch size.

Prints windows/s of both and their ratio.  Usage::

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


def steady_state(network, batches, steps: int, materialise=None) -> float:
    """Windows per second over ``steps`` train steps after one warm-up step."""
    inputs, y = batches[0]
    network.train_on_batch(materialise(inputs) if materialise else inputs, y)
    start = time.perf_counter()
    n = 0
    for i in range(1, steps + 1):
        inputs, y = batches[i % len(batches)]
        network.train_on_batch(materialise(inputs) if materialise else inputs, y)
        n += int(np.sum(inputs["window_mask"]))
    return n / (time.perf_counter() - start)


def run_package(window: int, quick: bool, predict: bool) -> dict:
    import keras

    from sklearn_emotion import ButterworthSmoother, GRUMoERegressor, Windower
    from sklearn_emotion.blocks import BlockBatches
    from sklearn_emotion.network import GRUMoENetwork, masked_loss

    movies, targets = make_corpus(movie_lengths(quick))
    corpus_gib = sum(a.nbytes for m in movies for a in m.values()) / 2**30
    windows = Windower(length=window).fit_transform(movies)
    model = GRUMoERegressor(units=128, epochs=1, early_stopping=False, batch_size=BATCH, random_state=0)
    start = time.perf_counter()
    model.fit(windows, targets)
    epoch_s = time.perf_counter() - start
    n_windows = sum(windows.lengths)
    result = {"window": window, "corpus_gib": corpus_gib, "n_windows": n_windows, "epoch_s": epoch_s,
              "epoch_windows_per_s": n_windows / epoch_s, "fit_peak_rss_gib": peak_rss_gib()}

    network = GRUMoENetwork(**network_config(window))
    network.build_for_blocks(1)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), loss=masked_loss("cross_entropy"))
    scaled = [((t + 1) / 2).astype(np.float32) for t in targets]
    batches = BlockBatches(movies, scaled, MODALITIES, window, model.block_size,
                           BATCH // model.block_size, shuffle=True, seed=0)
    result["steady_windows_per_s"] = steady_state(network, batches, 8 if quick else 20)
    result["peak_rss_gib"] = peak_rss_gib()

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


def run_naive(window: int, quick: bool, steps: int) -> dict:
    import keras

    from sklearn_emotion.blocks import BlockBatches
    from sklearn_emotion.network import masked_loss
    from sklearn_emotion.reference import ReferenceNetwork, blocks_to_windows

    movies, targets = make_corpus(movie_lengths(quick))
    network = ReferenceNetwork(**network_config(window))
    network.build_for_blocks(1)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), loss=masked_loss("cross_entropy"))
    scaled = [((t + 1) / 2).astype(np.float32) for t in targets]
    # The same shuffled windows, but each batch materialised as (512, L, d) arrays for the stock GRU.
    batches = BlockBatches(movies, scaled, MODALITIES, window, 64, BATCH // 64, shuffle=True, seed=0)
    rate = steady_state(network, batches, steps,
                        materialise=lambda inputs: blocks_to_windows(inputs, window, MODALITIES))
    return {"window": window, "steady_windows_per_s": rate, "peak_rss_gib": peak_rss_gib(),
            "materialised_gib_if_whole_corpus": sum(len(t) for t in targets) * window * 3200 * 4 / 2**30}


def in_subprocess(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark part {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 short movies instead of the full corpus")
    parser.add_argument("--naive-steps", type=int, default=5)
    parser.add_argument("--windows", default="10,30,60", help="window lengths for the memory check")
    parser.add_argument("--part", choices=["package", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--window", type=int, default=60, help=argparse.SUPPRESS)
    parser.add_argument("--predict", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    if args.part == "package":
        print(json.dumps(run_package(args.window, args.quick, args.predict)))
        return
    if args.part == "naive":
        print(json.dumps(run_naive(args.window, args.quick, args.naive_steps)))
        return

    import tensorflow as tf

    print(f"machine: {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, devices "
          f"{[d.device_type for d in tf.config.list_physical_devices()]}")
    package = in_subprocess(["--part", "package", "--window", "60", "--predict", *quick])
    naive = in_subprocess(["--part", "naive", "--window", "60", "--naive-steps", str(args.naive_steps), *quick])
    print(f"\ncorpus: {package['n_windows']} windows, features {package['corpus_gib']:.2f} GiB float32; "
          f"materialised 60-s windows would take {naive['materialised_gib_if_whole_corpus']:.1f} GiB")
    print("\n| model (60-s windows, batch 512) | windows/s | peak RSS |")
    print("|---|---|---|")
    print(f"| package, one full epoch end to end (incl. tracing) | {package['epoch_windows_per_s']:.0f} "
          f"| {package['fit_peak_rss_gib']:.2f} GiB |")
    print(f"| package, steady state | {package['steady_windows_per_s']:.0f} | {package['peak_rss_gib']:.2f} GiB |")
    print(f"| naive stock keras GRU on materialised windows, steady state | {naive['steady_windows_per_s']:.0f} "
          f"| {naive['peak_rss_gib']:.2f} GiB |")
    print(f"\nspeed-up (steady state): {package['steady_windows_per_s'] / naive['steady_windows_per_s']:.1f}x; "
          f"(package epoch end to end vs naive steady state): "
          f"{package['epoch_windows_per_s'] / naive['steady_windows_per_s']:.1f}x")
    print(f"prediction: a 2-hour movie (7,200 s) to its smoothed curve in {package['predict_2h_s']:.1f} s, "
          f"peak RSS {package['predict_peak_rss_gib']:.2f} GiB")
    print("\n| window length | one-epoch fit peak RSS | epoch windows/s |")
    print("|---|---|---|")
    for window in [int(w) for w in args.windows.split(",")]:
        part = package if window == 60 else in_subprocess(["--part", "package", "--window", str(window), *quick])
        print(f"| {window} s | {part['fit_peak_rss_gib']:.2f} GiB | {part['epoch_windows_per_s']:.0f} |")


if __name__ == "__main__":
    main()
