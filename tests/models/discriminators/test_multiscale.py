"""SPARNetHD multi-scale discriminator: layout, scales, features, spectral
norm, registration and bad arguments."""
import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

import ppgan_ext  # noqa: F401
from ppgan.models.discriminators.builder import DISCRIMINATORS
from ppgan_ext.models.discriminators.multiscale import (
    PatchDiscriminator, SPARNetHDDiscriminator)
from ppgan_ext.modules.conv_blocks import SpectralNormConv2D


def n_params(net):
    return sum(int(np.prod(p.shape)) for p in net.parameters())


def test_released_layout_param_count_and_spectral_norm_keys():
    # Reference: MultiScaleDiscriminator(3, n_layers=4, norm_type='in',
    # num_D=3) with spectral_norm on every Conv2d: per scale
    # 3*64*9+64 + 64*128*9 + 128*256*9 + 256*512*9 + 512*512*9
    # + IN affine (128+256+512+512)*2 + 512*9+1 = 3,916,801.
    d = SPARNetHDDiscriminator()
    assert n_params(d) == 3 * 3_916_801
    keys = list(d.state_dict())
    assert len(keys) == 84  # reference state_dict has 84 entries too
    convs = [k for k in keys if k.endswith('weight_orig')]
    assert len(convs) == 3 * 6
    for k in convs:
        stem = k[:-len('weight_orig')]
        assert stem + 'weight_u' in keys and stem + 'weight_v' in keys
    assert not [k for k in keys if k.endswith('.weight')]
    assert sum(isinstance(m, SpectralNormConv2D) for m in d.sublayers()) == 18
    assert not [m for m in d.sublayers() if isinstance(m, paddle.nn.Conv2D)]
    # stem and score conv carry a bias (no norm after them), units do not
    assert 'scales.0.units.0.conv.bias' in keys
    assert 'scales.0.score.bias' in keys
    assert 'scales.0.units.1.conv.bias' not in keys
    assert tuple(d.state_dict()['scales.2.units.4.conv.weight_orig'].shape) \
        == (512, 512, 3, 3)


def test_three_scales_scores_and_features_shapes():
    paddle.seed(0)
    d = SPARNetHDDiscriminator(base_channels=8, max_channels=32, n_layers=4,
                               num_D=3)
    x = paddle.randn([2, 3, 256, 256])
    out = d(x)
    assert len(out) == 3
    widths = [8, 16, 32, 32, 32]
    for k, (score, feats) in enumerate(out):
        side = 256 // 2**k
        assert tuple(score.shape) == (2, 1, side // 16 - 2, side // 16 - 2)
        assert [tuple(f.shape) for f in feats] == [
            (2, c, side // 2**i, side // 2**i) for i, c in enumerate(widths)]


def test_coarser_scales_see_bicubic_half_size_input():
    paddle.seed(1)
    d = SPARNetHDDiscriminator(base_channels=4, max_channels=8, n_layers=2,
                               num_D=3)
    d.eval()  # no power iteration: repeated calls give identical weights
    x = paddle.randn([1, 3, 64, 64])
    out = d(x)
    x_half = F.interpolate(x, scale_factor=0.5, mode='bicubic',
                           align_corners=False)
    x_quarter = F.interpolate(x_half, scale_factor=0.5, mode='bicubic',
                              align_corners=False)
    for k, inp in ((1, x_half), (2, x_quarter)):
        score, feats = d.scales[k](inp)
        np.testing.assert_allclose(out[k][0].numpy(), score.numpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out[k][1][-1].numpy(), feats[-1].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_weights_start_normal_002_and_are_spectrally_normalised():
    paddle.seed(2)
    d = SPARNetHDDiscriminator(base_channels=16, max_channels=32, n_layers=2,
                               num_D=1)
    w = d.scales[0].units[2].conv.weight_orig.numpy()
    assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002
    conv = d.scales[0].units[1].conv
    for _ in range(60):  # training-mode calls run power iteration
        w_sn = conv.normalized_weight()
    sigma = np.linalg.svd(w_sn.numpy().reshape(w_sn.shape[0], -1),
                          compute_uv=False)[0]
    assert abs(sigma - 1.0) < 1e-3


def test_registered_without_shadowing_ppgan():
    assert DISCRIMINATORS.get('SPARNetHDDiscriminator') is \
        SPARNetHDDiscriminator
    # ppgan's PhotoPen discriminator keeps its name and class
    assert DISCRIMINATORS.get('MultiscaleDiscriminator').__module__.startswith(
        'ppgan.')


def test_plain_conv_variant_and_bad_arguments():
    d = PatchDiscriminator(3, 4, 8, n_layers=1, norm_type='none',
                           spectral_norm=False)
    assert [k for k in d.state_dict() if 'weight_orig' in k] == []
    score, feats = d(paddle.randn([1, 3, 16, 16]))
    assert tuple(score.shape) == (1, 1, 6, 6) and len(feats) == 2
    with pytest.raises(ValueError, match='norm_type'):
        SPARNetHDDiscriminator(norm_type='layer')
    with pytest.raises(ValueError, match='num_D'):
        SPARNetHDDiscriminator(num_D=0)
