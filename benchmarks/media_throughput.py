"""Media front end throughput and memory: seconds of movie processed per wall-clock second.

Generates a long movie (default 30 min, 160 x 120 at 2 fps, h264 + AAC 16 kHz, real photos with a
face, a cat and a cup cycling every few seconds, a sweeping tone) and a 2-min excerpt made the same
way, then runs, each in a fresh process (so that peak memory is that task's alone):

* decode-only: 1 Hz video frames (:func:`iter_frames`), 16 kHz audio windows;
* every embedder and backbone available offline: ImageEmbedder with the shared MobileNet TFLite
  models and with the InceptionV3 architecture, AudioEmbedder with YAMNet, descriptors and the
  VGGish architecture, FaceEmbedder with BlazeFace + FER mini-Xception.

InceptionV3 and VGGish official weights cannot be downloaded here; their rows use the real
architectures with untrained weights, built explicitly, **for speed only** (speed does not depend
on the weight values).  Cheap tasks also run on the long movie: the peak resident memory must not
grow with the movie's length.

Run: ``python benchmarks/media_throughput.py [--minutes 30] [--shared ../shared]``; prints a
Markdown table (several minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

FPS = 2
SIZE = (160, 120)
RATE = 16000


def generate(path: Path, seconds: int) -> Path:
    """A ``seconds``-long movie of cycling photos and a sweeping tone, streamed to disk."""
    import av
    from skimage import data
    from skimage.transform import resize

    width, height = SIZE
    face = data.astronaut()[20:260, 70:390]
    photos = [
        (resize(image, (height, width), anti_aliasing=True) * 255).astype(np.uint8)
        for image in (face, data.chelsea(), data.coffee())
    ]
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=RATE)
        audio.layout = "mono"
        for index in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(photos[(index // (3 * FPS)) % 3], format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, FPS)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        block = audio.codec_context.frame_size or 1024
        phase = 0.0
        for start in range(0, seconds * RATE, block):
            t = (start + np.arange(block)) / RATE
            frequency = 300 + 200 * np.sin(2 * np.pi * t / 7)
            samples = 0.3 * np.sin(phase + np.cumsum(2 * np.pi * frequency / RATE))
            phase = float(phase + np.sum(2 * np.pi * frequency / RATE))
            frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None], format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
    return path


def _task(name: str, movie: str, shared: str, workdir: str, queue) -> None:
    """Run one task in this (fresh) process; report seconds processed, wall time and peak RSS."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from sklearn_emotion.media import AudioEmbedder, FaceEmbedder, ImageEmbedder
    from sklearn_emotion.media.decoding import iter_audio_windows, iter_frames

    weights = Path(shared) / "weights"

    def untrained_inception():
        import keras

        return keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None, input_shape=(299, 299, 3))

    def untrained_vggish_file():
        from sklearn_emotion.media.vggish import build_vggish

        path = Path(workdir) / "untrained_vggish.weights.h5"
        if not path.exists():
            build_vggish().save_weights(path)
        return str(path)

    decoders = {
        "decode video (1 Hz frames)": lambda: sum(1 for _ in iter_frames(movie)),
        "decode audio (16 kHz windows)": lambda: sum(1 for _ in iter_audio_windows(movie, sample_rate=RATE, window=15600)),
    }
    embedders = {
        "image: MobileNet v1 TFLite (1024-d)": lambda: ImageEmbedder(
            str(weights / "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")),
        "image: MobileNet v2 TFLite (1280-d)": lambda: ImageEmbedder(
            str(weights / "mobilenet_v2_1.0_224_quant.tflite"), output="MobilenetV2/Logits/AvgPool"),
        "image: InceptionV3 Keras (2048-d, untrained: speed only)": lambda: ImageEmbedder(
            untrained_inception(), preprocessing="tf"),
        "audio: YAMNet TFLite (1024-d)": lambda: AudioEmbedder(str(weights / "yamnet.tflite")),
        "audio: VGGish Keras (128-d, untrained: speed only)": lambda: AudioEmbedder(
            "vggish", weights=untrained_vggish_file(), pca_params=None),
        "audio: descriptors (112-d)": lambda: AudioEmbedder("descriptors"),
        "face: BlazeFace + FER mini-Xception (2 x 13)": lambda: FaceEmbedder(
            str(weights / "face_detection_short_range.tflite"), str(weights / "fer2013_mini_XCEPTION.102-0.66.hdf5")),
    }
    if name in decoders:
        start = time.perf_counter()
        seconds = decoders[name]()
    else:
        job = embedders[name]().fit([movie])
        # Load the models before timing, on one already-decoded second.
        if isinstance(job, AudioEmbedder):
            job.transform([(np.zeros(RATE, np.float32), RATE)])
        else:
            job.transform([np.zeros((1, SIZE[1], SIZE[0], 3), np.uint8)])
        start = time.perf_counter()
        (features,) = job.transform([movie])
        seconds = features.shape[0]
    elapsed = time.perf_counter() - start
    queue.put((seconds, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(name: str, movie: Path, shared: Path, workdir: Path) -> tuple[int, float, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_task, args=(name, str(movie), str(shared), str(workdir), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30, help="length of the long movie")
    parser.add_argument("--short-seconds", type=int, default=120, help="length of the excerpt")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="media-bench-") as folder:
        workdir = Path(folder)
        start = time.perf_counter()
        short = generate(workdir / "short.mp4", args.short_seconds)
        long = generate(workdir / "long.mp4", args.minutes * 60)
        print(f"generated {args.short_seconds} s and {args.minutes} min movies ({SIZE[0]}x{SIZE[1]}, {FPS} fps, "
              f"{long.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s; {os.cpu_count()} CPUs\n")
        cheap = {
            "decode video (1 Hz frames)", "decode audio (16 kHz windows)", "image: MobileNet v1 TFLite (1024-d)",
            "audio: YAMNet TFLite (1024-d)", "face: BlazeFace + FER mini-Xception (2 x 13)",
        }
        names = [
            "decode video (1 Hz frames)", "decode audio (16 kHz windows)",
            "image: MobileNet v1 TFLite (1024-d)", "image: MobileNet v2 TFLite (1280-d)",
            "image: InceptionV3 Keras (2048-d, untrained: speed only)",
            "audio: YAMNet TFLite (1024-d)", "audio: VGGish Keras (128-d, untrained: speed only)",
            "audio: descriptors (112-d)", "face: BlazeFace + FER mini-Xception (2 x 13)",
        ]
        print(f"| task | movie s / wall s ({args.short_seconds} s movie) | peak RSS MB | "
              f"movie s / wall s ({args.minutes} min movie) | peak RSS MB |")
        print("|---|---|---|---|---|")
        for name in names:
            seconds, elapsed, peak = measure(name, short, args.shared, workdir)
            row = f"| {name} | {seconds / elapsed:.1f} | {peak:.0f} |"
            if name in cheap:
                seconds_long, elapsed_long, peak_long = measure(name, long, args.shared, workdir)
                row += f" {seconds_long / elapsed_long:.1f} ({seconds_long} s) | {peak_long:.0f} |"
            else:
                row += " - | - |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
