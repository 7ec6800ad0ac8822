"""SPARNet / SPARNetHD generator (Chen et al., "Learning Spatial Attention for
Face Super-Resolution", TIP 2021)."""
import math

import paddle.nn as nn
from ppgan.models.generators.builder import GENERATORS

from ...config import ConfigError
from ...modules.conv_blocks import (NORM_TYPES, RELU_TYPES, ConvNormAct,
                                    check_choice)
from ...registry import register
from .sparnet_blocks import ATT_NAMES, FaceAttentionUnit


def _log2_int(x):
    return int(math.log2(x))


@register(GENERATORS)
class SPARNet(nn.Layer):
    """Encoder / residual body / decoder of Face Attention Units.

    The input is an image already resized to ``in_size`` (SPARNet: a 16x16
    face bicubic-upsampled to 128x128); the output is an image of the same
    range (the reference uses [-1, 1]) with no output activation.

    Args:
        min_ch, max_ch: every feature width is clipped to [min_ch, max_ch].
        in_size, out_size: input / output resolution.
        min_feat_size: resolution of the body; the encoder halves the size
            log2(in_size / min_feat_size) times, the decoder doubles it
            log2(out_size / min_feat_size) times.
        res_depth: body depth; the body has ``res_depth + 3 - down_steps``
            units.
        relu_type: 'relu', 'leakyrelu' (slope 0.2), 'prelu', 'selu', 'none'.
        norm_type: 'bn', 'in' (affine, no running stats), 'gn' (32 groups),
            'none'.
        att_name: 'spar' (2D attention, one channel), 'spar3d' (3D attention,
            one map per feature channel) or 'none' (no attention).
        bottleneck_size: smallest map inside the hourglasses; sets the
            hourglass depth log2(64 / bottleneck_size) of the first encoder
            unit (one less per encoder step, one more per decoder step).
        hourglass_width: channels inside each hourglass (reference: 64).
        spectral_norm: spectral normalisation on every convolution (SPARNetHD).
    """

    def __init__(self,
                 min_ch=32,
                 max_ch=128,
                 in_size=128,
                 out_size=128,
                 min_feat_size=16,
                 res_depth=10,
                 relu_type='leakyrelu',
                 norm_type='bn',
                 att_name='spar',
                 bottleneck_size=4,
                 hourglass_width=64,
                 spectral_norm=False):
        super().__init__()
        norm_type = check_choice('norm_type', norm_type, NORM_TYPES)
        relu_type = check_choice('relu_type', relu_type, RELU_TYPES)
        att_name = check_choice('att_name', att_name, ATT_NAMES)
        for name, size in (('in_size', in_size), ('out_size', out_size)):
            if size < min_feat_size:
                raise ConfigError(f'{name}={size} must be >= min_feat_size='
                                  f'{min_feat_size}')
        if bottleneck_size <= 0:
            raise ConfigError(f'bottleneck_size={bottleneck_size} must be > 0')
        self.in_size, self.out_size = in_size, out_size  # for inference

        def clip(c):
            return max(min_ch, min(c, max_ch))

        unit_kw = dict(att_name=att_name, norm_type=norm_type,
                       relu_type=relu_type, hourglass_width=hourglass_width,
                       spectral_norm=spectral_norm)
        down_steps = _log2_int(in_size // min_feat_size)
        up_steps = _log2_int(out_size // min_feat_size)
        ch = clip(max_ch // (down_steps + 1))

        self.in_conv = ConvNormAct(3, ch, 3, spectral_norm=spectral_norm)

        depth = _log2_int(64 / bottleneck_size)
        encoder = []
        for _ in range(down_steps):
            encoder.append(FaceAttentionUnit(clip(ch), clip(ch * 2), 'down',
                                             depth, **unit_kw))
            ch *= 2
            depth -= 1
        self.encoder = nn.LayerList(encoder)

        depth += 1
        self.body = nn.LayerList([
            FaceAttentionUnit(clip(ch), clip(ch), 'none', depth, **unit_kw)
            for _ in range(res_depth + 3 - down_steps)
        ])

        decoder = []
        for _ in range(up_steps):
            depth += 1
            decoder.append(FaceAttentionUnit(clip(ch), clip(ch // 2), 'up',
                                             depth, **unit_kw))
            ch //= 2
        self.decoder = nn.LayerList(decoder)

        self.out_conv = ConvNormAct(clip(ch), 3, 3,
                                    spectral_norm=spectral_norm)

    def forward(self, x, return_attention=False):
        """Super-resolve ``x`` (N, 3, in_size, in_size).

        With ``return_attention=True`` also returns the list of attention
        maps (values in (0, 1)) of every unit that has one, in order.
        """
        maps = []
        out = self.in_conv(x)
        for unit in list(self.encoder) + list(self.body) + list(self.decoder):
            out, att = unit(out)
            if att is not None:
                maps.append(att)
        out = self.out_conv(out)
        if return_attention:
            return out, maps
        return out
