"""RDN generator (Zhang et al., "Residual Dense Network for Image
Super-Resolution", CVPR 2018)."""
import paddle
import paddle.nn as nn
from ppgan.models.generators.builder import GENERATORS

from ...config import ConfigError
from ...registry import register

UPSAMPLERS = ('official', 'seed')
SCALES = (2, 3, 4)


def _conv(in_channels, out_channels, kernel_size):
    """Stride-1, zero-padded ("same") convolution with a bias."""
    return nn.Conv2D(in_channels, out_channels, kernel_size,
                     padding=(kernel_size - 1) // 2)


class DenseLayer(nn.Layer):
    """3x3 conv + ReLU whose output is appended to its input's channels."""

    def __init__(self, in_channels, growth_rate):
        super().__init__()
        self.conv = _conv(in_channels, growth_rate, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        return paddle.concat([x, self.act(self.conv(x))], axis=1)


class ResidualDenseBlock(nn.Layer):
    """``num_layers`` dense layers, 1x1 local feature fusion, local residual.

    Args:
        num_features: block input/output channels (G0).
        num_layers: dense conv layers (C).
        growth_rate: channels each dense layer adds (G).
    """

    def __init__(self, num_features, num_layers, growth_rate):
        super().__init__()
        self.layers = nn.Sequential(*[
            DenseLayer(num_features + c * growth_rate, growth_rate)
            for c in range(num_layers)
        ])
        self.lff = _conv(num_features + num_layers * growth_rate,
                         num_features, 1)

    def forward(self, x):
        return self.lff(self.layers(x)) + x


def _upsampler(num_features, growth_rate, scale, kernel_size, layout):
    """Conv + PixelShuffle stages: G0 -> G*r^2 -> PS(r) [-> G*r^2 -> PS(r)].

    'official' splits x4 into two x2 stages; 'seed' always uses one stage.
    """
    if layout == 'official' and scale == 4:
        factors = (2, 2)
    else:
        factors = (scale,)
    stages = []
    in_ch = num_features
    for r in factors:
        stages += [_conv(in_ch, growth_rate * r * r, kernel_size),
                   nn.PixelShuffle(r)]
        in_ch = growth_rate
    return nn.Sequential(*stages)


def _check_positive(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f'RDN: {name}={value!r} must be a positive integer')


@register(GENERATORS)
class RDN(nn.Layer):
    """Residual Dense Network for single-image super-resolution.

    shallow features (two convs) -> D residual dense blocks -> global feature
    fusion (1x1 over all block outputs, then kxk) + first shallow feature ->
    conv/PixelShuffle up-sampler -> output conv. No activation outside the
    dense layers, no normalisation, no mean shift.

    Args:
        in_channels, out_channels: image channels.
        num_features: G0, width of the shallow/global features.
        num_blocks: D, number of residual dense blocks.
        num_layers: C, conv+ReLU layers per block.
        growth_rate: G, channels each dense layer adds; also the width
            after PixelShuffle.
        scale: up-scaling factor, 2, 3 or 4.
        kernel_size: size of the shallow, global-fusion and up-sampler convs
            (the dense layers are always 3x3, the fusions 1x1).
        upsampler: weight layout of the up-sampler.
            'official' -- the authors' layout (EDSR-PyTorch ``RDN``): x4 is two
            conv + PixelShuffle(2) stages.
            'seed' -- puffnjackie/pytorch-super-resolution-implementations
            ``RDN``: one conv + PixelShuffle(scale) stage for every scale.
            Both are identical for x2/x3. That reference's
            ``RDN(channel, growth_rate, rdb_number, upscale_factor)`` equals
            ``RDN(in_channels=channel, out_channels=channel,
            num_features=W, growth_rate=W, num_blocks=3,
            num_layers=rdb_number, scale=upscale_factor, upsampler='seed')``
            with W its hard-coded width 64 (its ``growth_rate`` is unused).
        rgb_range: pixel range the weights were trained for. Inputs and
            outputs are always in 0..1; with ``rgb_range=255`` they are
            scaled by 255 around the network, which is how the authors'
            EDSR-PyTorch RDN_BIX2/3/4 weights (``--rgb_range 255``) run.
    """

    def __init__(self,
                 in_channels=3,
                 out_channels=3,
                 num_features=64,
                 num_blocks=16,
                 num_layers=8,
                 growth_rate=64,
                 scale=4,
                 kernel_size=3,
                 upsampler='official',
                 rgb_range=1.0):
        super().__init__()
        for name, value in (('in_channels', in_channels),
                            ('out_channels', out_channels),
                            ('num_features', num_features),
                            ('num_blocks', num_blocks),
                            ('num_layers', num_layers),
                            ('growth_rate', growth_rate),
                            ('kernel_size', kernel_size)):
            _check_positive(name, value)
        if kernel_size % 2 == 0:
            raise ConfigError(
                f'RDN: kernel_size={kernel_size} must be odd ("same" padding)')
        if scale not in SCALES:
            raise ConfigError(f'RDN: scale={scale!r} is not supported; '
                              f'choose one of {SCALES}')
        if upsampler not in UPSAMPLERS:
            raise ConfigError(f'RDN: upsampler={upsampler!r} is not supported; '
                              f'choose one of {UPSAMPLERS}')
        if not rgb_range or rgb_range <= 0:
            raise ConfigError(f'RDN: rgb_range={rgb_range!r} must be > 0')
        self.scale = scale
        self.upsampler_layout = upsampler
        self.rgb_range = float(rgb_range)

        self.sfe1 = _conv(in_channels, num_features, kernel_size)
        self.sfe2 = _conv(num_features, num_features, kernel_size)
        self.blocks = nn.LayerList([
            ResidualDenseBlock(num_features, num_layers, growth_rate)
            for _ in range(num_blocks)
        ])
        self.gff_1x1 = _conv(num_blocks * num_features, num_features, 1)
        self.gff_3x3 = _conv(num_features, num_features, kernel_size)
        self.upsampler = _upsampler(num_features, growth_rate, scale,
                                    kernel_size, upsampler)
        self.out_conv = _conv(growth_rate, out_channels, kernel_size)

    def forward(self, x):
        if self.rgb_range != 1.0:
            x = x * self.rgb_range
        shallow = self.sfe1(x)
        h = self.sfe2(shallow)
        block_outputs = []
        for block in self.blocks:
            h = block(h)
            block_outputs.append(h)
        h = self.gff_3x3(self.gff_1x1(paddle.concat(block_outputs, axis=1)))
        out = self.out_conv(self.upsampler(h + shallow))
        if self.rgb_range != 1.0:
            out = out / self.rgb_range
        return out
