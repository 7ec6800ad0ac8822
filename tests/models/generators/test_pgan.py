"""PGANGenerator: reference parity, growing, alpha blending, export, mapping."""
import collections
import os

import numpy as np
import paddle
import pytest

from tests.parity_utils import assert_parity, load_case, load_converted

from ppgan_ext.convert import ConversionError, convert_state_dict
from ppgan_ext.convert.mappings.pgan import (pgan_depths_from_state,
                                             pgan_kwargs_from_state)
from ppgan_ext.modules.equalized_layers import upscale2d
from ppgan_ext.models.generators.pgan import PGANGenerator


def _tiny_g(alpha=0., **kw):
    paddle.seed(0)
    net = PGANGenerator(latent_dim=16, depths=[16, 16, 8, 8], **kw)
    net.eval()
    net.set_alpha(alpha)
    return net


@pytest.mark.parametrize('name', ['tiny_pgan_g', 'tiny_pgan_g_alpha025'])
def test_parity_with_reference(name):
    case, state, z, _ = load_case(name)
    kw = case['kwargs']
    net = PGANGenerator(latent_dim=kw['dimLatent'],
                        depths=[kw['depthScale0']] + case['extra']['add_scales'],
                        leaky_relu_slope=kw['leakyReluLeak'],
                        normalization=kw['normalization'],
                        out_channels=kw['dimOutput'])
    load_converted(net, state)
    net.eval()
    net.set_alpha(case['forward_args']['alpha'])
    assert sum(p.size for p in net.parameters()) == case['param_count']
    with paddle.no_grad():
        out = net(paddle.to_tensor(z))
    err = assert_parity(out, case)
    print(f'{name}: max abs error {err:.3e} (atol {case["suggested_atol"]:.3e})')


def test_depth_inference_and_kwargs_from_state():
    _, state, _, _ = load_case('tiny_pgan_g')
    assert pgan_depths_from_state(state) == [16, 16, 8, 8]
    name, kw = pgan_kwargs_from_state(state)
    assert name == 'PGANGenerator'
    assert kw == dict(latent_dim=16, depths=[16, 16, 8, 8], out_channels=3)
    # an nn.DataParallel checkpoint carries a leading 'module.'
    wrapped = collections.OrderedDict(
        ('module.' + k, v) for k, v in state.items())
    assert pgan_depths_from_state(wrapped) == [16, 16, 8, 8]
    net = PGANGenerator(**kw)
    converted = convert_state_dict(wrapped, net)
    ref = state['formatLayer.module.weight']  # torch Linear: (out, in)
    np.testing.assert_array_equal(converted['format_layer.weight'], ref.T)
    np.testing.assert_array_equal(converted['scale_layers.2.1.weight'],
                                  state['scaleLayers.2.1.module.weight'])


def test_mapping_rejects_discriminator_and_truncated_states():
    _, d_state, _, _ = load_case('tiny_pgan_d')
    with pytest.raises(ConversionError, match='DNet'):
        convert_state_dict(d_state, _tiny_g())
    _, state, _, _ = load_case('tiny_pgan_g')
    state = collections.OrderedDict(
        (k, v) for k, v in state.items() if not k.startswith('toRGBLayers.3'))
    with pytest.raises(ConversionError, match='to_rgb.3.weight'):
        convert_state_dict(state, _tiny_g())


def test_depths_equals_growing_with_add_scale():
    grown = PGANGenerator(latent_dim=16, depth_scale0=16)
    for depth in (16, 8, 8):
        grown.add_scale(depth)
    built = _tiny_g()
    assert [(k, v.shape) for k, v in grown.state_dict().items()] == \
        [(k, v.shape) for k, v in built.state_dict().items()]
    assert built.num_scales == 4 and built.resolution == 32


def test_add_scale_keeps_weights_and_doubles_resolution():
    net = _tiny_g()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    z = paddle.randn([2, 16])
    assert net(z).shape == [2, 3, 32, 32]
    net.add_scale(4)
    assert net.num_scales == 5 and net.resolution == 64
    assert net(z).shape == [2, 3, 64, 64]
    after = net.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(after[k].numpy(), v)
    assert 'scale_layers.3.0.weight' in after and 'to_rgb.4.weight' in after
    with pytest.raises(AttributeError):
        net.resolution = 8


def test_alpha_blends_previous_scale_and_is_not_state():
    net = _tiny_g()
    small = PGANGenerator(latent_dim=16, depths=[16, 16, 8])
    small.set_state_dict(
        {k: v for k, v in net.state_dict().items() if k in small.state_dict()})
    small.eval()
    z = paddle.randn([3, 16])
    with paddle.no_grad():
        new = net(z).numpy()
        net.set_alpha(1.)
        old_only = net(z).numpy()
        net.set_alpha(0.25)
        mixed = net(z).numpy()
        expected_old = upscale2d(small(z)).numpy()
    np.testing.assert_allclose(old_only, expected_old, atol=1e-5)
    np.testing.assert_allclose(mixed, 0.25 * expected_old + 0.75 * new,
                               atol=1e-5)
    assert not any('alpha' in k for k in net.state_dict())


def test_set_alpha_validation():
    net = _tiny_g()
    with pytest.raises(ValueError, match='alpha'):
        net.set_alpha(1.5)
    with pytest.raises(TypeError, match='alpha'):
        net.set_alpha('high')
    with pytest.raises(ValueError, match='add_scale'):
        PGANGenerator(latent_dim=8, depth_scale0=8).set_alpha(0.5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='generation_activation'):
        PGANGenerator(latent_dim=8, depth_scale0=8,
                      generation_activation='relu')
    with pytest.raises(ValueError, match='depth_scale0'):
        PGANGenerator(latent_dim=8, depth_scale0=8, depths=[16, 8])
    with pytest.raises(ValueError, match=r'depths\[1\]'):
        PGANGenerator(latent_dim=8, depths=[8, 0])


def test_tanh_activation_bounds_output():
    paddle.seed(1)
    net = PGANGenerator(latent_dim=8, depths=[8, 8],
                        generation_activation='tanh')
    out = net(paddle.randn([2, 8])).numpy()
    assert np.abs(out).max() <= 1.


def test_equalized_layers_scale_at_runtime_and_init():
    paddle.seed(2)
    net = PGANGenerator(latent_dim=512, depth_scale0=32)
    w = net.format_layer.weight.numpy()
    assert abs(w.std() - 1.) < 0.02 and abs(w.mean()) < 0.02
    assert not net.format_layer.bias.numpy().any()
    assert net.format_layer.he_scale == pytest.approx(np.sqrt(2. / 512))
    assert net.scale0_conv.he_scale == pytest.approx(np.sqrt(2. / (32 * 9)))


def test_full_128_parameter_count():
    net = PGANGenerator(latent_dim=512, depths=[512, 512, 512, 512, 256, 128])
    assert net.resolution == 128
    assert sum(p.size for p in net.parameters()) == 22_941_074


def test_to_static_export_at_a_scale(tmp_path):
    net = _tiny_g(alpha=0.25)
    z = paddle.randn([3, 16])
    with paddle.no_grad():
        expected = net(z).numpy()
    static = paddle.jit.to_static(
        net, input_spec=[paddle.static.InputSpec([None, 16], 'float32')],
        full_graph=True)
    path = os.path.join(str(tmp_path), 'pgan_g')
    paddle.jit.save(static, path)
    loaded = paddle.jit.load(path)
    np.testing.assert_allclose(loaded(z).numpy(), expected, atol=1e-5)
    assert loaded(paddle.randn([5, 16])).shape == [5, 3, 32, 32]
