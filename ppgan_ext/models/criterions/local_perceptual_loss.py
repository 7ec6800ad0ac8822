"""VGG perceptual losses whose weights come from a local file, never a
download.

ppgan's ``PerceptualLoss`` downloads ImageNet VGG weights from a URL when it
is built: offline that fails deep inside a download helper, on a network
that drops packets it waits without a timeout, and ranks other than 0 poll
for the file forever. Two losses here keep its computation (layer weights,
style term, input norm) and read the VGG ``features`` weights from
``vgg_weights``: a Paddle ``vgg19.pdparams`` (``paddle.vision.models.vgg19``
keys) or a torchvision ``vgg19-*.pth`` state_dict, read directly (same
``features.N.*`` keys and OIHW layout):

* :class:`LocalPerceptualLoss`, the plugin's name (``vgg_weights`` required);
* :class:`OfflinePerceptualLoss`, which takes ppgan's ``PerceptualLoss``
  name and arguments, so PaddleGAN's configs run unchanged when the weights
  are local and fail in one line naming ``vgg_weights`` when they are not.

``LocalPerceptualLoss``'s ``resize_below`` adds the one preprocessing step of
SPARNetHD's reference perceptual loss that ppgan's lacks: images narrower
than that size (224, VGG's training size) are resized to it (bilinear)
before the VGG.

ppgan's ``PerceptualVGG`` keeps the output of the layer at each index in
``layer_weights``. Its ReLUs are not in place, so a conv's index gives the
activation before its ReLU and the next index the one after; torchvision's
in-place ReLUs make a reference that cuts ``features`` into slices see the
rectified value at the conv's index (SPARNetHD's relu1_2 ... relu4_4 are
Paddle indices 3, 8, 17, 26; its conv5_4, the last slice's end, is 34).
"""
import os

import numpy as np
import paddle
import paddle.nn.functional as F
from ppgan.models.criterions.builder import CRITERIONS
from ppgan.models.criterions.perceptual_loss import PerceptualLoss

from ...config import ConfigError
from ...errors import UserError
from ...registry import register, replace

__all__ = ['LocalPerceptualLoss', 'OfflinePerceptualLoss', 'VGGWeightsError',
           'load_vgg_features']

# ppgan's default ``pretrained`` for PerceptualLoss
PPGAN_VGG19_URL = 'https://paddlegan.bj.bcebos.com/models/vgg19.pdparams'
_NOT_SET = ('perceptual loss: vgg_weights is not set; give a local '
            'vgg19.pdparams or torchvision vgg19 .pth (nothing is downloaded)')


class VGGWeightsError(UserError, ValueError):
    """The VGG weight file is missing or does not fit the VGG layers."""


def _read_state(path):
    if path.endswith(('.pth', '.pt')):
        from ...io.torch_reader import load_torch_state_dict
        return load_torch_state_dict(path)
    from ...io.checkpoint import load_checkpoint
    return load_checkpoint(path)


def load_vgg_features(layers, path):
    """Load ``features.<i>.*`` of ``path`` into the Sequential ``layers``."""
    if not path:
        raise VGGWeightsError(_NOT_SET)
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
        loaded[key] = paddle.to_tensor(src.astype(str(target.dtype).replace(
            'paddle.', '')))
    layers.set_state_dict(loaded)


def _ppgan_download_cache(url):
    """Where ppgan's downloader keeps ``url`` (``~/.cache/ppgan/<name>``)."""
    from ppgan.utils import download
    return os.path.join(download.PPGAN_HOME, os.path.basename(url))


def _pretrained_file(pretrained):
    """ppgan's ``pretrained`` as a local file (None: an untrained VGG)."""
    if not pretrained or not pretrained.startswith(('http://', 'https://')):
        return pretrained or None
    cached = _ppgan_download_cache(pretrained)
    if os.path.isfile(cached):
        return cached
    raise VGGWeightsError(
        f'PerceptualLoss: its VGG weights would be downloaded from '
        f'{pretrained}, and nothing is downloaded here; set vgg_weights: '
        '<local vgg19.pdparams or torchvision vgg19-*.pth> in its config '
        'block (e.g. model.perceptual_criterion.vgg_weights, the key '
        f'LocalPerceptualLoss takes), or put that file at {cached}')


@replace(CRITERIONS, 'PerceptualLoss')
class OfflinePerceptualLoss(PerceptualLoss):
    """ppgan's ``PerceptualLoss`` (same arguments and defaults, plus
    ``vgg_weights``) that never downloads; configs name it ``PerceptualLoss``.

    The VGG weights come from ``vgg_weights``, else from ``pretrained`` if it
    is a local file or a URL ppgan has already downloaded (its cache,
    ``~/.cache/ppgan``); otherwise the loss is refused when it is built.
    """

    def __init__(self, layer_weights, vgg_type='vgg19', use_input_norm=True,
                 perceptual_weight=1.0, style_weight=1.0, norm_img=True,
                 pretrained=PPGAN_VGG19_URL, criterion='l1',
                 vgg_weights=None):
        uses_vgg = perceptual_weight > 0 or style_weight > 0
        path = vgg_weights or (_pretrained_file(pretrained) if uses_vgg
                               else None)
        super().__init__(layer_weights, vgg_type=vgg_type,
                         use_input_norm=use_input_norm,
                         perceptual_weight=perceptual_weight,
                         style_weight=style_weight, norm_img=norm_img,
                         pretrained=None, criterion=criterion)
        if uses_vgg and path:
            load_vgg_features(self.vgg.vgg_layers, path)

    def _gram_mat(self, x):
        """Gram matrix of ``(n, c, h, w)`` features, over ``c * h * w``.

        ppgan's transposes with ``transpose([1, 2])``, which Paddle 3 does
        not read as swapping the last two axes: its style term fails."""
        n, c, h, w = x.shape
        features = x.reshape([n, c, h * w])
        return features.bmm(features.transpose([0, 2, 1])) / (c * h * w)


@register(CRITERIONS)
class LocalPerceptualLoss(OfflinePerceptualLoss):
    """ppgan's PerceptualLoss with VGG weights from ``vgg_weights`` (a path).

    ``vgg_weights: null`` is allowed only with ``random_vgg: true`` (tests,
    smoke runs): the loss is then computed with an untrained VGG.
    ``resize_below: S``: inputs narrower than S are resized to S x S
    (bilinear, align_corners=False) first; ``null``: never.
    """

    def __init__(self, layer_weights, vgg_weights=None, vgg_type='vgg19',
                 use_input_norm=True, perceptual_weight=1.0,
                 style_weight=0.0, norm_img=True, criterion='l1',
                 random_vgg=False, resize_below=None):
        if vgg_weights is None and not random_vgg:
            raise VGGWeightsError(_NOT_SET)
        if resize_below is not None and (
                not isinstance(resize_below, int) or resize_below < 1):
            raise ConfigError('perceptual_criterion.resize_below must be a '
                              f'positive int or null, got {resize_below!r}')
        super().__init__(layer_weights, vgg_type=vgg_type,
                         use_input_norm=use_input_norm,
                         perceptual_weight=perceptual_weight,
                         style_weight=style_weight, norm_img=norm_img,
                         pretrained=None, criterion=criterion,
                         vgg_weights=vgg_weights)
        self.resize_below = resize_below

    def forward(self, x, gt):
        # resizing commutes with the per-channel affine input maps that
        # ppgan applies next (the reference resizes after them)
        size = self.resize_below
        if size is not None and x.shape[-1] < size:
            x, gt = (F.interpolate(t, size=[size, size], mode='bilinear',
                                   align_corners=False) for t in (x, gt))
        return super().forward(x, gt)
