"""ppgan's Trainer with the pieces it lacks for the plugin's users.

ppgan 2.1.0's ``Trainer`` runs the loop; this subclass keeps that loop and
fixes or adds, each in the method that owns it:

* VisualDL: ppgan logs losses at a step counter that never advances
  (``global_steps`` stays 0), from every rank into one file, and never logs
  the learning rate, validation metrics or validation images. Here rank 0
  writes all four at the iteration.
* Validation: ppgan leaves the model in eval mode after mid-training
  validation and only logs metric values; here the mode is restored and the
  values are kept in ``last_metrics``.
* AMP: the run's :class:`~ppgan_ext.amp.Amp` is given to the model
  (``model.amp``); plugin models use it in ``train_iter``. ppgan's own
  models (ESRGAN, BaseSRModel) have no AMP path, so asking for it there is
  refused instead of being ignored.
* Training always ends with a validation and a checkpoint of its last
  iteration.
* Checkpoints are written atomically and read safely (see ``checkpoint``);
  model state beyond ``nets`` (EMA bookkeeping, PGAN schedule, AMP scalers)
  is saved and restored through ``model.extra_state()`` /
  ``model.set_extra_state()`` when the model provides them.
* ``--resume`` continues exactly: ppgan's resume restarts the data order and
  the augmentation random stream and never restores the random generators;
  here the training loader is position- and seed-addressed
  (``resumable_loader``), and the generators and the optimizers' parameter
  names are saved with every checkpoint (``run_state``). A run resumed
  from iteration k ends bit-identical to one that never stopped.
* A non-finite loss or gradient stops training with the iteration and the
  loss terms, before anything is saved.
"""
import contextlib
import math
import os
import random

import paddle
from ppgan.datasets.builder import build_dataloader
from ppgan.engine.trainer import Trainer
from ppgan.utils.visual import tensor2img

from ..amp import Amp, AmpError, NonFiniteLossError
from ..progress import logs_above_bars, progress
from .checkpoint import load_checkpoint, save_checkpoint
from .resumable_loader import make_resumable
from .run_state import (capture_rng, optimizer_param_names,
                        rename_optimizer_state, restore_rng)

__all__ = ['ExtTrainer']


class ExtTrainer(Trainer):
    """ppgan ``Trainer`` + VisualDL metrics/images, AMP, safe checkpoints."""

    def __init__(self, cfg, amp=None, seed=None):
        if paddle.distributed.get_rank() != 0:
            # ppgan opens a VisualDL writer on every rank; they collide in
            # one log file and every scalar appears once per rank.
            cfg['enable_visualdl'] = False
        super().__init__(cfg)
        self.model.output_dir = self.output_dir
        self.amp = amp or Amp()
        self.last_metrics = {}
        if self.amp.enabled and not getattr(self.model, 'supports_amp',
                                            False):
            raise AmpError(
                f'--amp {self.amp.level}: model {type(self.model).__name__} '
                "is ppgan's own and has no mixed-precision path; use "
                '--amp off for it')
        self.model.amp = self.amp
        self.last_checkpoint = None
        self._tell_model_the_iteration()
        if cfg.is_train:
            # the seed of the augmentation stream; saved in checkpoints
            self.data_seed = (int(seed) if seed is not None else
                              random.SystemRandom().randrange(2**31))
            self.train_dataloader = make_resumable(self.train_dataloader,
                                                   self.data_seed)
        if cfg.is_train and self.amp.level == 'O2':
            self.amp.decorate(self.model.nets, self.optimizers)

    def distributed_data_parallel(self):
        # ppgan wraps every net in paddle.DataParallel, which refuses nets
        # with nothing to train (EMA copies). Models that all-reduce their
        # own gradients (``handles_distributed``, e.g. PGAN whose growing
        # layers a DataParallel reducer cannot follow) are left unwrapped.
        if not paddle.distributed.is_initialized():  # run_setup may have
            paddle.distributed.init_parallel_env()
        if getattr(self.model, 'handles_distributed', False):
            return
        unused = self.cfg.get('find_unused_parameters', False)
        for name, net in self.model.nets.items():
            if any(not p.stop_gradient for p in net.parameters()):
                self.model.nets[name] = paddle.DataParallel(
                    net, find_unused_parameters=unused)

    def _tell_model_the_iteration(self):
        # ppgan's loop calls model.train_iter(optimizers) without the
        # iteration; plugin models need it (schedules, error messages).
        # Afterwards the losses are checked here too, for ppgan's own
        # models (ESRGAN) that never check them.
        train_iter = self.model.train_iter

        def train_iter_at_current(optimizers=None):
            self.model.current_iter = self.current_iter
            try:
                result = train_iter(optimizers)
            except NonFiniteLossError as e:
                raise NonFiniteLossError(self._non_finite_message(e)) from None
            losses = self.model.get_current_losses()
            if not self.amp.enabled and not all(
                    math.isfinite(float(v)) for v in losses.values()):
                raise NonFiniteLossError(self._non_finite_message())
            return result

        self.model.train_iter = train_iter_at_current

    def _non_finite_message(self, cause=None):
        if cause is None:  # checked here: list this iteration's losses
            losses = ', '.join(f'{k}={float(v):.4g}' for k, v in
                               self.model.get_current_losses().items())
            cause = f'non-finite loss: {losses}'
        what = str(cause)
        if f'iteration {self.current_iter}' not in what:
            what = f'iteration {self.current_iter}: {what}'
        kept = (f'the last checkpoint, {self.last_checkpoint}, is untouched'
                if self.last_checkpoint else 'no checkpoint was written yet')
        return f'{what}. Training stopped; {kept}.'

    # -- logging -------------------------------------------------------
    def print_log(self):
        # ppgan takes the epoch from its data iterator, which restarts at 1
        # after --resume, and shows the last iteration of an epoch as 0
        epoch, inner = divmod(self.current_iter - 1, self.iters_per_epoch)
        self.current_epoch, self.inner_iter = epoch + 1, inner + 1
        self.global_steps = self.current_iter
        super().print_log()
        if self.enable_visualdl:
            self.vdl_logger.add_scalar('lr', self.current_learning_rate,
                                       step=self.current_iter)

    def _log_validation_images(self, step):
        visuals = self.model.get_current_visuals()
        min_max = self.cfg.get('min_max', None) or (-1., 1.)
        for label, image in list(visuals.items())[:4]:
            if image.ndim == 4:
                image = image[0]
            self.vdl_logger.add_image(f'val/{label}',
                                      tensor2img(image, min_max), step=step,
                                      dataformats='HWC')

    def test(self):
        with self._validation_progress():
            super().test()
        step = self.current_iter if self.cfg.is_train else 0
        self.last_metrics = {
            name: float(metric.accumulate())
            for name, metric in (self.metrics or {}).items()
        }
        if self.enable_visualdl:
            for name, value in self.last_metrics.items():
                self.vdl_logger.add_scalar(f'metrics/{name}', value,
                                           step=step)
            self._log_validation_images(step)
        if self.cfg.is_train:
            self.model.setup_train_mode(is_train=True)
        return self.last_metrics

    @contextlib.contextmanager
    def _validation_progress(self):
        """A progress bar over ppgan's test loop: its loader is swapped
        for one that advances the bar as each batch is taken."""
        if not hasattr(self, 'test_dataloader'):  # as ppgan's test() does
            self.test_dataloader = build_dataloader(self.cfg.dataset.test,
                                                    is_train=False)
        loader = self.test_dataloader
        total = min(len(loader), self.max_eval_steps or len(loader))
        with progress(total=total, desc='validation', unit='batch') as bar, \
                logs_above_bars('ppgan'):
            self.test_dataloader = _AdvancingLoader(loader, bar)
            try:
                yield
                bar.update(total - bar.n)
            finally:
                self.test_dataloader = loader

    def train(self):
        """ppgan's loop; then, if the last iteration was not on an interval,
        a final validation and checkpoint (ppgan would skip both)."""
        super().train()
        last = self.current_iter = self.current_iter - 1
        if last < 1:
            return
        if self.validate_interval > 0 and last % self.validate_interval:
            self.test()
        if last % self.weight_interval:
            self.save(last, 'weight', keep=-1)
            self.save(last)

    # -- checkpoints ---------------------------------------------------
    def _checkpoint_path(self, step, name):
        if self.by_epoch:
            return os.path.join(
                self.output_dir,
                f'epoch_{step // self.iters_per_epoch}_{name}.pdparams')
        return os.path.join(self.output_dir, f'iter_{step}_{name}.pdparams')

    def save(self, epoch, name='checkpoint', keep=1):
        # global rank: with several nodes, every node's local rank 0 would
        # otherwise write the same files
        if paddle.distributed.get_rank() != 0:
            return
        if name not in ('checkpoint', 'weight'):
            raise ValueError(f"checkpoint kind must be 'checkpoint' or "
                             f"'weight', got '{name}'")
        state = {n: net.state_dict() for n, net in self.model.nets.items()}
        if name == 'checkpoint':
            state['epoch'] = epoch
            for n, opt in self.model.optimizers.items():
                state[n] = opt.state_dict()
            extra = getattr(self.model, 'extra_state', None)
            if extra is not None:
                state['model_extra'] = extra()
            if self.amp.enabled:
                state['amp_scalers'] = self.amp.state_dict()
            state['run_state'] = self._run_state()
        path = self._checkpoint_path(epoch, name)
        save_checkpoint(state, path)
        if name == 'checkpoint':
            self.last_checkpoint = path
        keep = self.cfg.snapshot_config.get('keep_checkpoints', keep)
        if name == 'checkpoint' and keep > 0:
            old = self._checkpoint_path(epoch - keep * self.weight_interval,
                                        name)
            if old != path and os.path.exists(old):
                os.remove(old)

    def _run_state(self):
        return {'rng': capture_rng(),
                'data_seed': getattr(self, 'data_seed', None),
                'optimizer_params': {
                    n: optimizer_param_names(opt)
                    for n, opt in self.model.optimizers.items()}}

    def resume(self, checkpoint_path):
        state = load_checkpoint(checkpoint_path)
        missing = [n for n in list(self.model.nets) +
                   list(self.model.optimizers) if n not in state]
        if missing or 'epoch' not in state:
            raise ValueError(
                f'{checkpoint_path}: not a training checkpoint of this '
                f'model (missing {missing or ["epoch"]}); pass weight files '
                'to --load instead')
        set_extra = getattr(self.model, 'set_extra_state', None)
        if set_extra is not None and 'model_extra' in state:
            set_extra(state['model_extra'])
        done = state['epoch']
        self.current_iter = done + 1
        self.global_steps = done
        self.start_epoch = (done // self.iters_per_epoch) + 1
        for n, net in self.model.nets.items():
            net.set_state_dict(state[n])
        run_state = state.get('run_state') or {}
        saved_params = run_state.get('optimizer_params', {})
        for n, opt in self.model.optimizers.items():
            opt_state = state[n]
            if n in saved_params:
                opt_state = rename_optimizer_state(
                    opt_state, saved_params[n], opt,
                    f'{checkpoint_path}: optimizer {n}')
            opt.set_state_dict(opt_state)
        self.amp.set_state_dict(state.get('amp_scalers'))
        self.last_checkpoint = checkpoint_path
        if run_state.get('data_seed') is not None and \
                hasattr(self, 'train_dataloader'):
            self.data_seed = int(run_state['data_seed'])
            self.train_dataloader.dataset.seed = self.data_seed
        if hasattr(self, 'train_dataloader'):
            self.train_dataloader.batch_sampler.seek(done)
        if 'rng' in run_state:
            # last: growing PGAN's nets above drew from the generators
            restore_rng(run_state['rng'])

    def load(self, weight_path):
        state = load_checkpoint(weight_path)
        nets = self.model.nets
        found = [n for n in nets if n in state]
        if not found:
            raise ValueError(
                f'{weight_path}: holds weights for {sorted(state)} but this '
                f'model has nets {sorted(nets)}; nothing would be loaded')
        for n in found:
            result = nets[n].set_state_dict(state[n])
            self.logger.info(f'Loaded weights for net {n}')
            missing = (result[0] if isinstance(result, tuple) else [])
            if missing:
                raise ValueError(f'{weight_path}: net {n} is missing '
                                 f'{len(missing)} key(s), e.g. {missing[:5]}')
        for n in nets:
            if n not in state:
                self.logger.warning(f'{weight_path}: no weights for net {n}')


class _AdvancingLoader:
    """``loader``, advancing ``bar`` once a batch has been used."""

    def __init__(self, loader, bar):
        self.loader, self.bar = loader, bar

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            yield batch
            self.bar.update()
