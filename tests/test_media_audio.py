"""AudioEmbedder: VGGish front end and network, YAMNet on real music, descriptors, missing audio."""

from __future__ import annotations

import socket

import numpy as np
import pytest

pytest.importorskip("av")
pytest.importorskip("librosa")

from media_videos import photo, tone, write_audio, write_video  # noqa: E402

from sklearn_emotion.media import AudioEmbedder, BackboneUnavailableError, MissingStreamError  # noqa: E402
from sklearn_emotion.media import vggish  # noqa: E402
from sklearn_emotion.media.audio import DESCRIPTOR_NAMES, SilenceWarning, audio_backbone, audio_features  # noqa: E402
from sklearn_emotion.media.decoding import iter_audio_windows, read_audio  # noqa: E402

MUSIC = 132  # AudioSet class "Music"


def reference_log_mel(waveform: np.ndarray) -> np.ndarray:
    """VGGish's log-mel spectrogram written from its definition with NumPy only."""
    n_frames = 1 + (len(waveform) - 400) // 160
    frames = np.stack([waveform[i * 160 : i * 160 + 400] for i in range(n_frames)]).astype(np.float64)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(frames * window, 512))

    def hz_to_mel(hz):
        return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)

    bins_mel = hz_to_mel(np.linspace(0, 8000, 257))
    edges = np.linspace(hz_to_mel(125.0), hz_to_mel(7500.0), 66)
    weights = np.zeros((257, 64))
    for band in range(64):
        low, center, high = edges[band : band + 3]
        weights[:, band] = np.maximum(0, np.minimum((bins_mel - low) / (center - low), (high - bins_mel) / (high - center)))
    weights[0] = 0
    return np.log(magnitude @ weights + 0.01)


@pytest.fixture(scope="module")
def music_clip(shared_data):
    return shared_data / "emomusic" / "audio" / "2.mp3"


@pytest.fixture(scope="module")
def music(music_clip):
    return read_audio(music_clip, sample_rate=16000)


def test_vggish_front_end_matches_numpy_reference(music):
    waveform = music[16000 * 10 : 16000 * 13]
    np.testing.assert_allclose(vggish.log_mel_frames(waveform), reference_log_mel(waveform), rtol=1e-9, atol=1e-9)


def test_vggish_examples_are_aligned_to_seconds(music):
    clip = music[: 16000 * 4]
    whole = reference_log_mel(clip)
    windows = list(iter_audio_windows((clip, 16000), sample_rate=16000, window=vggish.EXAMPLE_SAMPLES))
    assert len(windows) == 4
    for t, samples in windows[:3]:  # the last example runs past the 4 s clip (zero padded)
        example = vggish.log_mel_example(samples)
        assert example.shape == (96, 64)
        np.testing.assert_allclose(example, whole[100 * t : 100 * t + 96], rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def vggish_files(tmp_path_factory):
    """A checkpoint with the official variable names and a PCA file, holding seeded values."""
    tf = pytest.importorskip("tensorflow")
    folder = tmp_path_factory.mktemp("vggish")
    model = vggish.build_vggish()
    rng = np.random.default_rng(0)
    names, values = [], []
    for layer, scope in vggish.CHECKPOINT_SCOPES.items():
        for part, weight in zip(("weights", "biases"), model.get_layer(layer).get_weights()):
            names.append(f"{scope}/{part}")
            scale = 1.0 / np.sqrt(np.prod(weight.shape[:-1])) if part == "weights" else 0.01
            values.append((rng.standard_normal(weight.shape, dtype=np.float32) * scale).astype(np.float32))
    prefix = str(folder / "vggish_model.ckpt")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=values)
    pca = folder / "vggish_pca_params.npz"
    eigen, _ = np.linalg.qr(rng.standard_normal((128, 128)))
    np.savez(pca, pca_eigen_vectors=eigen, pca_means=rng.standard_normal(128))
    return model, prefix, pca, dict(zip(names, values))


@pytest.mark.keras  # the fixture builds VGGish (72 M parameters)
def test_vggish_architecture(vggish_files):
    model = vggish_files[0]
    assert model.input_shape == (None, 96, 64, 1) and model.output_shape == (None, 128)
    assert model.count_params() == 72_141_184  # the released VGGish
    assert model.get_layer("fc1_1").get_weights()[0].shape == (12288, 4096)  # 6 x 4 x 512 after 4 pools


@pytest.mark.keras  # VGGish (72 M parameters), built twice
def test_vggish_checkpoint_loads_into_embedder(vggish_files, music):
    model, prefix, pca, values = vggish_files
    vggish.load_vggish_checkpoint(model, prefix)
    np.testing.assert_array_equal(model.get_layer("conv3_2").get_weights()[0], values["vggish/conv3/conv3_2/weights"])
    clip = (music[: 16000 * 3], 16000)
    (raw,) = AudioEmbedder("vggish", weights=prefix, pca_params=None).transform([clip])
    assert raw.shape == (3, 128)
    example = vggish.log_mel_example(clip[0][16000 : 16000 + 15600])
    np.testing.assert_allclose(raw[1], np.asarray(model(example[None, ..., None]))[0], rtol=1e-4, atol=1e-4)
    (quantised,) = AudioEmbedder("vggish", weights=prefix, pca_params=pca).transform([clip])
    with np.load(pca) as params:
        expected = (raw - params["pca_means"]) @ params["pca_eigen_vectors"].T
    expected = np.floor((np.clip(expected, -2, 2) + 2) * 255 / 4)
    assert np.abs(quantised - expected).max() <= 1  # float rounding may cross an integer
    assert quantised.min() >= 0 and quantised.max() <= 255


@pytest.mark.keras  # the network is built before the checkpoint is read
def test_not_a_vggish_checkpoint(tmp_path):
    tf = pytest.importorskip("tensorflow")
    prefix = str(tmp_path / "other.ckpt")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["dense/kernel"], shape_and_slices=[""], tensors=[np.zeros((2, 2), np.float32)])
    with pytest.raises(ValueError, match="other.ckpt is not a VGGish checkpoint"):
        AudioEmbedder("vggish", weights=prefix, pca_params=None).transform([(np.zeros(16000), 16000)])


def _online() -> bool:
    try:
        socket.getaddrinfo("storage.googleapis.com", 443)
        return True
    except OSError:
        return False


def test_vggish_offline_error_says_how_to_supply_files(tmp_path, monkeypatch):
    if _online():
        pytest.skip("this machine is online: the official VGGish checkpoint would be downloaded")
    monkeypatch.setenv("SKLEARN_EMOTION_HOME", str(tmp_path))
    with pytest.raises(BackboneUnavailableError, match="vggish_model.ckpt.*weights="):
        AudioEmbedder().transform([(np.zeros(16000), 16000)])
    with pytest.raises(ValueError, match="random weights"):
        AudioEmbedder(weights=None).transform([(np.zeros(16000), 16000)])
    with pytest.raises(BackboneUnavailableError, match="yamnet.tflite.*AudioEmbedder\\('/path/yamnet.tflite'\\)"):
        AudioEmbedder("yamnet").transform([(np.zeros(16000), 16000)])


@pytest.fixture(scope="module")
def yamnet(shared_weights):
    return str(shared_weights / "yamnet.tflite")


def test_yamnet_hears_music(music_clip, yamnet):
    (scores,) = AudioEmbedder(yamnet, output="scores").fit_transform([music_clip])
    assert scores.shape == (45, 521)  # the clip lasts 45.x s
    assert scores.mean(axis=0).argmax() == MUSIC
    assert (scores.argmax(axis=1) == MUSIC).mean() > 0.8
    (embedding,) = AudioEmbedder(yamnet).transform([music_clip])
    assert embedding.shape == (45, 1024)
    assert len(AudioEmbedder(yamnet).get_feature_names_out()) == 1024


def test_descriptors_follow_the_sound():
    low, high = tone(2, 16000, frequency=300), tone(2, 16000, frequency=3000)
    embedder = AudioEmbedder("descriptors")
    features = embedder.transform([(low, 16000), (high, 16000)])
    names = list(embedder.get_feature_names_out())
    assert features[0].shape == (2, len(DESCRIPTOR_NAMES)) == (2, 112)
    centroid = names.index("audio_centroid_mean")
    assert features[1][0, centroid] > 3 * features[0][0, centroid]
    assert all(np.isfinite(f).all() for f in features)
    # The embedder runs the feature function on each movie.
    done = []
    descriptors = audio_backbone("descriptors")
    np.testing.assert_array_equal(audio_features((high, 16000), descriptors, on_seconds=done.append), features[1])
    assert done == [2]
    with pytest.raises(ValueError, match="clip 3: an audio movie must be"):
        audio_features(high, descriptors, name="clip 3")


@pytest.fixture(scope="module")
def small_photos():
    return [photo("coffee", (160, 120))] * 3


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm", ".avi"])
def test_audio_of_video_containers(tmp_path, small_photos, suffix):
    path = write_video(tmp_path / f"movie{suffix}", small_photos, audio=tone(3, 16000))
    (features,) = AudioEmbedder("descriptors").transform([path])
    assert features.shape == (3, 112)


def test_file_and_decoded_waveform_agree(tmp_path, music):
    clip = music[: 16000 * 3]
    path = write_audio(tmp_path / "clip.wav", clip)
    from_file, from_array = AudioEmbedder("descriptors").transform([path, (clip, 16000)])
    # The WAV file holds 16-bit samples: near-silent frames shift the zero-crossing rate a little.
    np.testing.assert_allclose(from_file, from_array, rtol=0.02, atol=0.02)


def test_missing_audio_track(tmp_path, small_photos):
    path = write_video(tmp_path / "silent.mp4", small_photos)
    with pytest.raises(MissingStreamError, match="silent.mp4.*--missing-audio silence"):
        AudioEmbedder("descriptors").transform([path])
    with pytest.warns(SilenceWarning, match=r"silent.mp4 has no audio track.*3 s"):
        (features,) = AudioEmbedder("descriptors", missing_audio="silence").transform([path])
    assert features.shape == (3, 112)
    np.testing.assert_array_equal(features, np.repeat(features[:1], 3, axis=0))
    silence = audio_features((np.zeros(16000, np.float32), 16000), audio_backbone("descriptors"))
    np.testing.assert_allclose(features[:1], silence)
    with pytest.raises(ValueError, match="missing_audio"):
        AudioEmbedder("descriptors", missing_audio="zeros").fit([path])


def test_emomusic_clips_end_to_end(shared_data, yamnet):
    """Real clips and their real continuous labels through AudioEmbedder and a per-second model."""
    from sklearn.linear_model import Ridge

    from sklearn_emotion.datasets import load_emomusic
    from sklearn_emotion import PerSecondRegressor

    data = load_emomusic(shared_data / "emomusic", time_origin="clip", songs=[2, 3, 4], require_audio=True)
    features = AudioEmbedder(yamnet).transform([str(p) for p in data.audio_paths])
    assert [f.shape for f in features] == [(45, 1024)] * 3 == [(len(y), 1024) for y in data.y]
    # Labels cover seconds 15-44 of each clip; the model learns from those seconds only.
    assert all(np.isnan(y[:15]).all() and not np.isnan(y[15:]).any() for y in data.y)
    model = PerSecondRegressor(Ridge(alpha=100.0)).fit(features[:2], data.y[:2])
    (prediction,) = model.predict(features[2:])
    assert prediction.shape == (45, 2) and np.isfinite(prediction).all()


def test_audio_descriptors_do_not_depend_on_the_blas_thread_count():
    # A parallel worker (joblib limits its BLAS to one thread) must give the caller's features bit for bit.
    from threadpoolctl import threadpool_limits

    from sklearn_emotion.media.audio import audio_descriptors

    for seed in range(3):
        samples = (np.random.default_rng(seed).standard_normal(16000) * 0.1).astype(np.float32)
        default = audio_descriptors(samples)
        with threadpool_limits(1):
            np.testing.assert_array_equal(audio_descriptors(samples), default)


def test_a_waveform_given_as_samples_by_channels_is_refused_not_averaged_wrongly():
    from sklearn_emotion.media.decoding import as_waveform

    rate = 16000
    stereo = np.stack([tone(1.0, rate, 440.0), tone(1.0, rate, 220.0)])  # (channels, samples): librosa's layout
    assert as_waveform((stereo, rate), rate).shape == (rate,)
    with pytest.raises(ValueError, match=r"shape \(16000, 2\) has more channels than samples.*waveform\.T"):
        as_waveform((stereo.T, rate), rate)  # soundfile's (samples, channels) used to give 2 "samples"
