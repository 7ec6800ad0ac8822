"""Every export form computes what the layer it replaces computes."""
import copy

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
import pytest

import ppgan_ext  # noqa: F401
from ppgan.models.generators.rrdb_net import RRDBNet
from ppgan_ext.deploy.export import _exportable_copy
from ppgan_ext.deploy.export_forms import (ChannelPReLU, ConvPixelNorm,
                                           CroppingHourglass,
                                           ExportConvNormAct, ExportRRDBNet,
                                           UpsampleConv,
                                           conv_with, fold_bn,
                                           to_export_form)
from ppgan_ext.modules.equalized_layers import (EqualizedConv2d,
                                                EqualizedLinear, PixelNorm,
                                                UpscalingEqualizedConv2d)
from ppgan_ext.models.generators.pgan import PGANGenerator
from ppgan_ext.models.generators.sparnet import SPARNet
from ppgan_ext.modules.conv_blocks import ConvNormAct
from ppgan_ext.models.generators.sparnet_blocks import HourglassAttention
from ppgan_ext.modules.ops import upsample_nearest


def close(got, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol,
                               atol=atol)


def run_both(layer, form, x):
    with paddle.no_grad():
        return form(x), layer(x)


def randomize_bn(net, seed=0):
    """Running statistics and affine parameters away from 0 / 1."""
    rng = np.random.RandomState(seed)
    for layer in net.sublayers(include_self=True):
        if isinstance(layer, nn.BatchNorm2D):
            n = layer._mean.shape[0]
            layer._mean.set_value(rng.randn(n).astype('float32'))
            layer._variance.set_value(rng.uniform(0.5, 2, n).astype('float32'))
            layer.weight.set_value(rng.uniform(0.5, 1.5, n).astype('float32'))
            layer.bias.set_value(rng.randn(n).astype('float32'))


def converge_spectral_norm(net, size):
    net.train()
    with paddle.no_grad():
        for _ in range(10):
            net(paddle.rand([2, 4, size, size]))
    net.eval()


@pytest.mark.parametrize('slope', [0.0, 0.2, 1.0])
def test_leaky_relu_forms_are_bit_exact(slope):
    x = paddle.randn([2, 5, 7, 3])
    want = nn.LeakyReLU(slope)(x).numpy()
    np.testing.assert_array_equal(ChannelPReLU(slope)(x).numpy(), want)


def test_fold_bn_equals_conv_then_bn():
    paddle.seed(0)
    conv, bn = nn.Conv2D(4, 6, 3, stride=2), nn.BatchNorm2D(6)
    randomize_bn(bn)
    bn.eval()
    weight, bias = fold_bn(conv.weight.numpy().astype('float64'),
                           conv.bias.numpy().astype('float64'), bn)
    x = paddle.randn([2, 4, 9, 8])
    got, want = run_both(lambda t: bn(conv(t)),
                         conv_with(weight, bias, conv), x)
    close(got, want)


@pytest.mark.parametrize('pad', ['zeros', 'reflect'])
@pytest.mark.parametrize('size', [(1, 1), (2, 3), (5, 7)])
def test_upsample_conv_equals_upsample_then_conv(pad, size):
    paddle.seed(0)
    conv = nn.Conv2D(4, 6, 3, padding=1 if pad == 'zeros' else 0)
    x = paddle.randn([2, 4, *size])

    def original(t):
        t = upsample_nearest(t, 2)
        return conv(F.pad(t, [1] * 4, mode='reflect') if pad == 'reflect'
                    else t)

    got, want = run_both(original, UpsampleConv.from_conv(conv, pad), x)
    close(got, want)


CNA_CASES = [dict(scale=s, norm_type=n, relu_type=r, spectral_norm=sn)
             for s in ('none', 'down', 'up')
             for n, r in (('bn', 'leakyrelu'), ('in', 'prelu'),
                          ('none', 'relu'))
             for sn in (False, True)]


@pytest.mark.parametrize('kw', CNA_CASES,
                         ids=lambda kw: '-'.join(str(v) for v in kw.values()))
def test_conv_norm_act_form(kw):
    paddle.seed(0)
    layer = ConvNormAct(4, 6, 3, **kw)
    randomize_bn(layer)
    if kw['spectral_norm']:
        converge_spectral_norm(layer, 9)
    layer.eval()
    form = to_export_form(copy.deepcopy(layer))
    assert isinstance(form, ExportConvNormAct)
    if kw['norm_type'] == 'bn':
        assert form.norm is None  # folded
    got, want = run_both(layer, form, paddle.randn([2, 4, 9, 7]))
    close(got, want)


@pytest.mark.parametrize('depth', [-1, 1, 3])
@pytest.mark.parametrize('size', [(24, 24), (13, 11), (11, 9)])
def test_cropping_hourglass_equals_resizing_one(depth, size):
    paddle.seed(0)
    layer = HourglassAttention(depth, 6, 1, width=8)
    randomize_bn(layer)
    layer.eval()
    form = to_export_form(copy.deepcopy(layer))
    assert isinstance(form, CroppingHourglass)
    (got, got_att), (want, want_att) = run_both(layer, form,
                                                paddle.randn([2, 6, *size]))
    close(got, want)
    close(got_att, want_att)


def test_equalized_layers_fold_the_scale():
    paddle.seed(0)
    conv = EqualizedConv2d(4, 5, 3, padding=1)
    conv.bias.set_value(paddle.randn([5]))
    linear = EqualizedLinear(6, 7)
    linear.bias.set_value(paddle.randn([7]))
    for layer, x in ((conv, paddle.randn([2, 4, 6, 5])),
                     (linear, paddle.randn([3, 6]))):
        form = to_export_form(copy.deepcopy(layer))
        assert type(form) in (nn.Conv2D, nn.Linear)
        got, want = run_both(layer, form, x)
        close(got, want)


@pytest.mark.parametrize('kernel, fused', [(3, True), (1, False)])
def test_upscaling_conv_form(kernel, fused):
    """A 3x3 one fuses into a transposed conv; others keep the up-sampling
    as a layer in front of the conv."""
    paddle.seed(0)
    conv = UpscalingEqualizedConv2d(4, 5, kernel, padding=kernel // 2)
    conv.bias.set_value(paddle.randn([5]))
    form = to_export_form(copy.deepcopy(conv))
    assert isinstance(form, UpsampleConv) == fused
    x = paddle.randn([2, 4, 5, 3])
    got, want = run_both(conv, form, x)
    assert want.shape == [2, 5, 10, 6]
    close(got, want, atol=1e-5)


@pytest.mark.parametrize('shape', [[3, 16], [2, 8, 5, 4]])
def test_conv_pixel_norm(shape):
    x = paddle.randn(shape)
    got, want = run_both(PixelNorm(), ConvPixelNorm(1e-8), x)
    close(got, want)


@pytest.mark.parametrize('alpha', [0.0, 0.25])
def test_pgan_form(alpha):
    paddle.seed(0)
    net = PGANGenerator(latent_dim=16, depths=[16, 8, 8])
    for p in net.parameters():  # non-zero biases
        if len(p.shape) == 1:
            p.set_value(paddle.randn(p.shape) * 0.1)
    net.set_alpha(alpha)
    net.eval()
    form = _exportable_copy(net)
    assert sum(isinstance(l, UpsampleConv) for l in form.sublayers()) == 2
    got, want = run_both(net, form, paddle.randn([3, 16]))
    close(got, want, atol=1e-4)


def test_rrdbnet_form_has_no_interpolate():
    paddle.seed(0)
    net = RRDBNet(3, 3, 8, 1, gc=4)
    net.eval()
    form = _exportable_copy(net)
    assert isinstance(form, ExportRRDBNet)
    assert isinstance(form.upconv1, UpsampleConv)
    got, want = run_both(net, form, paddle.rand([1, 3, 6, 5]))
    close(got, want, atol=1e-4)


def test_sparnet_form_and_original_untouched():
    paddle.seed(0)
    net = SPARNet(min_ch=8, max_ch=16, in_size=32, out_size=32,
                  min_feat_size=8, res_depth=1, bottleneck_size=8,
                  hourglass_width=8)
    randomize_bn(net)
    net.eval()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    form = _exportable_copy(net)
    kinds = {type(l).__name__ for l in net.sublayers()}
    assert 'ExportConvNormAct' not in kinds and 'ConvNormAct' in kinds
    assert all(np.array_equal(before[k], v.numpy())
               for k, v in net.state_dict().items())
    got, want = run_both(net, form, paddle.rand([1, 3, 28, 28]) * 2 - 1)
    close(got, want, rtol=1e-4, atol=1e-5)
