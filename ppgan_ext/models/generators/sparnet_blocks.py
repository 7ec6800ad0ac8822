"""Building blocks of SPARNet: the hourglass attention branch and the Face
Attention Unit (FAU); the conv units they are made of are in
``ppgan_ext.modules.conv_blocks``."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ...config import ConfigError
from ...modules.conv_blocks import (INPLACE_ACTIVATIONS, NORM_TYPES,
                                    RELU_TYPES, ConvNormAct, check_choice,
                                    make_activation, make_norm)
from ...modules.ops import resize_nearest

ATT_NAMES = ('spar', 'spar3d', 'none')


def _resize_like(x, ref):
    """Nearest-resize ``x`` to ``ref``'s spatial size when they differ.

    Static sizes are compared in Python (no op when equal); if either size
    is unknown (dynamic shapes under ``to_static``) the resize is always
    emitted, which is exact for equal sizes.
    """
    xs, rs = list(x.shape[2:]), list(ref.shape[2:])
    known = all(isinstance(s, int) and s > 0 for s in xs + rs)
    if known and xs == rs:
        return x
    size = rs if known else [paddle.shape(ref)[2], paddle.shape(ref)[3]]
    return resize_nearest(x, size)


class HourglassAttention(nn.Layer):
    """Hourglass branch that turns features into a (0, 1) attention map.

    Args:
        depth: number of down/up levels (the reference's hourglass depth;
            a negative depth builds one level, as the reference does).
        in_channels: channels of the features it attends to.
        out_channels: channels of the attention map (1 for 2D attention,
            ``in_channels`` for 3D attention).
        width: channels inside the hourglass.
        norm_type, relu_type, spectral_norm: as in :class:`ConvNormAct`.

    ``forward(x)`` returns ``(x * att, att)``.
    """

    def __init__(self, depth, in_channels, out_channels, width=64,
                 norm_type='bn', relu_type='leakyrelu', spectral_norm=False):
        super().__init__()
        if depth == 0:
            raise ConfigError('HourglassAttention needs depth != 0')
        # Level numbers from outermost to innermost, as the reference counts.
        self.levels = list(range(depth, 0, -1)) if depth > 0 else [depth]
        kw = dict(norm_type=norm_type, relu_type=relu_type,
                  spectral_norm=spectral_norm)
        c_first = [in_channels] + [width] * (len(self.levels) - 1)
        self.skip = nn.LayerList(
            [ConvNormAct(c, width, **kw) for c in c_first])
        self.down = nn.LayerList(
            [ConvNormAct(c, width, scale='down', **kw) for c in c_first])
        self.bottom = ConvNormAct(width, width, **kw)
        self.up = nn.LayerList([
            ConvNormAct(width, width, scale='up', **kw) for _ in self.levels
        ])
        self.out_conv = ConvNormAct(width, out_channels,
                                    spectral_norm=spectral_norm)

    def forward(self, x):
        skips = []
        h = x
        for skip, down in zip(self.skip, self.down):
            skips.append(skip(h))
            h = down(h)
        h = self.bottom(h)
        for i in range(len(self.levels) - 1, -1, -1):
            h = self.up[i](h)
            h = _resize_like(h, skips[i]) + skips[i]
        att = F.sigmoid(self.out_conv(h))
        return x * att, att


class FaceAttentionUnit(nn.Layer):
    """Pre-activation residual block whose residual is gated by attention.

    ``out = shortcut(x) + att * conv2(conv1(act(norm(x))))`` with ``att``
    from an hourglass on the residual features. ``scale`` is ``'down'``
    (stride-2 second conv), ``'up'`` (nearest x2 before the first conv) or
    ``'none'``; the shortcut is a plain conv unless the shape is unchanged.
    ``hg_depth=0`` or ``att_name='none'`` disables the attention (identity).

    With ``norm_type='none'`` and an in-place activation (relu, leakyrelu,
    selu), the reference's activation overwrites the block input before the
    identity shortcut adds it back; this block reproduces that.

    ``forward(x)`` returns ``(out, att)`` with ``att`` None when disabled.
    """

    def __init__(self, in_channels, out_channels, scale='none', hg_depth=2,
                 att_name='spar', norm_type='bn', relu_type='leakyrelu',
                 hourglass_width=64, spectral_norm=False):
        super().__init__()
        att_name = check_choice('att_name', att_name, ATT_NAMES)
        norm_type = check_choice('norm_type', norm_type, NORM_TYPES)
        relu_type = check_choice('relu_type', relu_type, RELU_TYPES)
        kw = dict(norm_type=norm_type, relu_type=relu_type,
                  spectral_norm=spectral_norm)
        if scale == 'none' and in_channels == out_channels:
            self.shortcut = None
        else:
            self.shortcut = ConvNormAct(in_channels, out_channels, 3, scale,
                                        spectral_norm=spectral_norm)
        self.act_overwrites_input = (self.shortcut is None
                                     and norm_type == 'none'
                                     and relu_type in INPLACE_ACTIVATIONS)
        self.pre_norm = make_norm(norm_type, in_channels)
        self.pre_act = make_activation(relu_type, in_channels)
        first, second = {'down': ('none', 'down'), 'up': ('up', 'none'),
                         'none': ('none', 'none')}[scale]
        self.conv1 = ConvNormAct(in_channels, out_channels, 3, first, **kw)
        self.conv2 = ConvNormAct(out_channels, out_channels, 3, second,
                                 norm_type=norm_type,
                                 spectral_norm=spectral_norm)
        if att_name == 'none' or hg_depth == 0:
            self.attention = None
        else:
            att_channels = 1 if att_name == 'spar' else out_channels
            self.attention = HourglassAttention(hg_depth, out_channels,
                                                att_channels,
                                                hourglass_width, **kw)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        out = x
        if self.pre_norm is not None:
            out = self.pre_norm(out)
        if self.pre_act is not None:
            out = self.pre_act(out)
        if self.act_overwrites_input:
            identity = out
        out = self.conv2(self.conv1(out))
        att = None
        if self.attention is not None:
            out, att = self.attention(out)
        return identity + out, att
