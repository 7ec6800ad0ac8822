"""LocalPerceptualLoss reads VGG19 weights from a local Paddle .pdparams or
torchvision .pth file; a wrong or missing file is refused by name."""
import collections

import numpy as np
import paddle
import paddle.vision.models.vgg as vgg
import pytest

import ppgan_ext  # noqa: F401
from ppgan_ext.engine.checkpoint import save_checkpoint
from ppgan_ext.models.criterions.local_perceptual_loss import (
    LocalPerceptualLoss, VGGWeightsError)
from tests.torch_pickle_fakes import FakeTensor, write_torch_zip

LAYERS = {'2': 1.0, '7': 1.0}  # conv1_2 and conv2_2: features.0..7


def small_vgg_state(seed=0):
    """``features.*`` of VGG19 up to layer 7, random (a small weight file)."""
    paddle.seed(seed)
    full = vgg.vgg19().features.state_dict()
    return collections.OrderedDict(
        (f'features.{k}', v.numpy()) for k, v in full.items()
        if int(k.split('.')[0]) <= 7)


def assert_loaded(loss, state):
    for key, value in loss.vgg.vgg_layers.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[f'features.{key}'])


def test_reads_paddle_pdparams(tmp_path):
    state = small_vgg_state()
    path = tmp_path / 'vgg19_small.pdparams'
    save_checkpoint(dict(state), str(path))
    loss = LocalPerceptualLoss(LAYERS, vgg_weights=str(path))
    assert_loaded(loss, state)
    x = paddle.rand([1, 3, 32, 32])
    percep, _ = loss(x, x)
    assert float(percep) == 0.0


def test_reads_torchvision_pth(tmp_path):
    state = small_vgg_state(1)
    path = tmp_path / 'vgg19-small.pth'
    write_torch_zip(path, collections.OrderedDict(
        (k, FakeTensor(v)) for k, v in state.items()))
    assert_loaded(LocalPerceptualLoss(LAYERS, vgg_weights=str(path)), state)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(VGGWeightsError, match='vgg_weights is not set'):
        LocalPerceptualLoss(LAYERS)
    with pytest.raises(VGGWeightsError, match='nope.pdparams: no such file'):
        LocalPerceptualLoss(LAYERS, vgg_weights=str(tmp_path / 'nope.pdparams'))
    state = small_vgg_state()
    del state['features.5.weight']
    path = tmp_path / 'cut.pdparams'
    save_checkpoint(dict(state), str(path))
    with pytest.raises(VGGWeightsError, match=r'cut.pdparams: no features.5.weight'):
        LocalPerceptualLoss(LAYERS, vgg_weights=str(path))


def test_resize_below_resizes_narrow_inputs_bilinearly():
    import paddle.nn.functional as F
    paddle.seed(2)
    small = LocalPerceptualLoss(LAYERS, random_vgg=True, resize_below=40)
    plain = LocalPerceptualLoss(LAYERS, random_vgg=True)
    plain.vgg.set_state_dict(small.vgg.state_dict())
    x, y = paddle.rand([1, 3, 24, 24]) * 2 - 1, paddle.rand([1, 3, 24, 24])
    up = [F.interpolate(t, size=[40, 40], mode='bilinear',
                        align_corners=False) for t in (x, y)]
    np.testing.assert_allclose(float(small(x, y)[0]), float(plain(*up)[0]),
                               rtol=1e-5)
    # at or above the size nothing is resized
    big = paddle.rand([1, 3, 40, 40])
    assert float(small(big, big * 0.5)[0]) == float(plain(big, big * 0.5)[0])


def test_bad_resize_below_is_named():
    from ppgan_ext.config import ConfigError
    with pytest.raises(ConfigError, match='resize_below'):
        LocalPerceptualLoss(LAYERS, random_vgg=True, resize_below='224')
