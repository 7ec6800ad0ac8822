"""What every plugin training model shares: AMP hookup and the NaN guard.

Plugin models subclass ppgan's ``BaseModel`` (or ``BaseSRModel``) *and*
:class:`ExtModelMixin`. The Trainer (``ExtTrainer``) sets ``model.amp`` to
the run's :class:`~ppgan_ext.amp.Amp`; until then it is AMP-off. Models that
keep state outside ``nets``/``optimizers`` (schedules, counters) override
``extra_state``/``set_extra_state`` with plain Python/numpy values, which
the Trainer stores in the checkpoint.
"""
import math

from ..amp import Amp, NonFiniteLossError

__all__ = ['ExtModelMixin', 'NonFiniteLossError', 'unwrap']


def unwrap(net):
    """The network inside a ``paddle.DataParallel`` wrapper (or ``net``)."""
    return getattr(net, '_layers', net)


class ExtModelMixin:
    """AMP-aware training helpers for plugin models."""

    supports_amp = True

    @property
    def amp(self):
        if '_amp' not in self.__dict__:
            self._amp = Amp()
        return self._amp

    @amp.setter
    def amp(self, value):
        self._amp = value

    def check_finite(self, **losses):
        """Raise :class:`NonFiniteLossError` listing the terms if any is
        NaN/Inf (with AMP on, the scaler skips such steps instead)."""
        values = {k: float(v) for k, v in losses.items()}
        if all(math.isfinite(v) for v in values.values()):
            return
        if self.amp.enabled:
            return
        terms = ', '.join(f'{k}={v:.4g}' for k, v in values.items())
        raise NonFiniteLossError(
            f'iteration {getattr(self, "current_iter", "?")}: non-finite '
            f'loss: {terms}')

    def set_current_iter(self, iteration):
        """Called by the Trainer before each ``train_iter`` (1-based)."""
        self.current_iter = int(iteration)

    def prepare_to_load(self, net_name, state):
        """Called before ``state`` is checked against and loaded into
        ``self.nets[net_name]`` (``--load``, ``--resume``): a model whose
        nets change shape (PGAN grows) makes them fit here."""

    def validation_visuals(self):
        """Images the Trainer logs to VisualDL after a validation (default:
        the last batch's visuals)."""
        return self.get_current_visuals()

    def extra_state(self):
        return {}

    def set_extra_state(self, state):
        pass
