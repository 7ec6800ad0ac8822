"""PGANDiscriminator and minibatch stddev: parity, growing, alpha, export."""
import os

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from tests.parity_utils import assert_parity, load_case, load_converted

from ppgan_ext.convert import ConversionError, convert_state_dict
from ppgan_ext.convert.mappings.pgan import (pgan_depths_from_state,
                                             pgan_kwargs_from_state)
from ppgan_ext.models.discriminators.pgan import PGANDiscriminator
from ppgan_ext.modules.equalized_layers import MinibatchStdDev
from ppgan_ext.models.generators.pgan import PGANGenerator


def _tiny_d(depths=(16, 16, 8, 8), alpha=0.):
    paddle.seed(0)
    net = PGANDiscriminator(depths=list(depths))
    net.eval()
    net.set_alpha(alpha)
    return net


@pytest.mark.parametrize('name', ['tiny_pgan_d', 'tiny_pgan_d_alpha025'])
def test_parity_with_reference(name):
    case, state, x, _ = load_case(name)
    kw = case['kwargs']
    net = PGANDiscriminator(
        depths=[kw['depthScale0']] + case['extra']['add_scales'],
        leaky_relu_slope=kw['leakyReluLeak'],
        decision_size=kw['sizeDecisionLayer'],
        minibatch_stddev=kw['miniBatchNormalization'],
        in_channels=kw['dimInput'])
    load_converted(net, state)
    net.eval()
    net.set_alpha(case['forward_args']['alpha'])
    assert sum(p.size for p in net.parameters()) == case['param_count']
    with paddle.no_grad():
        out = net(paddle.to_tensor(x))
    err = assert_parity(out, case)
    print(f'{name}: max abs error {err:.3e} (atol {case["suggested_atol"]:.3e})')


def _numpy_stddev(x, group=4):
    n, _, h, w = x.shape
    g = min(n, group)
    if n % g:
        g = n
    if g == 1:
        stat = np.zeros((n, 1, h, w), x.dtype)
    else:
        grouped = x.reshape(n // g, g, -1).astype(np.float64)
        std = np.sqrt(grouped.var(axis=1, ddof=1) + 1e-8).mean(axis=1)
        stat = np.repeat(std, g)[:, None, None, None] * np.ones((1, 1, h, w))
    return np.concatenate([x, stat.astype(x.dtype)], axis=1)


@pytest.mark.parametrize('batch', [8, 6, 4, 3, 2, 1])
def test_minibatch_stddev_groups(batch):
    x = np.random.RandomState(batch).randn(batch, 5, 4, 4).astype('float32')
    out = MinibatchStdDev(4)(paddle.to_tensor(x)).numpy()
    np.testing.assert_allclose(out, _numpy_stddev(x), rtol=1e-5, atol=1e-6)


def test_minibatch_stddev_bad_group_size():
    with pytest.raises(ValueError, match='group_size'):
        MinibatchStdDev(0)


def test_depth_inference_and_kwargs_from_state():
    _, state, _, _ = load_case('tiny_pgan_d_alpha025')
    assert pgan_depths_from_state(state) == [16, 16, 8, 8]
    name, kw = pgan_kwargs_from_state(state)
    assert name == 'PGANDiscriminator'
    assert kw == dict(depths=[16, 16, 8, 8], in_channels=3, decision_size=1,
                      minibatch_stddev=True)
    converted = convert_state_dict(state, PGANDiscriminator(**kw))
    np.testing.assert_array_equal(converted['scale0_linear.weight'],
                                  state['groupScaleZero.1.module.weight'].T)
    np.testing.assert_array_equal(converted['decision_layer.weight'],
                                  state['decisionLayer.module.weight'].T)


def test_mapping_rejects_generator_state_and_wrong_depths():
    _, g_state, _, _ = load_case('tiny_pgan_g')
    with pytest.raises(ConversionError, match='GNet'):
        convert_state_dict(g_state, _tiny_d())
    _, state, _, _ = load_case('tiny_pgan_d')
    with pytest.raises(ConversionError, match='mis-shaped'):
        convert_state_dict(state, _tiny_d(depths=(16, 16, 8, 4)))


def test_add_scale_keeps_weights_and_doubles_resolution():
    net = _tiny_d()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    net.add_scale(4)
    assert net.num_scales == 5 and net.resolution == 64
    after = net.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(after[k].numpy(), v)
    assert after['scale_layers.3.1.weight'].shape == [8, 4, 3, 3]
    assert net(paddle.randn([4, 3, 64, 64])).shape == [4, 1]


def _shrunk(net, depths):
    small = PGANDiscriminator(depths=list(depths))
    small.set_state_dict(
        {k: v for k, v in net.state_dict().items() if k in small.state_dict()})
    small.eval()
    return small


def test_alpha_blends_half_resolution_path():
    net = _tiny_d()
    small = _shrunk(net, (16, 16, 8))
    x = paddle.randn([4, 3, 32, 32])
    with paddle.no_grad():
        net.set_alpha(1.)
        np.testing.assert_allclose(net(x).numpy(),
                                   small(F.avg_pool2d(x, 2)).numpy(),
                                   atol=1e-5)
    assert not any('alpha' in k for k in net.state_dict())


def test_alpha_ignored_with_a_single_added_scale_as_in_reference():
    net = _tiny_d(depths=(16, 8))
    x = paddle.randn([4, 3, 8, 8])
    with paddle.no_grad():
        plain = net(x).numpy()
        net.set_alpha(0.5)
        np.testing.assert_array_equal(net(x).numpy(), plain)
    with pytest.raises(ValueError, match='alpha'):
        net.set_alpha(-0.1)


def test_get_feature_and_gradient_penalty_double_grad():
    net = _tiny_d(depths=(8, 8, 4), alpha=0.5)
    x = paddle.randn([3, 3, 16, 16])
    x.stop_gradient = False
    out, feature = net(x, get_feature=True)
    assert out.shape == [3, 1] and feature.shape == [3, 8]
    grad, = paddle.grad(out.sum(), x, create_graph=True)
    penalty = ((paddle.sqrt((grad * grad).sum(axis=[1, 2, 3])) - 1)**2).mean()
    penalty.backward()
    assert np.isfinite(net.from_rgb[-1].weight.grad.numpy()).all()
    assert np.abs(net.decision_layer.weight.grad.numpy()).sum() > 0


def test_full_128_parameter_count():
    net = PGANDiscriminator(depths=[512, 512, 512, 512, 256, 128])
    assert net.resolution == 128
    assert sum(p.size for p in net.parameters()) == 22_941_313


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='decision_size'):
        PGANDiscriminator(depth_scale0=8, decision_size=0)
    with pytest.raises(ValueError, match='depth'):
        PGANDiscriminator(depth_scale0=8).add_scale(-2)


def test_to_static_export_with_dynamic_batch(tmp_path):
    net = _tiny_d(depths=(8, 8, 4), alpha=0.25)
    static = paddle.jit.to_static(
        net,
        input_spec=[paddle.static.InputSpec([None, 3, 16, 16], 'float32')],
        full_graph=True)
    path = os.path.join(str(tmp_path), 'pgan_d')
    paddle.jit.save(static, path)
    loaded = paddle.jit.load(path)
    for batch in (8, 6, 1):
        x = paddle.randn([batch, 3, 16, 16])
        with paddle.no_grad():
            expected = net(x).numpy()
        np.testing.assert_allclose(loaded(x).numpy(), expected, atol=1e-5)


def test_generator_and_discriminator_share_depth_convention():
    depths = [8, 8, 4]
    g = PGANGenerator(latent_dim=8, depths=depths)
    d = PGANDiscriminator(depths=depths)
    assert g.resolution == d.resolution == 16
    img = g(paddle.randn([2, 8]))
    assert d(img).shape == [2, 1]
