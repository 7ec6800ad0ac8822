"""SPARNet face super-resolution training model.

Face-SPARNet trains its generator with a pixel L1 loss only (Adam, lr 2e-4,
betas 0.9/0.99) on images normalised to [-1, 1]. This model is
:class:`~.sr_model.ExtSRModel` (AMP, NaN guard) plus what differs:

* images live in [-1, 1] (``value_range``, as the reference normalises
  them); metrics see them mapped back to uint8 with that range (ppgan's
  ``BaseSRModel.test_iter`` assumes [0, 1]);
* the attention maps of the Face Attention Units are kept
  (``self.attention_maps``, values in (0, 1)) and some are shown as visuals
  ``attention_<k>`` (channel mean, up-sampled to the output size and put in
  the image range so the Trainer writes them like the other images);
* a ``comparison`` visual puts LR input | SR output | HR | last attention
  map side by side;
* a batch without ``gt`` (a folder of LR inputs) is only super-resolved:
  no metrics, the outputs are still saved by the Trainer.
"""
import collections
import logging

import paddle
import paddle.nn.functional as F
from ppgan.models.builder import MODELS
from ppgan.utils.visual import tensor2img

from ..config import ConfigError
from ..registry import register
from .sr_model import ExtSRModel

__all__ = ['SPARNetModel']


@register(MODELS)
class SPARNetModel(ExtSRModel):
    """Pixel-L1 SPARNet training with attention visuals.

    Args:
        generator: generator config (``name: SPARNet``).
        pixel_criterion: pixel loss config (Face-SPARNet: ``L1Loss``).
        attention_visuals: which attention maps become visuals: a list of
            unit indices into the list of maps (negative counts from the
            end), ``'all'``, or ``[]`` for none.
    """

    value_range = (-1., 1.)

    def __init__(self, generator, pixel_criterion=None,
                 attention_visuals=(-1, )):
        super().__init__(generator, pixel_criterion)
        if attention_visuals != 'all':
            try:
                attention_visuals = [int(k) for k in attention_visuals]
            except (TypeError, ValueError):
                raise ConfigError(
                    "attention_visuals: expected a list of map indices or "
                    f"'all', got {attention_visuals!r}")
        self.attention_visuals = attention_visuals
        self.attention_maps = []
        self.gt = None

    def setup_input(self, input):
        self.gt = None
        self.visual_items = collections.OrderedDict()
        super().setup_input(input)

    # -- visuals -------------------------------------------------------
    def _chosen_maps(self):
        n = len(self.attention_maps)
        if self.attention_visuals == 'all':
            return list(range(n))
        return sorted({k % n for k in self.attention_visuals
                       if -n <= k < n}) if n else []

    def _set_visuals(self, output, maps):
        self.output = output
        self.attention_maps = [m.astype('float32').detach() for m in maps]
        items = collections.OrderedDict()
        items['comparison'] = None  # first: the Trainer logs the first 4
        for key in ('lq', 'gt'):
            if key in self.visual_items:
                items[key] = self.visual_items[key]
        items['output'] = output
        lo, hi = self.value_range
        size = output.shape[-2:]
        for k in self._chosen_maps():
            att = self.attention_maps[k].mean(axis=1, keepdim=True)
            if list(att.shape[-2:]) != list(size):
                att = F.interpolate(att, size=size, mode='nearest')
            items[f'attention_{k}'] = lo + att * (hi - lo)
        # LR input | SR output | HR (if any) | last attention map shown
        strip = [self.lq.astype('float32'), output]
        if self.gt is not None:
            strip.append(self.gt.astype('float32'))
        atts = [k for k in items if k.startswith('attention_')]
        if atts:
            strip.append(items[atts[-1]].expand_as(output))
        items['comparison'] = paddle.concat(strip, axis=3)
        self.visual_items = items

    # -- training / evaluation -----------------------------------------
    def train_iter(self, optims=None):
        optim = optims['optim']
        optim.clear_grad()
        with self.amp.autocast():
            output, maps = self.nets['generator'](self.lq,
                                                  return_attention=True)
            loss_pixel = self.pixel_criterion(output.astype('float32'),
                                              self.gt)
        self.check_finite(loss_pixel=loss_pixel)
        self.losses['loss_pixel'] = loss_pixel
        self.amp.step(loss_pixel, optim)
        self._set_visuals(output.detach().astype('float32'), maps)

    def to_images(self, batch):
        """Tensor batch in ``value_range`` -> list of uint8 HWC RGB images."""
        return [tensor2img(x, self.value_range) for x in batch]

    def test_iter(self, metrics=None):
        net = self.nets['generator']
        was_training = net.training
        net.eval()
        with paddle.no_grad():
            output, maps = net(self.lq, return_attention=True)
        if was_training:
            net.train()
        self._set_visuals(output.astype('float32'), maps)
        if self.gt is None:
            if metrics and not getattr(self, '_warned_no_gt', False):
                logging.getLogger('ppgan').warning(
                    'evaluating inputs without ground truth (lr_only): '
                    'metrics are not computed; run with -o validate=null '
                    'to drop them')
                self._warned_no_gt = True
            return
        if metrics is None:
            return
        preds, gts = self.to_images(self.output), self.to_images(self.gt)
        for metric in metrics.values():
            metric.update(preds, gts)
