"""Building blocks of Progressive GAN (Karras et al., 2018).

* :class:`EqualizedConv2d` / :class:`EqualizedLinear` -- equalized learning
  rate: weights are stored as N(0, 1) samples and the layer output (bias
  included) is multiplied at run time by He's constant ``sqrt(2 / fan_in)``.
  They subclass ``paddle.nn.Conv2D`` / ``paddle.nn.Linear`` so the stored
  weights keep Paddle's usual layouts (and the shared converter rules, such as
  the Linear transpose, apply to them).
* :class:`PixelNorm` -- pixel-wise feature vector normalisation.
* :class:`MinibatchStdDev` -- appends the minibatch standard deviation channel.
"""
import math

import paddle
import paddle.nn as nn

from ..config import ConfigError
from .ops import upsample_nearest

__all__ = [
    'EqualizedConv2d', 'EqualizedLinear', 'PixelNorm', 'MinibatchStdDev',
    'upscale2d', 'UpscalingEqualizedConv2d'
]


def _param_attrs(equalized, init_bias_to_zero, fan_in):
    """Weight/bias initialisers matching the reference's constrained layers."""
    if equalized:
        weight_attr = paddle.ParamAttr(initializer=nn.initializer.Normal(0., 1.))
    else:
        # torch's default: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), ..)
        bound = 1. / math.sqrt(fan_in)
        weight_attr = paddle.ParamAttr(
            initializer=nn.initializer.Uniform(-bound, bound))
    if init_bias_to_zero:
        bias_init = nn.initializer.Constant(0.)
    else:
        bound = 1. / math.sqrt(fan_in)
        bias_init = nn.initializer.Uniform(-bound, bound)
    return weight_attr, paddle.ParamAttr(initializer=bias_init)


def _check_bias(bias):
    if not isinstance(bias, bool):
        raise TypeError(f'bias must be True or False, got {bias!r}')


class EqualizedConv2d(nn.Conv2D):
    """2-D convolution with the equalized learning-rate scaling.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels of the output.
        kernel_size (int): side of the square kernel.
        padding (int): zero padding on each side.
        bias (bool): learn an additive bias.
        equalized (bool): store N(0, 1) weights and scale the output by
            ``sqrt(2 / fan_in)`` at run time; False gives a plain convolution.
        init_bias_to_zero (bool): initialise the bias to zero.
    """

    def __init__(self, in_channels, out_channels, kernel_size, padding=0,
                 bias=True, equalized=True, init_bias_to_zero=True):
        _check_bias(bias)
        fan_in = in_channels * kernel_size * kernel_size
        weight_attr, bias_attr = _param_attrs(equalized, init_bias_to_zero,
                                              fan_in)
        super().__init__(in_channels, out_channels, kernel_size,
                         padding=padding, weight_attr=weight_attr,
                         bias_attr=bias_attr if bias else False)
        self.equalized = equalized
        # a Python float: not part of state_dict(), a constant when exported
        self.he_scale = math.sqrt(2. / fan_in)

    def forward(self, x):
        # named, not super(): paddle.jit.to_static resolves a bare super()
        # in a subclass's call chain to this method again (endless recursion)
        out = nn.Conv2D.forward(self, x)
        if self.equalized:
            out = out * self.he_scale
        return out


class UpscalingEqualizedConv2d(EqualizedConv2d):
    """:class:`EqualizedConv2d` applied to its input up-sampled x2 (nearest):
    the first conv of a PGAN generator scale. Same parameters and keys as
    :class:`EqualizedConv2d`; one layer, so an export can fuse the two."""

    def forward(self, x):
        return EqualizedConv2d.forward(self, upscale2d(x))


class EqualizedLinear(nn.Linear):
    """Fully connected layer with the equalized learning-rate scaling.

    Args:
        in_features (int): size of each input vector.
        out_features (int): size of each output vector.
        bias (bool): learn an additive bias.
        equalized (bool): store N(0, 1) weights and scale the output by
            ``sqrt(2 / in_features)`` at run time.
        init_bias_to_zero (bool): initialise the bias to zero.
    """

    def __init__(self, in_features, out_features, bias=True, equalized=True,
                 init_bias_to_zero=True):
        _check_bias(bias)
        weight_attr, bias_attr = _param_attrs(equalized, init_bias_to_zero,
                                              in_features)
        super().__init__(in_features, out_features, weight_attr=weight_attr,
                         bias_attr=bias_attr if bias else False)
        self.equalized = equalized
        self.he_scale = math.sqrt(2. / in_features)

    def forward(self, x):
        out = super().forward(x)
        if self.equalized:
            out = out * self.he_scale
        return out


class PixelNorm(nn.Layer):
    """Divide each pixel's feature vector by its root mean square.

    Args:
        epsilon (float): added to the mean square before the square root.
    """

    def __init__(self, epsilon=1e-8):
        super().__init__()
        self.epsilon = epsilon

    def forward(self, x):
        return x * paddle.rsqrt(
            paddle.mean(x * x, axis=1, keepdim=True) + self.epsilon)


def upscale2d(x, factor=2):
    """Nearest-neighbour up-sampling of an NCHW map by an integer factor
    (oneDNN-exportable form, see ``ppgan_ext.modules.ops``)."""
    return upsample_nearest(x, factor)


class MinibatchStdDev(nn.Layer):
    """Append one channel holding the minibatch standard deviation.

    The batch is split into groups of ``group_size`` consecutive samples
    (``min(batch, group_size)``; if the batch is not divisible by it, the whole
    batch is one group). For each group the unbiased per-feature standard
    deviation ``sqrt(var + 1e-8)`` is averaged over channels and pixels and
    broadcast to a constant map for every member. A group of one sample gets a
    zero map. Works with a batch size unknown at export time.

    Args:
        group_size (int): samples per group.
        epsilon (float): added to the variance before the square root.
    """

    def __init__(self, group_size=4, epsilon=1e-8):
        super().__init__()
        if not isinstance(group_size, int) or group_size < 1:
            raise ConfigError(
                f'group_size must be a positive int, got {group_size!r}')
        self.group_size = group_size
        self.epsilon = epsilon

    def forward(self, x):
        _, c, h, w = x.shape
        n = paddle.shape(x)[0]
        g = paddle.clip(n, max=self.group_size)
        g = paddle.where(n % g == 0, g, n)
        grouped = paddle.reshape(x, [-1, g, c, h, w])
        centred = grouped - paddle.mean(grouped, axis=1, keepdim=True)
        g_float = paddle.cast(g, x.dtype)
        var = paddle.sum(centred * centred, axis=1) / paddle.clip(
            g_float - 1., min=1.)
        std = paddle.sqrt(var + self.epsilon)
        stat = paddle.mean(std, axis=[1, 2, 3], keepdim=True)  # (G, 1, 1, 1)
        stat = stat * paddle.cast(g > 1, x.dtype)
        # broadcast to every member of its group: (G, g, 1, h, w)
        stat = paddle.expand(paddle.unsqueeze(stat, 1),
                             paddle.shape(grouped[:, :, :1]))
        stat = paddle.reshape(stat, [-1, 1, h, w])
        return paddle.concat([x, stat], axis=1)
