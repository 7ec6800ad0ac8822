"""ppgan's Trainer with the pieces it lacks for the plugin's users.

ppgan 2.1.0's ``Trainer`` builds the model, data, metrics, schedulers and
optimizers; this subclass keeps all of that and runs the training loop
itself (ppgan's loop has no place to pass the iteration, check the losses or
stop cleanly), fixing or adding, each in the method that owns it:

* The loop: the same order as ppgan's (input, ``train_iter``, log, train
  visuals, lr step, validation, checkpoint); the model is told the
  iteration (``set_current_iter``), every model's losses are checked for
  NaN/Inf after each iteration (ppgan's own models never check them), and
  a Ctrl-C stops it at the end of the running iteration with a checkpoint
  (:class:`TrainingInterrupted`). Training always ends with a validation
  and a checkpoint of its last iteration.
* Pixel range: the model declares it (``value_range``); ppgan's image
  writer reads ``cfg.min_max``, which is set from it.
* VisualDL: ppgan logs losses at a step counter that never advances
  (``global_steps`` stays 0), from every rank into one file, and never logs
  the learning rate, validation metrics or validation images. Here rank 0
  writes all four at the iteration, with every validation visual the model
  produces (``validation_visuals``).
* Validation: ppgan leaves the model in eval mode after mid-training
  validation and only logs metric values; here the mode is restored and the
  values are kept in ``last_metrics``.
* AMP: the run's :class:`~ppgan_ext.amp.Amp` is given to the model
  (``model.amp``); plugin models use it in ``train_iter``. ppgan's own
  models (ESRGAN, BaseSRModel) have no AMP path, so asking for it there is
  refused instead of being ignored.
* Checkpoints are written atomically and read safely (see ``checkpoint``);
  weights that do not fit a net are refused naming the keys, instead of
  Paddle's partial load; model state beyond ``nets`` (EMA bookkeeping, PGAN
  schedule, AMP scalers) is saved and restored through
  ``model.extra_state()`` / ``model.set_extra_state()``. The newest
  ``snapshot_config.keep_checkpoints`` checkpoints of the run are kept,
  whatever their iterations.
* ``--resume`` continues exactly: ppgan's resume restarts the data order and
  the augmentation random stream and never restores the random generators;
  here the training loader is position- and seed-addressed
  (``resumable_loader``), and the generators and the optimizers' parameter
  names are saved with every checkpoint (``run_state``). A run resumed
  from iteration k ends bit-identical to one that never stopped.
"""
import contextlib
import glob
import logging
import math
import os
import random
import re
import signal
import threading
import time

import paddle
from paddle.distributed import ParallelEnv
from ppgan.datasets.builder import build_dataloader
from ppgan.engine.trainer import IterLoader, Trainer
from ppgan.models.builder import build_model
from ppgan.utils.profiler import add_profiler_step
from ppgan.utils.timer import TimeAverager
from ppgan.utils.visual import tensor2img

from ..amp import Amp, AmpError, NonFiniteLossError
from ..config import config_section
from ..datasets.base import DatasetError
from ..errors import UserError
from ..io.checkpoint import check_state_fits, load_checkpoint, save_checkpoint
from ..models.base import ExtModelMixin
from ..progress import logs_above_bars, progress
from ..value_range import resolve_value_range
from .resumable_loader import make_resumable
from .run_state import (capture_rng, optimizer_param_names,
                        rename_optimizer_state, restore_rng)

__all__ = ['ExtTrainer', 'TrainingInterrupted', 'NotATrainingCheckpoint',
           'WeightsForAnotherModel', 'read_training_checkpoint']


class TrainingInterrupted(Exception):
    """Ctrl-C stopped training after ``iteration``; ``checkpoint`` holds it
    (None when the second Ctrl-C stopped it before it could be saved)."""

    def __init__(self, iteration, checkpoint):
        super().__init__(f'interrupted at iteration {iteration}')
        self.iteration, self.checkpoint = iteration, checkpoint


class NotATrainingCheckpoint(UserError, ValueError):
    """``--resume`` was given a file that cannot continue this model."""


class WeightsForAnotherModel(UserError, ValueError):
    """``--load`` was given weights of none of the model's nets."""


def read_training_checkpoint(path, net_names=None, optimizer_names=None):
    """Load ``path`` and check it is a training checkpoint (with nets,
    optimizers and the iteration) before anything is built."""
    state = load_checkpoint(path)
    missing = [n for n in list(net_names or []) + list(optimizer_names or [])
               if n not in state]
    if 'epoch' not in state or missing:
        kind = ('a weights file (nets only)' if 'epoch' not in state
                else f'a checkpoint without {missing}')
        raise NotATrainingCheckpoint(
            f'--resume {path}: this is {kind}, not a training checkpoint of '
            'this model; resume from an iter_N_checkpoint.pdparams, or '
            'start from these weights with --load')
    return state


class _InterruptFlag:
    """First Ctrl-C: finish the running iteration, then stop and save.
    Second Ctrl-C: stop at once (KeyboardInterrupt)."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.raised:
            raise KeyboardInterrupt
        self.raised = True
        print('\nCtrl-C: stopping after this iteration (a checkpoint is '
              'saved); press Ctrl-C again to stop now', flush=True)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def agreed(self):
        """True if any rank was interrupted (every rank stops together)."""
        if paddle.distributed.get_world_size() < 2:
            return self.raised
        flag = paddle.to_tensor([int(self.raised)], dtype='int32')
        paddle.distributed.all_reduce(flag, op=paddle.distributed.ReduceOp.MAX)
        return bool(int(flag.numpy()[0]))


_CHECKPOINT_NAME = re.compile(r'(?:iter|epoch)_(\d+)_checkpoint\.pdparams$')


class ExtTrainer(Trainer):
    """ppgan ``Trainer`` + own loop, VisualDL metrics/images, AMP, safe
    checkpoints."""

    def __init__(self, cfg, amp=None, seed=None):
        # ppgan's constructor, in its order, with the model given its run
        # context (AMP policy, output folder) before optimizers exist
        self.logger = logging.getLogger('ppgan.engine.trainer')
        self.cfg = cfg
        self.output_dir = cfg.output_dir
        self.max_eval_steps = cfg.model.get('max_eval_steps', None)
        self.local_rank = ParallelEnv().local_rank
        self.world_size = ParallelEnv().nranks
        self.log_interval = cfg.log_config.interval
        self.visual_interval = cfg.log_config.visiual_interval
        self.weight_interval = cfg.snapshot_config.interval
        self.start_epoch = self.current_epoch = 1
        self.current_iter = self.inner_iter = 1
        self.batch_id = self.global_steps = 0
        self.last_metrics, self.last_checkpoint = {}, None
        self.amp = amp or Amp()
        self.value_range = resolve_value_range(cfg)
        cfg['min_max'] = self.value_range  # read by ppgan's visual()

        with config_section('model'):
            self.model = build_model(cfg.model)
        if isinstance(self.model, ExtModelMixin):
            self.model.bind_run(amp=self.amp, output_dir=self.output_dir)
        elif self.amp.enabled:
            raise AmpError(
                f'--amp {self.amp.level}: model {type(self.model).__name__} '
                "is ppgan's own and has no mixed-precision path; use "
                '--amp off for it')
        if self.world_size > 1:
            self.distributed_data_parallel()

        validate = cfg.get('validate') or {}
        with config_section('validate.metrics'):
            self.metrics = (self.model.setup_metrics(validate['metrics'])
                            if 'metrics' in validate else None)
        self.is_save_img = validate.get('save_img', True)
        # ppgan opens a VisualDL writer on every rank; they would collide in
        # one log file with every scalar once per rank
        self.enable_visualdl = (cfg.get('enable_visualdl', False) and
                                paddle.distributed.get_rank() == 0)
        if self.enable_visualdl:
            import visualdl
            self.vdl_logger = visualdl.LogWriter(logdir=cfg.output_dir)
        if cfg.is_train:
            self._set_up_training(cfg, seed)

    def _set_up_training(self, cfg, seed):
        with config_section('dataset.train'):
            loader = build_dataloader(cfg.dataset.train)
        self.iters_per_epoch = len(loader)
        if self.iters_per_epoch == 0:
            raise DatasetError(
                f'dataset.train: {len(loader.dataset)} sample(s), fewer than '
                f"batch_size={cfg.dataset.train.get('batch_size', 1)}: no "
                'full batch to train on; add data or lower '
                'dataset.train.batch_size')
        # the seed of the augmentation stream; saved in checkpoints
        self.data_seed = (int(seed) if seed is not None else
                          random.SystemRandom().randrange(2**31))
        self.train_dataloader = make_resumable(loader, self.data_seed)
        if 'iters_per_epoch' in cfg.get('lr_scheduler', {}):
            cfg.lr_scheduler.iters_per_epoch = self.iters_per_epoch
        self.lr_schedulers = self.model.setup_lr_schedulers(cfg.lr_scheduler)
        self.optimizers = self.model.setup_optimizers(self.lr_schedulers,
                                                      cfg.optimizer)
        self.epochs = cfg.get('epochs', None)
        self.by_epoch = bool(self.epochs)
        if self.by_epoch:
            self.total_iters = self.epochs * self.iters_per_epoch
            self.weight_interval *= self.iters_per_epoch
        else:
            self.total_iters = cfg.total_iters
        self.validate_interval = (cfg.validate.get('interval', -1)
                                  if cfg.get('validate') is not None else -1)
        self.model.set_total_iter(self.total_iters)
        self.profiler_options = cfg.profiler_options

    def distributed_data_parallel(self):
        # ppgan wraps every net in paddle.DataParallel, which refuses nets
        # with nothing to train (EMA copies). Models that all-reduce their
        # own gradients (``handles_distributed``, e.g. PGAN whose growing
        # layers a DataParallel reducer cannot follow) are left unwrapped.
        if not paddle.distributed.is_initialized():  # run_setup may have
            paddle.distributed.init_parallel_env()
        if isinstance(self.model, ExtModelMixin) and \
                self.model.handles_distributed:
            return
        unused = self.cfg.get('find_unused_parameters', False)
        for name, net in self.model.nets.items():
            if any(not p.stop_gradient for p in net.parameters()):
                self.model.nets[name] = paddle.DataParallel(
                    net, find_unused_parameters=unused)

    # -- the loop --------------------------------------------------------
    def _train_step(self, data):
        """One iteration's model work: input, ``train_iter``, loss check."""
        self.model.setup_input(data)
        if isinstance(self.model, ExtModelMixin):
            self.model.set_current_iter(self.current_iter)
        try:
            self.model.train_iter(self.optimizers)
        except NonFiniteLossError as e:
            raise NonFiniteLossError(self._non_finite_message(e)) from None
        if isinstance(self.model, ExtModelMixin) or self.amp.enabled:
            return  # plugin models check their losses in train_iter
        losses = self.model.get_current_losses()  # ppgan's own models
        if not all(math.isfinite(float(v)) for v in losses.values()):
            raise NonFiniteLossError(self._non_finite_message())

    def train(self):
        """ppgan's loop (same order of work per iteration); then, if the
        last iteration was not on an interval, a final validation and
        checkpoint (ppgan would skip both). Raises
        :class:`TrainingInterrupted` after a Ctrl-C."""
        reader_cost, batch_cost = TimeAverager(), TimeAverager()
        iter_loader = IterLoader(self.train_dataloader)
        self.model.setup_train_mode(is_train=True)
        batch_size = self.cfg['dataset']['train'].get('batch_size', 1)
        with _InterruptFlag() as interrupt:
            while self.current_iter <= self.total_iters:
                self.current_epoch = iter_loader.epoch
                self.inner_iter = self.current_iter % self.iters_per_epoch
                add_profiler_step(self.profiler_options)
                start = time.time()
                data = next(iter_loader)
                reader_cost.record(time.time() - start)
                self._train_step(data)
                batch_cost.record(time.time() - start, num_samples=batch_size)
                if self.current_iter % self.log_interval == 0:
                    self.data_time = reader_cost.get_average()
                    self.step_time = batch_cost.get_average()
                    self.ips = batch_cost.get_ips_average()
                    self.print_log()
                    reader_cost.reset()
                    batch_cost.reset()
                if self.current_iter % self.visual_interval == 0 and \
                        self.local_rank == 0:
                    self.visual('visual_train')
                self.learning_rate_scheduler_step()
                if self.validate_interval > -1 and \
                        self.current_iter % self.validate_interval == 0:
                    self.test()
                if self.current_iter % self.weight_interval == 0:
                    self.save(self.current_iter, 'weight', keep=-1)
                    self.save(self.current_iter)
                if interrupt.agreed():
                    raise TrainingInterrupted(self.current_iter,
                                              self._save_last())
                self.current_iter += 1
        last = self.current_iter = self.current_iter - 1
        if last < 1:
            return
        if self.validate_interval > 0 and last % self.validate_interval:
            self.test()
        self._save_last()

    def _save_last(self):
        """Weights and checkpoint of ``current_iter`` unless the interval
        already wrote them; returns the checkpoint's path."""
        it = self.current_iter
        if it % self.weight_interval:
            self.save(it, 'weight', keep=-1)
            self.save(it)
        return self._checkpoint_path(it, 'checkpoint')

    def _non_finite_message(self, cause=None):
        if cause is None:  # checked here: list this iteration's losses
            losses = ', '.join(f'{k}={float(v):.4g}' for k, v in
                               self.model.get_current_losses().items())
            cause = f'non-finite loss: {losses}'
        what = f'iteration {self.current_iter}: {cause}'
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
        model = self.model
        visuals = (model.validation_visuals() if isinstance(
            model, ExtModelMixin) else model.get_current_visuals())
        for label, image in visuals.items():
            if image.ndim == 4:
                image = image[0]
            self.vdl_logger.add_image(f'val/{label}',
                                      tensor2img(image, self.value_range),
                                      step=step, dataformats='HWC')

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
            with config_section('dataset.test'):
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
            if isinstance(self.model, ExtModelMixin):
                state['model_extra'] = self.model.extra_state()
            if self.amp.enabled:
                state['amp_scalers'] = self.amp.state_dict()
            state['run_state'] = self._run_state()
        path = self._checkpoint_path(epoch, name)
        save_checkpoint(state, path)
        if name == 'checkpoint':
            self.last_checkpoint = path
            self._prune_checkpoints(
                self.cfg.snapshot_config.get('keep_checkpoints', keep))

    def _prune_checkpoints(self, keep):
        """Keep the ``keep`` newest checkpoints of this run (by iteration:
        interval ones, the final one and an interrupted run's alike)."""
        if keep <= 0:
            return
        found = []
        for path in glob.glob(os.path.join(self.output_dir,
                                           '*_checkpoint.pdparams')):
            match = _CHECKPOINT_NAME.search(os.path.basename(path))
            if match:
                found.append((int(match.group(1)), path))
        for _, path in sorted(found)[:-keep]:
            os.remove(path)

    def _run_state(self):
        return {'rng': capture_rng(),
                'data_seed': getattr(self, 'data_seed', None),
                'optimizer_params': {
                    n: optimizer_param_names(opt)
                    for n, opt in self.model.optimizers.items()}}

    def _load_nets(self, state, path, names):
        """Fit-check, then load ``state[name]`` into each of ``names``."""
        for n in names:
            net = self.model.nets[n]
            if isinstance(self.model, ExtModelMixin):
                self.model.prepare_to_load(n, state[n])
            check_state_fits(net, state[n], f'{path}: net {n}')
            net.set_state_dict(state[n])

    def resume(self, checkpoint_path, state=None):
        """Continue from a training checkpoint (``state``: the file already
        read by :func:`read_training_checkpoint`)."""
        if state is None:
            state = read_training_checkpoint(checkpoint_path)
        missing = [n for n in list(self.model.nets) +
                   list(self.model.optimizers) if n not in state]
        if missing:
            raise NotATrainingCheckpoint(
                f'--resume {checkpoint_path}: has no {missing}; it was not '
                f'saved by this model ({type(self.model).__name__})')
        if isinstance(self.model, ExtModelMixin) and 'model_extra' in state:
            self.model.set_extra_state(state['model_extra'])
        done = state['epoch']
        self.current_iter = done + 1
        self.global_steps = done
        self.start_epoch = (done // self.iters_per_epoch) + 1
        self._load_nets(state, checkpoint_path, list(self.model.nets))
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
        self.logger.info(f'resumed from iteration {done} '
                         f'({checkpoint_path})')

    def load(self, weight_path):
        state = load_checkpoint(weight_path)
        nets = self.model.nets
        found = [n for n in nets if n in state]
        if not found:
            raise WeightsForAnotherModel(
                f'--load {weight_path}: holds weights for nets '
                f'{sorted(k for k in state if isinstance(state[k], dict))} '
                f'but this model ({type(self.model).__name__}) has nets '
                f'{sorted(nets)}; nothing would be loaded')
        self._load_nets(state, weight_path, found)
        for n in found:
            self.logger.info(f'Loaded weights for net {n}')
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
