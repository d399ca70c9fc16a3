"""The settings a feature folder records: feature spec and missing-audio policy (read_folder_settings)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sklearn_emotion.feature_folder import FeatureFolder, read_folder_settings, read_folder_spec

SPEC = {"image": {"backbone": "colour-layout", "frame_selection": "exact"}}


def _features(seconds=3):
    return {"image": np.zeros((seconds, 4), np.float32)}


def test_read_folder_settings_gives_the_spec_and_the_missing_audio_policy(tmp_path):
    assert read_folder_settings(tmp_path) is None and read_folder_spec(tmp_path) is None
    folder = FeatureFolder(tmp_path)
    folder.save("a", _features(), source=tmp_path / "a.mp4", content="c", spec=SPEC, missing_audio="silence")
    folder.write_manifest(SPEC, "silence")
    assert read_folder_settings(tmp_path) == {"feature_spec": SPEC, "missing_audio": "silence"}
    assert read_folder_spec(tmp_path) == SPEC
    manifest = json.loads((tmp_path / "features.json").read_text())
    assert manifest["missing_audio"] == "silence" and manifest["movies"]["a"]["missing_audio"] == "silence"
    assert folder.record("a")["missing_audio"] == "silence"


def test_a_manifest_of_0_2_without_the_policy_reads_as_error(tmp_path):
    (tmp_path / "features.json").write_text(json.dumps({"feature_spec": SPEC, "movies": {}}))
    assert read_folder_settings(tmp_path) == {"feature_spec": SPEC, "missing_audio": "error"}


@pytest.mark.parametrize("manifest", ['{"movies": {}}', "{cut",
                                      json.dumps({"feature_spec": SPEC, "missing_audio": "x"})])
def test_an_incomplete_manifest_is_a_value_error_naming_it(tmp_path, manifest):
    (tmp_path / "features.json").write_text(manifest)
    with pytest.raises(ValueError, match=r"features\.json is incomplete"):
        read_folder_settings(tmp_path)
