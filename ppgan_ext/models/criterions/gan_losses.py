"""Discriminator feature matching (pix2pixHD / SPARNetHD).

The adversarial terms themselves come from ppgan's ``GANLoss`` (its
``'hinge'`` mode is the hinge loss SPARNetHD trains with: the discriminator
minimises ``relu(1 - D(real)) + relu(1 + D(fake))``, the generator
``-D(fake)``); ppgan has no feature-matching criterion, hence this one.
"""
from ppgan.models.criterions.builder import CRITERIONS
import paddle.nn.functional as F

from ...registry import register

__all__ = ['FeatureMatchingLoss']


@register(CRITERIONS)
class FeatureMatchingLoss:
    """L1 distance between discriminator features of fake and real images.

    ``loss_weight * mean_over_scales(sum_over_layers(L1(fake_k, real_k)))``;
    the real features are detached (they are targets).

    Args:
        loss_weight: overall weight (SPARNetHD: 10).
    """

    def __init__(self, loss_weight=1.0):
        self.loss_weight = loss_weight

    def __call__(self, fake_features, real_features):
        """Both arguments: one list of feature maps per discriminator scale."""
        if len(fake_features) != len(real_features) or not fake_features:
            raise ValueError(
                f'feature matching: {len(fake_features)} fake vs '
                f'{len(real_features)} real scales (need the same, >= 1)')
        total = 0.
        for fake_scale, real_scale in zip(fake_features, real_features):
            for fake, real in zip(fake_scale, real_scale):
                total = total + F.l1_loss(fake, real.detach())
        return total * (self.loss_weight / len(fake_features))
