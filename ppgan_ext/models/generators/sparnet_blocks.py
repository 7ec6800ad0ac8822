"""Building blocks of SPARNet: conv units, the hourglass attention branch and
the Face Attention Unit (FAU), and a spectral-normalised conv with PyTorch's
``spectral_norm`` semantics."""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..ops import resize_nearest, upsample_nearest

NORM_TYPES = ('bn', 'in', 'gn', 'none')
RELU_TYPES = ('relu', 'leakyrelu', 'prelu', 'selu', 'none')
ATT_NAMES = ('spar', 'spar3d', 'none')
GN_GROUPS = 32

# Activations the reference applies in place: after an identity normalisation
# they overwrite the block input, which the identity shortcut then sees.
_INPLACE_ACTS = ('relu', 'leakyrelu', 'selu')


def check_choice(name, value, choices):
    """Lower-case ``value`` and check it is one of ``choices``."""
    if not isinstance(value, str) or value.lower() not in choices:
        raise ValueError(f'unsupported {name}={value!r}; expected one of '
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
            raise ValueError(f"norm_type='gn' uses {GN_GROUPS} groups, which "
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
            raise ValueError('HourglassAttention needs depth != 0')
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
                                     and relu_type in _INPLACE_ACTS)
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
