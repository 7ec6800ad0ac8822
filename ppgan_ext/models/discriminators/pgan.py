"""Progressive GAN discriminator (Karras et al., ICLR 2018)."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from ppgan.models.discriminators.builder import DISCRIMINATORS

from ...config import ConfigError
from ...modules.equalized_layers import MinibatchStdDev
from ...modules.progressive import (ProgressiveLayersMixin, check_alpha,
                                    resolve_depths)
from ...registry import register

__all__ = ['PGANDiscriminator']


@register(DISCRIMINATORS)
class PGANDiscriminator(ProgressiveLayersMixin, nn.Layer):
    """Progressive GAN discriminator: image of side 4 * 2**k -> scores.

    Each scale has a 1x1 from-RGB layer; an added scale runs two 3x3 convs
    (``depth -> depth -> depth of the previous scale``) and halves the map by
    2x2 average pooling. Scale 0 optionally appends the minibatch stddev
    channel, then a 3x3 conv, an equalized linear on the flattened 4x4 map and
    the decision layer. During a fade-in (``alpha > 0``) the half-resolution
    input through the previous scale's from-RGB is blended in after the first
    pooling: ``alpha * old + (1 - alpha) * new``. As in the reference
    implementation that blend only happens once at least two scales were
    added; with a single added scale ``alpha`` has no effect.

    Args:
        depth_scale0 (int): channels of scale 0 (4x4); default 512, or
            ``depths[0]`` when ``depths`` is given.
        depths (list[int] | None): channels of every scale, scale 0 first;
            builds scale 0 and then one added scale per further entry.
        init_bias_to_zero (bool): initialise every bias to zero.
        leaky_relu_slope (float): negative slope of the leaky ReLUs.
        decision_size (int): outputs of the decision layer (1 for WGAN-GP;
            more for AC-GAN style class outputs).
        minibatch_stddev (bool): append the minibatch stddev channel at
            scale 0.
        stddev_group_size (int): samples per minibatch-stddev group.
        in_channels (int): image channels (3 RGB, 1 grey).
        equalized_lr (bool): equalized learning rate in every layer.
    """

    def __init__(self,
                 depth_scale0=None,
                 depths=None,
                 init_bias_to_zero=True,
                 leaky_relu_slope=0.2,
                 decision_size=1,
                 minibatch_stddev=True,
                 stddev_group_size=4,
                 in_channels=3,
                 equalized_lr=True):
        super().__init__()
        depths = resolve_depths(depth_scale0, depths)
        if not isinstance(decision_size, int) or decision_size < 1:
            raise ConfigError(
                f'decision_size must be a positive int, got {decision_size!r}')
        self.in_channels = in_channels
        self.equalized_lr = equalized_lr
        self.init_bias_to_zero = init_bias_to_zero
        self.scale_depths = [depths[0]]
        self.alpha = 0.

        d0 = depths[0]
        self.from_rgb = nn.LayerList([self._conv(in_channels, d0, 1)])
        self.scale_layers = nn.LayerList()
        self.stddev = (MinibatchStdDev(stddev_group_size)
                       if minibatch_stddev else None)
        self.scale0_conv = self._conv(d0 + (1 if minibatch_stddev else 0), d0,
                                      3, padding=1)
        self.scale0_linear = self._linear(16 * d0, d0)
        self.decision_layer = self._linear(d0, decision_size)
        self.act = nn.LeakyReLU(leaky_relu_slope)
        for depth in depths[1:]:
            self.add_scale(depth)

    @property
    def num_scales(self):
        """Number of scales built so far (scale 0 included)."""
        return len(self.from_rgb)

    def add_scale(self, depth):
        """Prepend a scale of ``depth`` channels; the input side doubles.

        Earlier layers (and their weights) are kept untouched.
        """
        self._check_depth(depth)
        last = self.scale_depths[-1]
        self.scale_depths.append(depth)
        self.scale_layers.append(
            nn.LayerList([
                self._conv(depth, depth, 3, padding=1),
                self._conv(depth, last, 3, padding=1)
            ]))
        self.from_rgb.append(self._conv(self.in_channels, depth, 1))

    def set_alpha(self, alpha):
        """Set the fade-in factor in [0, 1] (weight of the previous scale)."""
        self.alpha = check_alpha(alpha)

    def forward(self, x, get_feature=False):
        """Score images ``(N, C, R, R)`` -> ``(N, decision_size)``.

        With ``get_feature=True`` also return the ``(N, depth_scale0)``
        features fed to the decision layer.
        """
        old = None
        blend = self.alpha > 0 and len(self.scale_layers) > 1
        if blend:
            old = self.act(self.from_rgb[-2](F.avg_pool2d(x, 2)))
        x = self.act(self.from_rgb[-1](x))
        for i in range(len(self.scale_layers) - 1, -1, -1):
            conv_a, conv_b = self.scale_layers[i]
            x = self.act(conv_b(self.act(conv_a(x))))
            x = F.avg_pool2d(x, 2)
            if blend and i == len(self.scale_layers) - 1:
                x = self.alpha * old + (1. - self.alpha) * x

        if self.stddev is not None:
            x = self.stddev(x)
        x = self.act(self.scale0_conv(x))
        x = paddle.reshape(x, [0, -1])  # reshape (unlike flatten) has a double grad
        feature = self.act(self.scale0_linear(x))
        out = self.decision_layer(feature)
        if get_feature:
            return out, feature
        return out
