"""VGG perceptual loss whose weights come from a local file.

ppgan's ``PerceptualLoss`` downloads ImageNet VGG weights from a URL when it
is built, which cannot work offline and fails deep inside a download helper.
This subclass keeps its loss (layer weights, style term, input norm) and
reads the VGG ``features`` weights from ``vgg_weights``: a Paddle
``vgg19.pdparams`` (``paddle.vision.models.vgg19`` keys) or a torchvision
``vgg19-*.pth`` state_dict, read directly (same ``features.N.*`` keys and
OIHW layout). A missing path fails at construction, naming the config key.
"""
import os

import numpy as np
import paddle
from ppgan.models.criterions.builder import CRITERIONS
from ppgan.models.criterions.perceptual_loss import PerceptualLoss

from ...errors import UserError
from ...registry import register

__all__ = ['LocalPerceptualLoss', 'VGGWeightsError', 'load_vgg_features']


class VGGWeightsError(UserError, ValueError):
    """The VGG weight file is missing or does not fit the VGG layers."""


def _read_state(path):
    if path.endswith(('.pth', '.pt')):
        from ...convert.torch_reader import load_torch_state_dict
        return load_torch_state_dict(path)
    from ...engine.checkpoint import load_checkpoint
    return load_checkpoint(path)


def load_vgg_features(layers, path):
    """Load ``features.<i>.*`` of ``path`` into the Sequential ``layers``."""
    if not path:
        raise VGGWeightsError(
            'perceptual loss: vgg_weights is not set; give a local '
            'vgg19.pdparams or torchvision vgg19 .pth (nothing is downloaded)')
    if not os.path.isfile(path):
        raise VGGWeightsError(f'perceptual loss: vgg_weights {path}: no such '
                              'file')
    state = _read_state(path)
    wanted = layers.state_dict()
    loaded = {}
    for key, target in wanted.items():
        src = state.get(f'features.{key}')
        if src is None:
            raise VGGWeightsError(f'{path}: no features.{key} (is this a '
                                  'VGG19 state_dict?)')
        src = np.asarray(src)
        if tuple(src.shape) != tuple(target.shape):
            raise VGGWeightsError(
                f'{path}: features.{key} has shape {tuple(src.shape)}, '
                f'the VGG layer needs {tuple(target.shape)}')
        loaded[key] = paddle.to_tensor(src.astype('float32'))
    layers.set_state_dict(loaded)


@register(CRITERIONS)
class LocalPerceptualLoss(PerceptualLoss):
    """ppgan's PerceptualLoss with VGG weights from ``vgg_weights`` (a path).

    ``vgg_weights: null`` is allowed only with ``random_vgg: true`` (tests,
    smoke runs): the loss is then computed with an untrained VGG.
    """

    def __init__(self, layer_weights, vgg_weights=None, vgg_type='vgg19',
                 use_input_norm=True, perceptual_weight=1.0,
                 style_weight=0.0, norm_img=True, criterion='l1',
                 random_vgg=False):
        super().__init__(layer_weights, vgg_type=vgg_type,
                         use_input_norm=use_input_norm,
                         perceptual_weight=perceptual_weight,
                         style_weight=style_weight, norm_img=norm_img,
                         pretrained=None, criterion=criterion)
        if not (random_vgg and vgg_weights is None):
            load_vgg_features(self.vgg.vgg_layers, vgg_weights)
