"""Progressive GAN generator (Karras et al., ICLR 2018)."""
import paddle
import paddle.nn as nn
from ppgan.models.generators.builder import GENERATORS

from ...config import ConfigError
from ...modules.equalized_layers import PixelNorm, upscale2d
from ...modules.progressive import (ProgressiveLayersMixin, check_alpha,
                                    resolve_depths)
from ...registry import register

__all__ = ['PGANGenerator']

_ACTIVATIONS = {None: None, 'tanh': paddle.tanh}


@register(GENERATORS)
class PGANGenerator(ProgressiveLayersMixin, nn.Layer):
    """Progressive GAN generator: latent vector -> image of side 4 * 2**k.

    Scale 0 maps the latent to a 4x4 map (equalized linear + 3x3 conv); each
    added scale doubles the resolution (nearest up-sampling, two 3x3 convs) and
    has its own 1x1 to-RGB layer. During a fade-in, ``alpha`` weights the
    previous scale's to-RGB output, up-sampled: ``alpha * old + (1 - alpha) *
    new``; ``alpha == 0`` skips the blend. ``alpha`` is a Python float set with
    :meth:`set_alpha`, not a parameter (absent from ``state_dict()``).

    Args:
        latent_dim (int): dimension of the latent vector z.
        depth_scale0 (int): channels of scale 0 (4x4); default 512, or
            ``depths[0]`` when ``depths`` is given.
        depths (list[int] | None): channels of every scale, scale 0 first;
            builds scale 0 and then one added scale per further entry.
        init_bias_to_zero (bool): initialise every bias to zero.
        leaky_relu_slope (float): negative slope of the leaky ReLUs.
        normalization (bool): pixel-wise feature normalisation of z and after
            every convolution.
        generation_activation (str | None): activation on the image, None
            (identity) or 'tanh'.
        out_channels (int): image channels (3 RGB, 1 grey).
        equalized_lr (bool): equalized learning rate in every layer.
    """

    def __init__(self,
                 latent_dim=512,
                 depth_scale0=None,
                 depths=None,
                 init_bias_to_zero=True,
                 leaky_relu_slope=0.2,
                 normalization=True,
                 generation_activation=None,
                 out_channels=3,
                 equalized_lr=True):
        super().__init__()
        depths = resolve_depths(depth_scale0, depths)
        if generation_activation not in _ACTIVATIONS:
            raise ConfigError(
                f'generation_activation must be one of '
                f'{list(_ACTIVATIONS)}, got {generation_activation!r}')
        self.latent_dim = latent_dim
        self.out_channels = out_channels
        self.equalized_lr = equalized_lr
        self.init_bias_to_zero = init_bias_to_zero
        self.generation_activation = generation_activation
        self.scale_depths = [depths[0]]
        self.alpha = 0.

        d0 = depths[0]
        self.format_layer = self._linear(latent_dim, 16 * d0)
        self.scale0_conv = self._conv(d0, d0, 3, padding=1)
        self.scale_layers = nn.LayerList()
        self.to_rgb = nn.LayerList([self._conv(d0, out_channels, 1)])
        self.act = nn.LeakyReLU(leaky_relu_slope)
        self.norm = PixelNorm() if normalization else None
        for depth in depths[1:]:
            self.add_scale(depth)

    @property
    def num_scales(self):
        """Number of scales built so far (scale 0 included)."""
        return len(self.to_rgb)

    def add_scale(self, depth):
        """Append a scale of ``depth`` channels; the output side doubles.

        Earlier layers (and their weights) are kept untouched.
        """
        self._check_depth(depth)
        last = self.scale_depths[-1]
        self.scale_depths.append(depth)
        self.scale_layers.append(
            nn.LayerList([
                self._conv(last, depth, 3, padding=1, upscaling=True),
                self._conv(depth, depth, 3, padding=1)
            ]))
        self.to_rgb.append(self._conv(depth, self.out_channels, 1))

    def set_alpha(self, alpha):
        """Set the fade-in factor in [0, 1] (weight of the previous scale)."""
        alpha = check_alpha(alpha)
        if alpha > 0 and self.num_scales < 2:
            raise ValueError(
                'alpha > 0 needs a previous scale to blend with; call '
                'add_scale first (the network has only scale 0)')
        self.alpha = alpha

    def _normalize(self, x):
        return x if self.norm is None else self.norm(x)

    def forward(self, z):
        """Map latents ``(N, latent_dim)`` to images ``(N, C, R, R)``."""
        x = self._normalize(z)
        x = paddle.reshape(x, [0, -1])  # reshape (unlike flatten) has a double grad
        x = self.act(self.format_layer(x))
        x = paddle.reshape(x, [-1, self.scale_depths[0], 4, 4])
        x = self._normalize(x)
        x = self._normalize(self.act(self.scale0_conv(x)))

        blend = self.alpha > 0 and self.num_scales > 1
        old = None
        if blend and self.num_scales == 2:
            old = upscale2d(self.to_rgb[0](x))
        for i, (conv_a, conv_b) in enumerate(self.scale_layers):
            x = self._normalize(self.act(conv_a(x)))  # conv_a up-samples
            x = self._normalize(self.act(conv_b(x)))
            if blend and i == len(self.scale_layers) - 2:
                old = upscale2d(self.to_rgb[-2](x))

        x = self.to_rgb[-1](x)
        if blend:
            x = self.alpha * old + (1. - self.alpha) * x
        activation = _ACTIVATIONS[self.generation_activation]
        if activation is not None:
            x = activation(x)
        return x
