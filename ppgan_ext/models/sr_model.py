"""Single-image SR training model with mixed precision and a NaN guard.

ppgan's ``BaseSRModel`` is kept for everything it does (building the
generator and pixel criterion, ``setup_input``, metrics in ``test_iter``);
its ``train_iter`` has no AMP and no check for non-finite losses, so this
subclass replaces that one method. RDN and SPARNet train through it.
"""
from ppgan.models.builder import MODELS
from ppgan.models.sr_model import BaseSRModel

from ..registry import register
from .base import ExtModelMixin

__all__ = ['ExtSRModel']


@register(MODELS)
class ExtSRModel(ExtModelMixin, BaseSRModel):
    """``BaseSRModel`` + ``--amp`` + NaN/Inf guard (same config keys)."""

    value_range = (0., 1.)  # as BaseSRModel.test_iter's tensor2img

    def train_iter(self, optims=None):
        optim = optims['optim']
        optim.clear_grad()
        with self.amp.autocast():
            self.output = self.nets['generator'](self.lq)
            loss_pixel = self.pixel_criterion(self.output, self.gt)
        self.visual_items['output'] = self.output
        self.check_finite(loss_pixel=loss_pixel)
        self.losses['loss_pixel'] = loss_pixel
        self.amp.step(loss_pixel, optim)
