"""LocalPerceptualLoss reads VGG19 weights from a local Paddle .pdparams or
torchvision .pth file; a wrong or missing file is refused by name. ppgan's
PerceptualLoss name does the same through vgg_weights and never downloads."""
import collections
import functools

import numpy as np
import paddle
import paddle.vision.models.vgg as vgg
import pytest
import requests

import ppgan_ext  # noqa: F401
from ppgan.models.criterions.builder import build_criterion
from ppgan.models.criterions.perceptual_loss import PerceptualLoss
from ppgan_ext.io.checkpoint import save_checkpoint
from ppgan_ext.errors import find_user_error
from ppgan_ext.models.criterions.local_perceptual_loss import (
    LocalPerceptualLoss, VGGWeightsError)
from tests.torch_pickle_fakes import FakeTensor, write_torch_zip

LAYERS = {'2': 1.0, '7': 1.0}  # conv1_2 and conv2_2: features.0..7


@functools.lru_cache(maxsize=None)
def _feature_shapes():
    """Shapes of VGG19's ``features`` up to layer 7 (built once: ~3 s)."""
    return [(k, tuple(v.shape)) for k, v in
            vgg.vgg19().features.state_dict().items()
            if int(k.split('.')[0]) <= 7]


def small_vgg_state(seed=0):
    """``features.*`` of VGG19 up to layer 7, random (a small weight file)."""
    rng = np.random.RandomState(seed)
    return collections.OrderedDict(
        (f'features.{k}', (rng.randn(*shape) * 0.1).astype('float32'))
        for k, shape in _feature_shapes())


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


# -- ppgan's PerceptualLoss name (PaddleGAN's ESRGAN configs) ---------------

def ppgan_perceptual_loss(**kwargs):
    return build_criterion({'name': 'PerceptualLoss', 'layer_weights': LAYERS,
                            **kwargs})


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Empty ppgan download cache; any HTTP request fails the test."""
    from ppgan.utils import download

    def refuse(*args, **kwargs):
        raise AssertionError(f'a download was attempted: {args}')
    monkeypatch.setattr(download, 'PPGAN_HOME', str(tmp_path / 'cache'))
    monkeypatch.setattr(requests, 'get', refuse)
    return tmp_path / 'cache'


def test_ppgan_name_reads_vgg_weights_like_the_local_loss(tmp_path,
                                                          no_network):
    state = small_vgg_state(2)
    path = tmp_path / 'vgg19_small.pdparams'
    save_checkpoint(dict(state), str(path))
    loss = ppgan_perceptual_loss(vgg_weights=str(path))
    assert isinstance(loss, PerceptualLoss)
    assert_loaded(loss, state)
    local = LocalPerceptualLoss(LAYERS, vgg_weights=str(path),
                                style_weight=1.0)  # ppgan's default
    x, y = paddle.rand([1, 3, 32, 32]), paddle.rand([1, 3, 32, 32])
    for got, want in zip(loss(x, y), local(x, y)):
        assert float(got) > 0
        np.testing.assert_allclose(float(got), float(want), rtol=1e-6)


def test_ppgan_name_uses_a_file_ppgan_downloaded_before(no_network):
    state = small_vgg_state(3)
    no_network.mkdir()
    save_checkpoint(dict(state), str(no_network / 'vgg19.pdparams'))
    assert_loaded(ppgan_perceptual_loss(), state)


def test_ppgan_name_offline_fails_naming_vgg_weights(no_network):
    with pytest.raises(RuntimeError) as e:  # ppgan's builder wraps it
        ppgan_perceptual_loss()
    error = find_user_error(e.value)  # as tools/main.py finds it
    assert isinstance(error, VGGWeightsError)
    message = str(error)
    assert '\n' not in message
    for part in ('vgg_weights', 'LocalPerceptualLoss', 'vgg19.pdparams',
                 str(no_network)):
        assert part in message
    # nothing to load when neither term is used, as in ppgan
    assert not hasattr(ppgan_perceptual_loss(perceptual_weight=0,
                                             style_weight=0), 'vgg')


def test_style_term_is_the_gram_matrix_distance(tmp_path):
    """ppgan's own style term fails on Paddle 3 (see _gram_mat)."""
    state = small_vgg_state(4)
    path = tmp_path / 'vgg19_small.pdparams'
    save_checkpoint(dict(state), str(path))
    loss = LocalPerceptualLoss({'2': 1.0}, vgg_weights=str(path),
                               perceptual_weight=0.0, style_weight=1.0,
                               norm_img=False)
    x, y = paddle.rand([2, 3, 16, 16]), paddle.rand([2, 3, 16, 16])
    _, style = loss(x, y)
    fx, fy = (loss.vgg(t)['2'].numpy().astype(np.float64) for t in (x, y))

    def gram(f):
        n, c, h, w = f.shape
        f = f.reshape(n, c, h * w)
        return f @ f.transpose(0, 2, 1) / (c * h * w)
    want = np.abs(gram(fx) - gram(fy)).mean()
    np.testing.assert_allclose(float(style), want, rtol=1e-5)
