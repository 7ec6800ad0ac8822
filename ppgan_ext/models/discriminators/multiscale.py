"""SPARNetHD's multi-scale patch discriminator (pix2pixHD-style, spectral norm).

ppgan's ``MultiscaleDiscriminator`` (PhotoPen) is a different network: 4x4
convs with zero padding, GELU and SimAM after every layer, average-pool
down-sampling, label-map input channels and no spectral norm on the first and
last convs. SPARNetHD's discriminator has 3x3 reflect-padded convs with
LeakyReLU(0.2), instance norm, spectral norm on *every* conv, bicubic
down-sampling between scales and an unpadded 3x3 score conv, so it is its own
class here. Its name avoids ppgan's (which differs only in one letter case).
"""
import paddle.nn as nn
import paddle.nn.functional as F
from ppgan.models.discriminators.builder import DISCRIMINATORS

from ...config import ConfigError
from ...modules.conv_blocks import (ConvNormAct, SpectralNormConv2D,
                                    check_choice)
from ...modules.init import init_normal
from ...registry import register

__all__ = ['PatchDiscriminator', 'SPARNetHDDiscriminator']

D_NORM_TYPES = ('in', 'bn', 'none')


class PatchDiscriminator(nn.Layer):
    """One scale: a conv stem and ``n_layers`` stride-2 conv units, then a
    score map.

    Args:
        in_channels: image channels.
        base_channels: width of the stem; doubled by every stride-2 unit.
        max_channels: cap on the width.
        n_layers: number of stride-2 units (the map shrinks 2**n_layers times).
        norm_type: 'in' (affine instance norm), 'bn' or 'none'; not applied
            to the stem.
        spectral_norm: spectral normalisation on every conv.

    ``forward(x)`` returns ``(score, features)``: ``score`` is an
    (N, 1, H/2**n - 2, W/2**n - 2) map (3x3 conv, no padding) and
    ``features`` the output of the stem and of each unit.
    """

    def __init__(self, in_channels=3, base_channels=64, max_channels=512,
                 n_layers=4, norm_type='in', spectral_norm=True):
        super().__init__()
        norm_type = check_choice('norm_type', norm_type, D_NORM_TYPES)
        units = [ConvNormAct(in_channels, base_channels, 3,
                             relu_type='leakyrelu',
                             spectral_norm=spectral_norm)]
        c_out = base_channels
        for i in range(n_layers):
            c_in = min(base_channels * 2**i, max_channels)
            c_out = min(base_channels * 2**(i + 1), max_channels)
            units.append(ConvNormAct(c_in, c_out, 3, 'down',
                                     norm_type=norm_type,
                                     relu_type='leakyrelu',
                                     spectral_norm=spectral_norm))
        self.units = nn.LayerList(units)
        if spectral_norm:
            self.score = SpectralNormConv2D(c_out, 1, 3)
        else:
            self.score = nn.Conv2D(c_out, 1, 3)

    def forward(self, x):
        features = []
        for unit in self.units:
            x = unit(x)
            features.append(x)
        return self.score(x), features


@register(DISCRIMINATORS)
class SPARNetHDDiscriminator(nn.Layer):
    """``num_D`` patch discriminators on the image at full, 1/2, 1/4, ... size.

    Args:
        in_channels: image channels.
        base_channels, max_channels, n_layers, norm_type, spectral_norm: as in
            :class:`PatchDiscriminator` (shared by every scale).
        num_D: number of scales; scale k sees the input bicubic-downsampled
            by 2**k (align_corners=False).

    Weights start as N(0, 0.02) with zero biases, as the reference's.
    ``forward(x)`` returns a list, finest scale first, of
    ``(score, features)`` pairs (see :class:`PatchDiscriminator`).
    """

    def __init__(self, in_channels=3, base_channels=64, max_channels=512,
                 n_layers=4, num_D=3, norm_type='in', spectral_norm=True):
        super().__init__()
        if num_D < 1:
            raise ConfigError(f'num_D={num_D} must be >= 1')
        if n_layers < 0:
            raise ConfigError(f'n_layers={n_layers} must be >= 0')
        self.scales = nn.LayerList([
            PatchDiscriminator(in_channels, base_channels, max_channels,
                               n_layers, norm_type, spectral_norm)
            for _ in range(num_D)
        ])
        init_normal(self)

    def forward(self, x):
        results = []
        for k, disc in enumerate(self.scales):
            if k:
                x = F.interpolate(x, scale_factor=0.5, mode='bicubic',
                                  align_corners=False)
            results.append(disc(x))
        return results
