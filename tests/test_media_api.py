"""scikit-learn conventions of the media transformers (construction, parameters, cloning, tags)."""

from __future__ import annotations

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from sklearn_emotion.media import AudioEmbedder, FaceEmbedder, ImageEmbedder, ModalityUnion

EMBEDDERS = [ImageEmbedder(), AudioEmbedder(), FaceEmbedder()]


@pytest.mark.parametrize("estimator", EMBEDDERS + [ModalityUnion([("image", ImageEmbedder())])], ids=repr)
def test_scikit_learn_conventions(estimator):
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_get_params_invariance(name, estimator)
    if not isinstance(estimator, ModalityUnion):
        check_parameters_default_constructible(name, estimator)
    copy = clone(estimator)
    assert copy.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()


@pytest.mark.parametrize("estimator", EMBEDDERS, ids=repr)
def test_stateless_tags_and_fit(estimator):
    tags = estimator.__sklearn_tags__()
    assert tags.requires_fit is False
    assert tags.input_tags.two_d_array is False
    assert estimator.fit(["unused.mp4"]) is estimator  # fit only checks the parameters


def test_params_are_stored_unchanged():
    embedder = ImageEmbedder("no-such-model", batch_size=-3, output=object)
    assert embedder.backbone == "no-such-model" and embedder.batch_size == -3  # validated in fit
    with pytest.raises(ValueError, match="batch_size"):
        embedder.fit([])
