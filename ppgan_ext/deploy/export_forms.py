"""Export-only forms of layers: the same function, as a graph that Paddle
Inference's oneDNN path (and paddle2onnx) runs fast.

:func:`to_export_form` rewrites a network (a copy, in eval mode) bottom-up:
each layer whose exact type has a form here is replaced by it. Training code
never sees these layers; tests/deploy/test_export_forms.py checks every form
against its original.

* ``LeakyReLU`` -> :class:`ChannelPReLU`: one oneDNN op (Paddle 3.3.1's
  oneDNN conv + leaky_relu fusion segfaults, ``maximum`` has no oneDNN kernel
  and costs two layout reorders, paddle2onnx 2.1 writes leaky_relu wrongly).
  In a bf16 export (``precision='bf16'``) ``LeakyReLU`` and ``PReLU`` become
  :class:`ReluLeaky` / :class:`ReluPReLU` instead: Paddle 3.3.1's bf16 prelu
  and conv + leaky_relu give outputs ~1e8 off, relu, scale and add are
  exact bf16 ops.
* ``SpectralNormConv2D`` -> a ``Conv2D`` holding the normalised weight.
* ``EqualizedConv2d`` / ``EqualizedLinear`` -> ``Conv2D`` / ``Linear`` with
  He's constant folded into the weight and bias (no run-time multiply).
* ``ConvNormAct`` -> :class:`ExportConvNormAct`: batch norm folded into the
  conv, reflect padding as slices + concat (Paddle's ``pad3d`` kernel is
  slow), nearest x2 + conv as one transposed conv (:class:`UpsampleConv`).
* ``HourglassAttention`` -> :class:`CroppingHourglass`: a crop instead of the
  nearest resize, and one padding shared by the skip and down convs.
* ``PixelNorm`` -> :class:`ConvPixelNorm`: the channel mean of squares as
  a 1x1 conv (oneDNN's channel reduction is ~7x slower).
* ``UpscalingEqualizedConv2d`` (a PGAN generator scale's up-sampling + first
  conv) -> one :class:`UpsampleConv` (4 instead of 9 taps per output on 4x
  the pixels: 4/9 of the work).
* ppgan's ``RRDBNet`` -> :class:`ExportRRDBNet`: its up-sampling + conv as
  :class:`UpsampleConv`, with no ``interpolate`` (which Paddle 3.3's oneDNN
  executor cannot run).
"""
import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from ppgan.models.generators.rrdb_net import RRDBNet

from ..models.generators.sparnet_blocks import HourglassAttention
from ..modules.conv_blocks import ConvNormAct, SpectralNormConv2D
from ..modules.equalized_layers import (EqualizedConv2d, EqualizedLinear,
                                        PixelNorm,
                                        UpscalingEqualizedConv2d)
from ..modules.ops import crop_to, edge_pad, reflect_pad, upsample_nearest

__all__ = ['to_export_form', 'ChannelPReLU', 'ReluLeaky', 'ReluPReLU',
           'ConvPixelNorm',
           'UpsampleConv', 'ExportConvNormAct', 'CroppingHourglass',
           'ExportRRDBNet', 'conv_with', 'fold_bn', 'subpixel_weight']


class ChannelPReLU(nn.Layer):
    """Leaky ReLU as a per-channel PReLU whose weights all equal ``slope``
    (bit-exact: ``x`` or ``slope * x``). oneDNN runs it as one op in its own
    layout; a single shared weight is ~3x slower there. ``maximum(x, slope
    * x)`` when the channel count is unknown."""

    def __init__(self, slope):
        super().__init__()
        self.slope = float(slope)

    def forward(self, x):
        channels = x.shape[1]
        if not isinstance(channels, int) or channels < 1:
            return paddle.maximum(x, x * self.slope)
        weight = paddle.full([channels], self.slope, dtype=x.dtype)
        return F.prelu(x, weight)


def _scaled(x, factor):
    # bias_after_scale=False: Paddle's bf16 placement keeps scale ops with
    # the (default) bias-after-scale form in fp32, at two reorders each
    return paddle.scale(x, factor, bias_after_scale=False)


class ReluLeaky(nn.Layer):
    """Leaky ReLU as ``slope * x + (1 - slope) * relu(x)`` (``0 <= slope <=
    1``): relu, scale and add, which Paddle runs correctly in bf16."""

    def __init__(self, slope):
        super().__init__()
        self.slope = float(slope)

    def forward(self, x):
        return _scaled(x, self.slope) + _scaled(F.relu(x), 1.0 - self.slope)


class ReluPReLU(nn.Layer):
    """PReLU as ``relu(x) - w * relu(-x)`` (bf16-safe, see
    :class:`ReluLeaky`); ``w`` per channel, or one shared weight."""

    def __init__(self, src):
        super().__init__()
        w = _numpy(src._weight)
        self.weight = self.create_parameter(
            [1, len(w), 1, 1] if len(w) > 1 else [1])
        self.weight.set_value(w.reshape(self.weight.shape).astype('float32'))

    def forward(self, x):
        return F.relu(x) - self.weight * F.relu(_scaled(x, -1.0))


class ConvPixelNorm(nn.Layer):
    """:class:`PixelNorm` of NCHW maps with the mean of squares over the
    channels computed as a 1x1 conv (weights 1/C) of ``x * x``; other inputs
    (latent vectors) as before."""

    def __init__(self, epsilon):
        super().__init__()
        self.epsilon = epsilon

    def forward(self, x):
        if len(x.shape) != 4 or x.shape[1] < 1:
            mean_sq = paddle.mean(x * x, axis=1, keepdim=True)
        else:
            channels = x.shape[1]
            weight = paddle.full([1, channels, 1, 1], 1.0 / channels,
                                 dtype=x.dtype)
            mean_sq = F.conv2d(x * x, weight)
        return x * paddle.rsqrt(mean_sq + self.epsilon)


def _numpy(t):
    return None if t is None else t.numpy().astype('float64')


def conv_with(weight, bias, like=None, stride=1, padding=0):
    """A ``Conv2D`` holding ``weight`` / ``bias`` (arrays; bias may be None),
    with the stride / padding / dilation / groups of conv ``like`` if given."""
    out_c, in_c_per_group, kh, kw = weight.shape
    kwargs = dict(stride=stride, padding=padding)
    if like is not None:
        kwargs = dict(stride=like._stride, padding=like._padding,
                      dilation=like._dilation, groups=like._groups)
    conv = nn.Conv2D(in_c_per_group * kwargs.get('groups', 1), out_c,
                     (kh, kw), bias_attr=None if bias is not None else False,
                     **kwargs)
    conv.weight.set_value(weight.astype('float32'))
    if bias is not None:
        conv.bias.set_value(bias.astype('float32'))
    return conv


def fold_bn(weight, bias, bn):
    """Weight and bias (arrays) of ``bn(conv(x))`` as one conv; ``bn`` in
    eval mode (running statistics)."""
    scale = 1.0 / np.sqrt(_numpy(bn._variance) + bn._epsilon)
    if bn.weight is not None:
        scale = scale * _numpy(bn.weight)
    shift = -_numpy(bn._mean) * scale
    if bias is not None:
        shift = shift + bias * scale
    if bn.bias is not None:
        shift = shift + _numpy(bn.bias)
    return weight * scale[:, None, None, None], shift


# Nearest x2 then a 3x3 conv: output row 2i sees input rows (i-1, i, i) and
# row 2i+1 sees (i, i, i+1), so the 3 taps collapse to 2 per output phase.
# Row u of _TAPS says which 3x3 taps add up in tap u of the equivalent
# stride-2 4x4 transposed-conv kernel.
_TAPS = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], 'float64')


def subpixel_weight(weight):
    """Transposed-conv kernel (Cin, Cout, 4, 4), stride 2, equal to nearest
    x2 up-sampling followed by the 3x3 conv ``weight`` (Cout, Cin, 3, 3)."""
    return np.einsum('ua,vb,oiab->iouv', _TAPS, _TAPS, weight)


def _padding_is(conv, pad):
    return conv._padding in (pad, [pad, pad], [pad] * 4)


def _is_plain_conv(conv, kernel=None, stride=1):
    return (type(conv) is nn.Conv2D and conv._padding_mode == 'zeros'
            and conv._data_format == 'NCHW' and conv._groups == 1
            and list(conv._stride) == [stride, stride]
            and list(conv._dilation) == [1, 1]
            and (kernel is None
                 or list(conv.weight.shape[2:]) == [kernel] * 2))


class UpsampleConv(nn.Layer):
    """``conv3x3(pad(upsample_nearest(x, 2)))`` as one stride-2 transposed
    conv with a 4x4 kernel (:func:`subpixel_weight`).

    ``pad='zeros'``: the conv zero-pads by 1 (transposed-conv padding 1).
    ``pad='reflect'``: the up-sampled map is reflect-padded by 1, i.e. its
    border rows repeat the first / last input row: the input is edge-padded
    and the extra outputs cut off (transposed-conv padding 3).
    """

    def __init__(self, weight, bias, pad='zeros'):
        super().__init__()
        kernel = subpixel_weight(weight)
        self.reflect = pad == 'reflect'
        self.weight = self.create_parameter(list(kernel.shape))
        self.weight.set_value(kernel.astype('float32'))
        self.bias = None
        if bias is not None:
            self.bias = self.create_parameter([len(bias)], is_bias=True)
            self.bias.set_value(bias.astype('float32'))

    @classmethod
    def from_conv(cls, conv, pad='zeros'):
        return cls(_numpy(conv.weight), _numpy(conv.bias), pad)

    def forward(self, x):
        if self.reflect:
            return F.conv2d_transpose(edge_pad(x, 1), self.weight, self.bias,
                                      stride=2, padding=3)
        return F.conv2d_transpose(x, self.weight, self.bias, stride=2,
                                  padding=1)


class ExportConvNormAct(ConvNormAct):
    """:class:`ConvNormAct` with batch norm folded into the conv, reflect
    padding as slices + concat, and up-sampling + conv as
    :class:`UpsampleConv`."""

    def __init__(self, src):
        nn.Layer.__init__(self)  # reuses src's layers: build none of its own
        self.upsample, self.pad = src.upsample, src.pad
        self.conv, self.norm, self.act = src.conv, src.norm, src.act
        if not _is_plain_conv(src.conv, stride=src.conv._stride[0]):
            return
        weight, bias = _numpy(src.conv.weight), _numpy(src.conv.bias)
        if isinstance(src.norm, nn.BatchNorm2D):
            weight, bias = fold_bn(weight, bias, src.norm)
            self.norm = None
            self.conv = conv_with(weight, bias, src.conv)
        if self.upsample and self.pad == 1 and weight.shape[2:] == (3, 3) \
                and list(src.conv._stride) == [1, 1]:
            self.conv = UpsampleConv(weight, bias, 'reflect')
            self.upsample, self.pad = False, 0

    def forward(self, x):
        if self.upsample:
            x = upsample_nearest(x, 2)
        if self.pad:
            x = reflect_pad(x, self.pad)
        return self.forward_padded(x)


class CroppingHourglass(nn.Layer):
    """:class:`HourglassAttention` matching each up-sampled map to its skip
    by a crop: a stride-2 conv (3x3, padding 1) turns n rows into ceil(n/2),
    up-sampling gives n or n + 1 back, where the nearest resize to n is
    exactly the crop (see ``ops.crop_to``). The skip and down convs of a
    level pad the same input once."""

    def __init__(self, src):
        super().__init__()
        self.levels = src.levels
        self.skip, self.down, self.bottom = src.skip, src.down, src.bottom
        self.up, self.out_conv = src.up, src.out_conv

    def _skip_and_down(self, i, h):
        skip, down = self.skip[i], self.down[i]
        if skip.upsample or down.upsample or skip.pad != down.pad:
            return skip(h), down(h)
        padded = reflect_pad(h, skip.pad) if skip.pad else h
        return skip.forward_padded(padded), down.forward_padded(padded)

    def forward(self, x):
        skips = []
        h = x
        for i in range(len(self.skip)):
            s, h = self._skip_and_down(i, h)
            skips.append(s)
        h = self.bottom(h)
        for i in range(len(self.levels) - 1, -1, -1):
            h = crop_to(self.up[i](h), skips[i]) + skips[i]
        att = F.sigmoid(self.out_conv(h))
        return x * att, att


class ExportRRDBNet(nn.Layer):
    """ppgan's ``RRDBNet`` (ESRGAN) with each ``interpolate`` + conv as one
    layer, an :class:`UpsampleConv` where the conv is a plain 3x3 one; same
    layers otherwise. The forward is restated because ppgan's calls
    ``interpolate`` itself."""

    def __init__(self, src):
        super().__init__()
        for name, child in src.named_children():
            setattr(self, name, child)
        for name in ('upconv1', 'upconv2'):
            conv = getattr(src, name)
            if _is_plain_conv(conv, 3) and _padding_is(conv, 1):
                setattr(self, name, UpsampleConv.from_conv(conv))
            else:
                setattr(self, name, _upscaled(conv))

    def forward(self, x):
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.RRDB_trunk(fea))
        fea = self.lrelu(self.upconv1(fea))
        fea = self.lrelu(self.upconv2(fea))
        return self.conv_last(self.lrelu(self.HRconv(fea)))


class _Upscale2x(nn.Layer):
    def forward(self, x):
        return upsample_nearest(x, 2)


def _upscaled(conv):
    """``conv(nearest x2 up-sampling(x))`` as one layer."""
    return nn.Sequential(_Upscale2x(), conv)


def _leaky(layer):
    slope = layer._negative_slope
    return ChannelPReLU(slope) if 0 <= slope <= 1 else layer


def _bf16_leaky(layer):
    slope = layer._negative_slope
    return ReluLeaky(slope) if 0 <= slope <= 1 else layer


def _bf16_prelu(layer):
    return ReluPReLU(layer) if layer._data_format == 'NCHW' else layer


def _spectral(layer):
    return conv_with(_numpy(layer.normalized_weight()), _numpy(layer.bias),
                     stride=layer.stride)


def _equalized_conv(layer):
    s = layer.he_scale if layer.equalized else 1.0
    bias = _numpy(layer.bias)
    return conv_with(_numpy(layer.weight) * s,
                     None if bias is None else bias * s, layer)


def _equalized_linear(layer):
    s = layer.he_scale if layer.equalized else 1.0
    weight = _numpy(layer.weight) * s
    linear = nn.Linear(*weight.shape,
                       bias_attr=None if layer.bias is not None else False)
    linear.weight.set_value(weight.astype('float32'))
    if layer.bias is not None:
        linear.bias.set_value((_numpy(layer.bias) * s).astype('float32'))
    return linear


def _upscaling_equalized_conv(layer):
    conv = _equalized_conv(layer)
    if _is_plain_conv(conv, 3) and _padding_is(conv, 1):
        return UpsampleConv.from_conv(conv)
    return _upscaled(conv)


# exact layer type -> function building its export form
_FORMS = {
    nn.LeakyReLU: _leaky,
    SpectralNormConv2D: _spectral,
    EqualizedConv2d: _equalized_conv,
    UpscalingEqualizedConv2d: _upscaling_equalized_conv,
    EqualizedLinear: _equalized_linear,
    PixelNorm: lambda layer: ConvPixelNorm(layer.epsilon),
    ConvNormAct: ExportConvNormAct,
    HourglassAttention: CroppingHourglass,
    RRDBNet: ExportRRDBNet,
}
# what a bf16 export changes (see the module docstring)
_BF16_FORMS = {**_FORMS, nn.LeakyReLU: _bf16_leaky, nn.PReLU: _bf16_prelu}
FORM_PRECISIONS = ('fp32', 'bf16')


def to_export_form(net, precision='fp32'):
    """Replace, bottom-up, every sublayer of ``net`` (and ``net``) that has
    an export form; ``net`` should be a copy in eval mode. ``precision``
    (``'fp32'`` / ``'bf16'``) is what the export will run in. Returns the
    result (``net`` itself unless its own type has a form)."""
    if precision not in FORM_PRECISIONS:
        raise ValueError(f'precision must be one of {FORM_PRECISIONS}, got '
                         f'{precision!r}')
    forms = _BF16_FORMS if precision == 'bf16' else _FORMS

    def convert(layer):
        for name, child in list(layer.named_children()):
            setattr(layer, name, convert(child))
        form = forms.get(type(layer))
        return layer if form is None else form(layer)

    return convert(net)
