"""Learning-rate schedules that ppgan lacks, registered into its LRSCHEDULERS.

ppgan's Trainer steps the scheduler once per iteration, so its
``MultiStepDecay`` milestones count iterations. Reference trainings that
step PyTorch's ``MultiStepLR`` once per epoch (RDN's seed repository:
milestones 50/75/100 epochs) depend on the dataset size that way; here the
milestones are given in epochs and converted with ``iters_per_epoch``, which
the Trainer fills in from the training loader.
"""
from paddle.optimizer.lr import MultiStepDecay
from ppgan.solver.builder import LRSCHEDULERS

from .config import ConfigError
from .registry import register

__all__ = ['EpochMultiStepDecay']


@register(LRSCHEDULERS)
class EpochMultiStepDecay(MultiStepDecay):
    """``learning_rate * gamma**k`` after the k-th of ``milestones`` epochs.

    Iteration i (1-based) of epoch e = ceil(i / iters_per_epoch) uses the
    rate of the milestones ``< e``, as PyTorch's ``MultiStepLR`` stepped at
    the end of every epoch: with milestone 50, epoch 51 is the first at the
    lower rate.

    Args:
        learning_rate: initial rate.
        milestones: increasing epoch numbers.
        gamma: factor applied at each milestone.
        iters_per_epoch: iterations per epoch; the Trainer sets it when the
            config has the key (write ``iters_per_epoch: 1``), so it is
            required: without it the milestones would count iterations.
    """

    def __init__(self, learning_rate, milestones, gamma=0.1,
                 iters_per_epoch=None, last_epoch=-1):
        if iters_per_epoch is None:
            raise ConfigError(
                'lr_scheduler: EpochMultiStepDecay needs the key '
                'iters_per_epoch (any value, e.g. 1: the Trainer fills in '
                'the epoch length)')
        if not isinstance(iters_per_epoch, int) or iters_per_epoch < 1:
            raise ConfigError(f'lr_scheduler.iters_per_epoch='
                              f'{iters_per_epoch!r} must be a positive int')
        super().__init__(learning_rate,
                         [int(m) * iters_per_epoch for m in milestones],
                         gamma, last_epoch)
