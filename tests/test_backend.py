"""The Keras backend as an extra: install metadata of [cpu] and [gpu], the device report, the missing-backend error."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import types

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from sklearn_emotion import _backend


def _installed(extra: str, platform_machine: str, sys_platform: str) -> set[str]:
    """The distributions (with their extras) pip installs for ``extra`` on that platform, by the package's metadata."""
    environment = {**default_environment(), "extra": extra, "platform_machine": platform_machine,
                   "sys_platform": sys_platform}
    chosen = set()
    for text in importlib.metadata.requires("sklearn-emotion") or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            chosen.add(requirement.name + "".join(f"[{extra}]" for extra in sorted(requirement.extras)))
    return chosen


def _tensorflows(distributions: set[str]) -> set[str]:
    return {name for name in distributions if name.startswith("tensorflow")}


@pytest.mark.parametrize("machine, platform", [("x86_64", "linux"), ("AMD64", "win32"), ("arm64", "darwin")])
def test_the_base_install_has_no_tensorflow_build(machine, platform):
    base = _installed("", machine, platform)
    assert _tensorflows(base) == set()
    assert "keras" in base


def test_the_cpu_extra_is_the_small_cpu_only_build_where_one_exists():
    assert _tensorflows(_installed("cpu", "x86_64", "linux")) == {"tensorflow-cpu"}
    assert _tensorflows(_installed("cpu", "AMD64", "win32")) == {"tensorflow-cpu"}
    assert _tensorflows(_installed("cpu", "aarch64", "linux")) == {"tensorflow"}


def test_the_gpu_extra_is_cuda_tensorflow_on_linux_and_never_beside_the_cpu_build():
    # Two distributions providing the `tensorflow` package would overwrite each other's files.
    assert _tensorflows(_installed("gpu", "x86_64", "linux")) == {"tensorflow[and-cuda]"}
    assert _tensorflows(_installed("gpu", "aarch64", "linux")) == {"tensorflow[and-cuda]"}
    assert _tensorflows(_installed("gpu", "arm64", "darwin")) == {"tensorflow"}


def test_the_device_report_on_this_cpu_machine():
    pytest.importorskip("tensorflow")
    line = _backend.tensorflow_device()
    import tensorflow as tf

    assert tf.__version__ in line
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU: the CPU wording cannot be checked here")
    assert line.startswith("Keras networks run on CPU (")
    if not tf.test.is_built_with_cuda():
        assert "CPU-only TensorFlow build" in line and "sklearn-emotion[gpu]" in line


def test_the_device_report_names_the_gpus_tensorflow_sees(monkeypatch):
    tf = pytest.importorskip("tensorflow")
    gpu = types.SimpleNamespace(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [gpu] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda device: {"device_name": "NVIDIA H200"})
    assert _backend.tensorflow_device().startswith("Keras networks run on GPU: NVIDIA H200 (TensorFlow ")


def test_a_missing_tensorflow_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    with pytest.raises(ImportError, match=r'sklearn-emotion\[cpu\]".*sklearn-emotion\[gpu\]'):
        _backend.require_tensorflow()
    from sklearn_emotion.workflows.extract import device_line

    assert device_line().startswith("Keras networks: TensorFlow is not installed (")
