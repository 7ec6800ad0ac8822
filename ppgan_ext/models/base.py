"""The contract between the plugin's training models and ``ExtTrainer``.

Plugin models subclass ppgan's ``BaseModel`` (or ``BaseSRModel``) *and*
:class:`ExtModelMixin`, which declares every attribute and hook the Trainer,
the converter and the deploy tools rely on, each with its default. ppgan's
own models (ESRGAN, ``BaseSRModel``) do not have them; the Trainer treats
them as having the defaults (no AMP, ppgan's checkpoints and visuals).
"""
import math

from ..amp import Amp, NonFiniteLossError

__all__ = ['ExtModelMixin', 'NonFiniteLossError', 'unwrap', 'plugin_model']


def unwrap(net):
    """The network inside a ``paddle.DataParallel`` wrapper (or ``net``)."""
    return getattr(net, '_layers', net)


def plugin_model(model_cfg):
    """The :class:`ExtModelMixin` class ``model_cfg['name']`` names, or None
    (a ppgan model, or no such model)."""
    from ppgan.models.builder import MODELS
    cls = MODELS._obj_map.get((model_cfg or {}).get('name'))
    return cls if isinstance(cls, type) and issubclass(cls, ExtModelMixin) \
        else None


class ExtModelMixin:
    """What a plugin training model declares and provides.

    Class attributes:
        value_range: ``(low, high)`` of the pixels its nets take and give
            (``ppgan_ext.value_range``): every tool and the Trainer's images
            read it.
        supports_amp: ``train_iter`` goes through ``self.amp`` (autocast,
            scaled backward); else ``--amp`` is refused.
        handles_distributed: the model all-reduces its own gradients; the
            Trainer does not wrap its nets in ``paddle.DataParallel``.
        ema_nets: ``{ema net: live net}``: weights converted or loaded for a
            live net also go to its EMA copy; inference prefers the EMA.
        config_keys_consumed: ``{section: {keys}}`` the model reads from
            other config sections itself (for the config checker).

    Set by the Trainer with :meth:`bind_run`, before optimizers exist:
    ``amp`` (the run's :class:`~ppgan_ext.amp.Amp`, AMP-off until then) and
    ``output_dir`` (the run folder); ``current_iter`` before every
    ``train_iter`` (:meth:`set_current_iter`).
    """

    value_range = (0., 1.)
    supports_amp = True
    handles_distributed = False
    ema_nets = {}
    config_keys_consumed = {}
    output_dir = None
    current_iter = 0

    @property
    def amp(self):
        if '_amp' not in self.__dict__:
            self._amp = Amp()
        return self._amp

    def bind_run(self, amp=None, output_dir=None):
        """The run's AMP policy and folder (called once, before
        ``setup_optimizers``)."""
        self._amp = amp or Amp()
        self.output_dir = output_dir

    @classmethod
    def generator_config_for(cls, model_cfg, state):
        """The ``model.generator`` config that fits the generator weights
        ``state`` (default: the config's own; PGAN: as many scales as the
        weights hold)."""
        return dict(model_cfg['generator'])

    def set_current_iter(self, iteration):
        """Called by the Trainer before each ``train_iter`` (1-based)."""
        self.current_iter = int(iteration)

    # -- optimizers --------------------------------------------------------
    def setup_optimizers(self, lr, cfg):
        """:meth:`build_optimizers`, then the AMP O2 decoration (its one
        home: :meth:`decorate_for_amp`)."""
        self.build_optimizers(lr, cfg)
        self.decorate_for_amp()
        return self.optimizers

    def build_optimizers(self, lr, cfg):
        """Fill ``self.optimizers`` (default: ppgan's ``BaseModel``)."""
        return super().setup_optimizers(lr, cfg)

    def decorate_for_amp(self):
        """With AMP O2, cast :meth:`amp_nets` to low precision and give the
        optimizers master weights, in place."""
        if self.optimizers:
            self.amp.decorate(self.amp_nets(), self.optimizers)

    def amp_nets(self):
        """The nets AMP O2 casts (default: all, EMA copies included)."""
        return self.nets

    # -- losses ------------------------------------------------------------
    def check_finite(self, **losses):
        """Raise :class:`NonFiniteLossError` listing the terms if any is
        NaN/Inf (with AMP on, the scaler skips such steps instead)."""
        if self.amp.enabled:
            return  # no host sync: the scaler skips such steps itself
        values = {k: float(v) for k, v in losses.items()}
        if all(math.isfinite(v) for v in values.values()):
            return
        terms = ', '.join(f'{k}={v:.4g}' for k, v in values.items())
        raise NonFiniteLossError(f'non-finite loss: {terms}')

    # -- checkpoints and evaluation -----------------------------------------
    def prepare_to_load(self, net_name, state):
        """Called before ``state`` is checked against and loaded into
        ``self.nets[net_name]`` (``--load``, ``--resume``): a model whose
        nets change shape (PGAN grows) makes them fit here."""

    def extra_state(self):
        """State beyond nets and optimizers (schedules, counters) as plain
        Python/numpy values, saved in training checkpoints."""
        return {}

    def set_extra_state(self, state):
        """Restore :meth:`extra_state` (``--resume``, before the nets)."""

    def validation_visuals(self):
        """Images the Trainer logs to VisualDL after a validation (default:
        the last batch's visuals)."""
        return self.get_current_visuals()
