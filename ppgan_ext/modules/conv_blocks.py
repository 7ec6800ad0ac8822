"""Conv units shared by the generators and discriminators: conv + norm +
activation (``ConvNormAct``, with PyTorch's padding and in-place
semantics), a spectral-normalised conv with PyTorch's ``spectral_norm``
behaviour, BatchNorm with PyTorch's running statistics, and the choices
they take."""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..config import ConfigError
from .ops import upsample_nearest

NORM_TYPES = ('bn', 'in', 'gn', 'none')
RELU_TYPES = ('relu', 'leakyrelu', 'prelu', 'selu', 'none')
GN_GROUPS = 32

# Activations the reference applies in place: after an identity normalisation
# they overwrite the block input, which the identity shortcut then sees.
INPLACE_ACTIVATIONS = ('relu', 'leakyrelu', 'selu')


def check_choice(name, value, choices):
    """Lower-case ``value`` and check it is one of ``choices``."""
    if not isinstance(value, str) or value.lower() not in choices:
        raise ConfigError(f'unsupported {name}={value!r}; expected one of '
                          f'{list(choices)}')
    return value.lower()


class TorchStatsBatchNorm2D(nn.BatchNorm2D):
    """``nn.BatchNorm2D`` whose running variance follows PyTorch's.

    Both normalise a training batch with its biased variance, but Paddle
    also averages that biased variance into the running statistics, whereas
    PyTorch (which the reference models and their released weights come
    from) uses the unbiased one, ``sum((x - mean)^2) / (N*H*W - 1)``. The
    running mean, the output and the gradients are Paddle's own.
    """

    def forward(self, x):
        if not self.training or self._use_global_stats:
            return super().forward(x)
        count = x.shape[0] * x.shape[2] * x.shape[3]
        previous = self._variance.clone() if count > 1 else None
        out = super().forward(x)
        if previous is not None:
            with paddle.no_grad():
                # (paddle.var logs a dtype-promotion warning; same result)
                x32 = x.detach().astype('float32')
                centred = x32 - x32.mean(axis=[0, 2, 3], keepdim=True)
                batch_var = (centred * centred).sum(axis=[0, 2, 3]) / (
                    count - 1)
                m = self._momentum
                self._variance.set_value(m * previous + (1.0 - m) * batch_var)
        return out


def make_norm(norm_type, channels):
    """Normalisation layer for ``norm_type`` (None for ``'none'``).

    ``'in'`` is instance norm with a learnable affine and no running stats,
    ``'gn'`` is group norm with 32 groups.
    """
    norm_type = check_choice('norm_type', norm_type, NORM_TYPES)
    if norm_type == 'bn':
        # Reference init: scale ~ N(1, 0.02), shift 0.
        return TorchStatsBatchNorm2D(
            channels, momentum=0.9, epsilon=1e-5,
            weight_attr=paddle.ParamAttr(
                initializer=nn.initializer.Normal(1.0, 0.02)))
    if norm_type == 'in':
        return nn.InstanceNorm2D(channels, epsilon=1e-5)
    if norm_type == 'gn':
        if channels % GN_GROUPS:
            raise ConfigError(f"norm_type='gn' uses {GN_GROUPS} groups, which "
                              f'does not divide {channels} channels')
        return nn.GroupNorm(GN_GROUPS, channels, epsilon=1e-5)
    return None


def make_activation(relu_type, channels):
    """Activation layer for ``relu_type`` (None for ``'none'``)."""
    relu_type = check_choice('relu_type', relu_type, RELU_TYPES)
    if relu_type == 'relu':
        return nn.ReLU()
    if relu_type == 'leakyrelu':
        return nn.LeakyReLU(0.2)
    if relu_type == 'prelu':
        return nn.PReLU(channels, init=0.25)
    if relu_type == 'selu':
        return nn.SELU()
    return None


class SpectralNormConv2D(nn.Layer):
    """Conv2D (no padding) whose weight is divided by its top singular value.

    Same tensors and semantics as PyTorch's ``spectral_norm`` on a conv: the
    parameter ``weight_orig`` and the buffers ``weight_u`` (out_channels) and
    ``weight_v`` (in_channels*k*k). In training mode each forward first runs
    ``power_iterations`` power-iteration steps and stores the new u, v; in
    eval mode sigma = u^T W v uses the stored vectors as they are.

    Paddle's hook-based ``paddle.nn.utils.spectral_norm`` has the same eval
    semantics, but ``paddle.jit.to_static`` does not trace its hook: the
    exported program keeps the weight of the last eager forward. Computing
    the weight inside ``forward`` keeps export exact.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1,
                 bias=True, power_iterations=1, eps=1e-12):
        super().__init__()
        self.stride = stride
        self.power_iterations = power_iterations
        self.eps = eps
        fan_in = in_channels * kernel_size * kernel_size
        bound = 1.0 / math.sqrt(fan_in)
        self.weight_orig = self.create_parameter(
            [out_channels, in_channels, kernel_size, kernel_size],
            default_initializer=nn.initializer.Uniform(-bound, bound))
        self.bias = (self.create_parameter(
            [out_channels], is_bias=True,
            default_initializer=nn.initializer.Constant(0.0))
                     if bias else None)
        self.register_buffer('weight_u', self._unit_vector(out_channels))
        self.register_buffer('weight_v', self._unit_vector(fan_in))

    def _unit_vector(self, n):
        return F.normalize(paddle.randn([n]), axis=0, epsilon=self.eps)

    def normalized_weight(self):
        """W / sigma; in training mode runs power iteration first."""
        w = self.weight_orig
        mat = w.reshape([w.shape[0], -1])
        u, v = self.weight_u, self.weight_v
        if self.training:
            with paddle.no_grad():
                mat_d = mat.detach()
                for _ in range(self.power_iterations):
                    v = F.normalize(paddle.mv(mat_d.t(), u), axis=0,
                                    epsilon=self.eps)
                    u = F.normalize(paddle.mv(mat_d, v), axis=0,
                                    epsilon=self.eps)
                paddle.assign(u, output=self.weight_u)
                paddle.assign(v, output=self.weight_v)
            u, v = u.detach(), v.detach()
        sigma = paddle.dot(u, paddle.mv(mat, v))
        return w / sigma

    def forward(self, x):
        return F.conv2d(x, self.normalized_weight(), self.bias,
                        stride=self.stride)


class ConvNormAct(nn.Layer):
    """Optional 2x nearest up-sampling, reflect-padded conv, norm, activation.

    ``scale``: ``'down'`` (stride-2 conv), ``'up'`` (nearest x2 before the
    conv) or ``'none'``. The conv has a bias only when ``norm_type='none'``.
    ``spectral_norm=True`` uses :class:`SpectralNormConv2D` (state keys
    ``conv.weight_orig``, ``conv.weight_u``, ``conv.weight_v``).
    """

    def __init__(self, in_channels, out_channels, kernel_size=3,
                 scale='none', norm_type='none', relu_type='none',
                 spectral_norm=False):
        super().__init__()
        self.upsample = scale == 'up'
        self.pad = kernel_size // 2
        stride = 2 if scale == 'down' else 1
        bias = norm_type.lower() == 'none'
        if spectral_norm:
            self.conv = SpectralNormConv2D(in_channels, out_channels,
                                           kernel_size, stride, bias=bias)
        else:
            self.conv = nn.Conv2D(
                in_channels, out_channels, kernel_size, stride,
                weight_attr=nn.initializer.Normal(0.0, 0.02),
                bias_attr=(nn.initializer.Constant(0.0) if bias else False))
        self.norm = make_norm(norm_type, out_channels)
        self.act = make_activation(relu_type, out_channels)

    def forward(self, x):
        if self.upsample:
            x = upsample_nearest(x, 2)
        if self.pad:
            x = F.pad(x, [self.pad] * 4, mode='reflect')
        return self.forward_padded(x)

    def forward_padded(self, x):
        """conv -> norm -> act on an input already up-sampled and padded."""
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        if self.act is not None:
            x = self.act(x)
        return x
