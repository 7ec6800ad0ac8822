"""Weight initialisations the references use."""
import paddle
import paddle.nn as nn

from .conv_blocks import SpectralNormConv2D

__all__ = ['init_normal']


def init_normal(layer, std=0.02):
    """The reference's init: every conv weight (spectral-norm ``weight_orig``
    included) ~ N(0, std), conv biases 0."""
    for sub in layer.sublayers(include_self=True):
        if isinstance(sub, SpectralNormConv2D):
            weight = sub.weight_orig
        elif isinstance(sub, nn.Conv2D):
            weight = sub.weight
        else:
            continue
        weight.set_value(paddle.normal(0.0, std, weight.shape))
        if sub.bias is not None:
            sub.bias.set_value(paddle.zeros(sub.bias.shape))
