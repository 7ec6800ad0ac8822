"""Mixed precision (auto_cast + loss scaling) shared by every plugin model.

Config (top-level ``amp:`` section, or ``--amp O1|O2`` on the command line)::

    amp:
      level: O2          # off | O1 | O2
      dtype: float16     # float16 | bfloat16
      loss_scale: 128    # a number = static scaling (the Ascend SPARNet port
                         # used O2 with 128), or 'dynamic'
      init_loss_scale: 32768    # start value for dynamic scaling

A model's ``train_iter`` does::

    with self.amp.autocast():
        loss = ...
    self.amp.step(loss, optimizer, 'G')   # scale, backward, unscale, step

``step`` returns False when the scaler skipped the step because gradients
overflowed (dynamic scaling then lowers the scale). Without loss scaling a
non-finite gradient raises :class:`NonFiniteLossError` before the step, so
the weights (and any checkpoint written later) never take it.

Paddle's auto_cast is a no-op on CPU (every op stays float32), so AMP on a
CPU device is refused with :class:`AmpError` rather than pretending.
"""
import contextlib

import paddle

from .errors import UserError

__all__ = ['Amp', 'AmpError', 'LEVELS', 'NonFiniteLossError',
           'check_finite_gradients', 'optimizer_parameters']

LEVELS = ('off', 'O1', 'O2')
_DTYPES = ('float16', 'bfloat16')


class AmpError(UserError, ValueError):
    """Invalid AMP settings, or AMP asked for where it would do nothing."""


class NonFiniteLossError(UserError, FloatingPointError):
    """A loss or gradient became NaN/Inf: training stops before the bad
    step is taken or saved."""


def optimizer_parameters(optimizer):
    """The parameters an optimizer updates, in its order (flattening
    parameter groups)."""
    params = []
    for entry in optimizer._parameter_list or []:
        params.extend(entry['params'] if isinstance(entry, dict) else [entry])
    return params


def check_finite_gradients(optimizer, name):
    """Raise :class:`NonFiniteLossError` naming the first parameter whose
    gradient has a NaN/Inf (one fused reduction when all are finite)."""
    params = [p for p in optimizer_parameters(optimizer)
              if p.grad is not None]
    if not params:
        return
    total = paddle.add_n([p.grad.astype('float32').sum() for p in params])
    if bool(paddle.isfinite(total)):
        return
    bad = next((p.name for p in params
                if not bool(paddle.isfinite(p.grad).all())), '?')
    raise NonFiniteLossError(f"non-finite gradient for optimizer '{name}' "
                             f'(first: parameter {bad})')


class Amp:
    """Mixed-precision policy: autocast context, loss scalers, O2 decoration."""

    def __init__(self, level='off', dtype='float16', loss_scale='dynamic',
                 init_loss_scale=2.0**15):
        level = 'off' if level in (None, False, 'off', 'OFF', 'O0') else level
        if level not in LEVELS:
            raise AmpError(f"amp.level: '{level}' is not one of {LEVELS}")
        if dtype not in _DTYPES:
            raise AmpError(f"amp.dtype: '{dtype}' is not one of {_DTYPES}")
        if loss_scale != 'dynamic':
            try:
                loss_scale = float(loss_scale)
            except (TypeError, ValueError):
                raise AmpError(f"amp.loss_scale: '{loss_scale}' must be a "
                               "number (static scaling) or 'dynamic'")
            if loss_scale <= 0:
                raise AmpError(f'amp.loss_scale: {loss_scale} must be > 0')
        self.level, self.dtype = level, dtype
        self.loss_scale, self.init_loss_scale = loss_scale, init_loss_scale
        self._scalers = {}

    @classmethod
    def from_config(cls, cfg):
        """Build from a config ``amp`` section (dict or None)."""
        cfg = dict(cfg or {})
        known = {'level', 'dtype', 'loss_scale', 'init_loss_scale'}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise AmpError(f'amp: unknown key(s) {unknown}; expected '
                           f'{sorted(known)}')
        return cls(**cfg)

    @property
    def enabled(self):
        return self.level != 'off'

    def check_device(self, place=None):
        """Refuse AMP on a device where Paddle's auto_cast does nothing."""
        place = place or paddle.device.get_device()
        if self.enabled and place.split(':')[0] == 'cpu':
            raise AmpError(
                f'--amp {self.level}: mixed precision is not available on '
                'the CPU (Paddle runs every op in float32 there, so this '
                'would silently train in fp32). Use --amp off on CPU, or a '
                'gpu/npu/xpu device.')

    def decorate(self, nets, optimizers):
        """For O2, cast nets to low precision and give optimizers master weights.

        ``nets`` and ``optimizers`` are the model's name->object dicts; they
        are updated in place.
        """
        if self.level != 'O2':
            return
        names, opt_names = list(nets), list(optimizers)
        models, opts = paddle.amp.decorate(
            models=[nets[n] for n in names],
            optimizers=[optimizers[n] for n in opt_names] or None,
            level='O2', dtype=self.dtype, master_weight=True)
        for n, m in zip(names, models if isinstance(models, list) else
                        [models]):
            nets[n] = m
        if opt_names:
            for n, o in zip(opt_names, opts if isinstance(opts, list) else
                            [opts]):
                optimizers[n] = o

    def autocast(self):
        """Context manager for the forward pass (a no-op when AMP is off)."""
        if not self.enabled:
            return contextlib.nullcontext()
        return paddle.amp.auto_cast(level=self.level, dtype=self.dtype)

    def scaler_kwargs(self):
        """Arguments of ``paddle.amp.GradScaler`` for this policy (bfloat16
        has float32's range and needs no loss scaling)."""
        dynamic = self.loss_scale == 'dynamic'
        return dict(enable=self.enabled and self.dtype == 'float16',
                    init_loss_scaling=(self.init_loss_scale
                                       if dynamic else self.loss_scale),
                    use_dynamic_loss_scaling=dynamic)

    def scaler(self, name='default'):
        """The loss scaler of one optimizer (GANs keep one per network)."""
        if name not in self._scalers:
            self._scalers[name] = paddle.amp.GradScaler(
                **self.scaler_kwargs())
        return self._scalers[name]

    def backward(self, loss, name='default'):
        """Backward of the (scaled) loss; pair with :meth:`apply`."""
        scaler = self.scaler(name)
        (scaler.scale(loss) if scaler.is_enable() else loss).backward()

    def apply(self, optimizer, name='default'):
        """Unscale, step (unless gradients overflowed) and update the scale.

        Returns True if the optimizer stepped.
        """
        scaler = self.scaler(name)
        if not scaler.is_enable():
            check_finite_gradients(optimizer, name)
            optimizer.step()
            return True
        scaler.step(optimizer)
        skipped = bool(getattr(scaler, '_found_inf', False))
        scaler.update()
        return not skipped

    def step(self, loss, optimizer, name='default'):
        """``backward`` then ``apply``; returns True if the step was taken."""
        self.backward(loss, name)
        return self.apply(optimizer, name)

    def state_dict(self):
        return {n: s.state_dict() for n, s in self._scalers.items()
                if s.is_enable()}

    def set_state_dict(self, state):
        for n, s in (state or {}).items():
            self.scaler(n).load_state_dict(s)
