"""Progressive GAN training (Karras et al., ICLR 2018) on ppgan's Trainer.

Training follows pytorch_GAN_zoo's ``ProgressiveGAN``: WGAN-GP with the
losses *summed* over the batch (``-sum D(real) + sum D(fake)``, gradient
penalty ``lambda_gp * sum (|grad D(x_hat)| - 1)^2``, drift ``epsilon_d *
sum D(real)^2``), Adam (lr 1e-3, betas (0, 0.99)) for G and D, and an EMA of
G (decay 0.999) used for evaluation.

The progressive schedule is a pure function of the Trainer's iteration (see
:class:`PGANSchedule`). When it enters a new scale, G, D and the EMA grow in
place (the EMA is re-copied from G, as in the reference) and both optimizers
are rebuilt over the grown parameter lists with fresh Adam state (also as
in the reference); they replace the entries of ``model.optimizers``, which
is the very dict ppgan's Trainer holds, and keep the same lr scheduler
object. Parameters and Adam's moment tensors are named under fixed
prefixes (not paddle's process-global counters), so the optimizer state
saved in a checkpoint finds its parameters again on ``--resume``.

Before weights are loaded into one of the nets (``prepare_to_load``, called
by the Trainer), all three nets grow to the scale those weights have
(inferred from their keys), so ``--load W`` and ``--evaluate-only --load W``
work with partially grown weights; the fade-in factor is then
``load_alpha`` (0: the loaded scale's own output).
``--resume`` restores scale, alpha and the iteration inside the scale from
``extra_state()``.

Multi-process training: G and D run unwrapped (never through
``paddle.DataParallel``, whose reducer cannot follow grown layers, unused
fade-in layers and the double backward of the penalty); the model averages
gradients across ranks itself and broadcasts new layers from rank 0.
"""
import logging
import os

import numpy as np
import paddle
import paddle.nn.functional as F
from paddle.utils import unique_name
from ppgan.models.base_model import BaseModel
from ppgan.models.builder import MODELS
from ppgan.models.discriminators.builder import build_discriminator
from ppgan.models.generators.builder import build_generator
from ppgan.solver import build_optimizer

from ..config import ConfigError
from ..io.visuals import batch_to_uint8, make_grid, to_model_range
from ..metrics.kinds import min_side
from ..modules.progressive import with_depths
from ..registry import register
from .base import ExtModelMixin, unwrap
from .ema import copy_weights, make_ema, update_ema
from .random_source import PaddleRandom

__all__ = ['PGANModel', 'PGANSchedule', 'wgan_gp_losses', 'gradient_penalty',
           'downsample_real', 'fade_real',
           'scales_in_state']

logger = logging.getLogger('ppgan')


# -- schedule ------------------------------------------------------------
def _per_scale(name, value, num_scales):
    """An int for every scale, or a list with one int per scale."""
    if isinstance(value, (list, tuple)):
        values = list(value)
        if len(values) < num_scales:
            raise ConfigError(f'model.{name} lists {len(values)} value(s) but '
                              f'depth_scales has {num_scales} scales')
        values = values[:num_scales]
    else:
        values = [value] * num_scales
    for i, v in enumerate(values):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(f'model.{name}[{i}] must be an int >= 0, got '
                              f'{v!r}')
    return values


class PGANSchedule:
    """Scale and fade-in factor of each training iteration.

    Scale ``s`` lasts ``max_iter_at_scale[s]`` iterations. On entering a
    scale ``s > 0`` alpha is 1 (only the previous scale's output, up-sampled)
    and drops by ``1 / alpha_n_jumps[s]`` every ``alpha_size_jumps[s]``
    iterations until it reaches 0 (the reference's "linear" mode). Scale 0
    has alpha 0. Iterations after the last scale's budget stay at the last
    scale.

    Args:
        max_iter_at_scale (list[int]): iterations spent at each scale.
        alpha_n_jumps (int | list[int]): number of alpha decrements per scale.
        alpha_size_jumps (int | list[int]): iterations between decrements.
    """

    def __init__(self, max_iter_at_scale, alpha_n_jumps=600,
                 alpha_size_jumps=32):
        if not isinstance(max_iter_at_scale, (list, tuple)) or not \
                max_iter_at_scale:
            raise ConfigError('model.max_iter_at_scale must be a non-empty '
                              f'list, got {max_iter_at_scale!r}')
        n = len(max_iter_at_scale)
        self.max_iter_at_scale = _per_scale('max_iter_at_scale',
                                            list(max_iter_at_scale), n)
        if any(v < 1 for v in self.max_iter_at_scale):
            raise ConfigError('model.max_iter_at_scale: every scale needs at '
                              f'least 1 iteration, got {max_iter_at_scale}')
        self.alpha_n_jumps = _per_scale('alpha_n_jumps', alpha_n_jumps, n)
        self.alpha_size_jumps = _per_scale('alpha_size_jumps',
                                           alpha_size_jumps, n)
        for s in range(1, n):
            if self.alpha_n_jumps[s] and not self.alpha_size_jumps[s]:
                raise ConfigError(f'model.alpha_size_jumps[{s}] must be >= 1 '
                                  'when alpha_n_jumps is not 0')
        self.starts = [0]
        for budget in self.max_iter_at_scale[:-1]:
            self.starts.append(self.starts[-1] + budget)

    @property
    def num_scales(self):
        return len(self.max_iter_at_scale)

    @property
    def total_iters(self):
        """Iterations of the whole schedule (the ``total_iters`` to set)."""
        return self.starts[-1] + self.max_iter_at_scale[-1]

    def alpha(self, scale, iter_in_scale):
        """Fade-in factor after ``iter_in_scale`` iterations at ``scale``."""
        jumps = self.alpha_n_jumps[scale]
        if scale == 0 or jumps == 0:
            return 0.0
        done = iter_in_scale // self.alpha_size_jumps[scale]
        return 0.0 if done >= jumps else 1.0 - done / jumps

    def at(self, iteration):
        """``(scale, alpha, iter_in_scale)`` of the 1-based ``iteration``."""
        if iteration < 1:
            raise ValueError(f'iterations count from 1, got {iteration}')
        step = iteration - 1
        scale = 0
        while scale + 1 < self.num_scales and step >= self.starts[scale + 1]:
            scale += 1
        local = step - self.starts[scale]
        return scale, self.alpha(scale, local), local


# -- loss pieces ---------------------------------------------------------
def gradient_penalty(discriminator, real, fake, weight, eps):
    """WGAN-GP penalty ``weight * sum_i (||grad_x D(x_i)||_2 - 1)^2`` on
    ``x = eps*real + (1-eps)*fake``; ``eps`` (N, 1, 1, 1) holds one
    ``U(0, 1)`` factor per sample."""
    mixed = eps * real.detach() + (1.0 - eps) * fake.detach()
    mixed.stop_gradient = False
    score = discriminator(mixed)[:, 0].sum()
    grad, = paddle.grad(score, mixed, create_graph=True)
    norm = paddle.sqrt((grad * grad).reshape([grad.shape[0], -1]).sum(axis=1))
    return weight * ((norm - 1.0)**2).sum()


def wgan_gp_losses(d_real, d_fake, epsilon_d):
    """Discriminator terms (each summed over the batch) from the scores.

    Returns ``(loss_real, loss_fake, loss_drift)`` =
    ``(-sum d_real, sum d_fake, epsilon_d * sum d_real^2)`` on column 0.
    """
    real0, fake0 = d_real[:, 0], d_fake[:, 0]
    return -real0.sum(), fake0.sum(), epsilon_d * (real0 * real0).sum()


# -- images --------------------------------------------------------------
def downsample_real(real, resolution):
    """Average-pool NCHW ``real`` down to ``resolution`` (a power-of-2
    fraction of its side); unchanged if already there."""
    side = real.shape[-1]
    if side == resolution:
        return real
    factor = side // resolution
    if factor * resolution != side or factor & (factor - 1):
        raise ConfigError(f'images of side {side} cannot be pooled to '
                          f'{resolution}: the dataset size must be the final '
                          'resolution (4 * 2**k)')
    return F.avg_pool2d(real, factor)


def fade_real(real, alpha):
    """Real images as seen during a fade-in:
    ``alpha * upsample(avgpool2(real)) + (1 - alpha) * real``."""
    if alpha <= 0:
        return real
    low = F.interpolate(F.avg_pool2d(real, 2), scale_factor=2, mode='nearest')
    return alpha * low + (1.0 - alpha) * real


def scales_in_state(state_dict):
    """Number of scales of PGAN G/D weights, from their to/from-RGB keys."""
    count = 0
    for key in state_dict:
        parts = key.split('.')
        if len(parts) >= 3 and parts[0] in ('to_rgb', 'from_rgb') and \
                parts[1].isdigit():
            count = max(count, int(parts[1]) + 1)
    return count


def _write_png(path, img_hwc):
    from ..io.images import write_image
    write_image(path, img_hwc)


# -- the model -----------------------------------------------------------
@register(MODELS)
class PGANModel(ExtModelMixin, BaseModel):
    """Progressive GAN: WGAN-GP, growing G/D, EMA generator for evaluation.

    Config keys (``model:``):
        generator / discriminator: ``PGANGenerator`` / ``PGANDiscriminator``
            configs; their starting depth is ``depth_scales[0]`` (given
            there or not), further scales are added by the schedule.
        depth_scales (list[int]): channels of each scale, 4x4 first; the
            final resolution is ``4 * 2**(len - 1)``.
        max_iter_at_scale (list[int]): iterations per scale (one per depth).
        alpha_n_jumps, alpha_size_jumps (int | list[int]): fade-in schedule
            (see :class:`PGANSchedule`).
        lambda_gp (float): gradient-penalty weight.
        epsilon_d (float): weight of the drift term ``sum D(real)^2``.
        ema_decay (float): decay of the EMA generator.
        num_eval_samples (int): images written at each evaluation (an
            8x8 grid for 64) from the EMA generator at ``eval_seed``.
        eval_seed (int): seed of the evaluation latents.
        load_alpha (float): fade-in factor after loading weights with
            ``--load`` (a resumed checkpoint restores its own).
        max_eval_steps (int | None): test batches per evaluation (read by
            ppgan's Trainer).
    """

    value_range = (-1., 1.)
    ema_nets = {'generator_ema': 'generator'}
    handles_distributed = True  # ExtTrainer: no DataParallel wrapping

    def __init__(self, generator, discriminator, depth_scales,
                 max_iter_at_scale, alpha_n_jumps=600, alpha_size_jumps=32,
                 lambda_gp=10.0, epsilon_d=0.001, ema_decay=0.999,
                 num_eval_samples=64, eval_seed=0, load_alpha=0.0,
                 max_eval_steps=None):
        super().__init__()
        if not isinstance(depth_scales, (list, tuple)) or not depth_scales:
            raise ConfigError('model.depth_scales must be a non-empty list of '
                              f'ints, got {depth_scales!r}')
        self.depth_scales = _per_scale('depth_scales', list(depth_scales),
                                       len(depth_scales))
        if len(max_iter_at_scale or []) != len(self.depth_scales):
            raise ConfigError(
                f'model.max_iter_at_scale has {len(max_iter_at_scale or [])} '
                f'entries but depth_scales has {len(self.depth_scales)}; give '
                'one iteration budget per scale')
        self.schedule = PGANSchedule(max_iter_at_scale, alpha_n_jumps,
                                     alpha_size_jumps)
        self.lambda_gp = float(lambda_gp)
        self.epsilon_d = float(epsilon_d)
        if not 0.0 <= ema_decay < 1.0:
            raise ConfigError(f'model.ema_decay must be in [0, 1), got '
                              f'{ema_decay!r}')
        self.ema_decay = float(ema_decay)
        if not isinstance(num_eval_samples, int) or num_eval_samples < 1:
            raise ConfigError('model.num_eval_samples must be a positive int, '
                              f'got {num_eval_samples!r}')
        self.num_eval_samples = num_eval_samples
        self.eval_seed = int(eval_seed)
        if not 0.0 <= float(load_alpha) <= 1.0:
            raise ConfigError(f'model.load_alpha must be in [0, 1], got '
                              f'{load_alpha!r}')
        self.load_alpha = float(load_alpha)
        self.max_eval_steps = max_eval_steps
        # latents and penalty factors of training come from here (a test
        # can replay recorded draws in their place)
        self.random = PaddleRandom()

        with unique_name.guard('pgan_g_'):
            g = build_generator(self._start_cfg(generator, 'generator'))
        with unique_name.guard('pgan_d_'):
            d = build_discriminator(
                self._start_cfg(discriminator, 'discriminator'))
        if getattr(d, 'in_channels', 3) != getattr(g, 'out_channels', 3):
            raise ConfigError(
                f'model.discriminator.in_channels ({d.in_channels}) must '
                f'equal model.generator.out_channels ({g.out_channels})')
        self.nets['generator'] = g
        self.nets['discriminator'] = d
        self.nets['generator_ema'] = make_ema(g)

        self.scale = 0
        self.alpha = 0.0
        self.iter_in_scale = 0
        self._optim_cfg = None
        self._optim_lr = None
        self._optim_roles = {}
        self._trained = False
        self._eval_batch = 0
        self._eval_grid = None
        self.real = None

    @classmethod
    def generator_config_for(cls, model_cfg, state):
        """The generator config that fits ``state`` (G or EMA weights): as
        many scales as the weights hold, with ``depth_scales``' depths."""
        scales = scales_in_state(state)
        depths = list(model_cfg['depth_scales'])
        if not 1 <= scales <= len(depths):
            raise ConfigError(f'the weights have {scales} PGAN scale(s) but '
                              f'model.depth_scales lists {len(depths)}')
        return with_depths(model_cfg['generator'], depths[:scales])

    # -- construction helpers -------------------------------------------------
    def _start_cfg(self, net_cfg, key):
        cfg = dict(net_cfg or {})
        if 'name' not in cfg:
            raise ConfigError(f'model.{key}: missing the network name')
        want = [self.depth_scales[0]]
        depths = cfg.pop('depths', None)
        d0 = cfg.pop('depth_scale0', None)
        if depths is not None and list(depths) != want:
            raise ConfigError(
                f'model.{key}.depths={list(depths)}: the model starts at 4x4 '
                f'with depth_scales[0]={want[0]} and grows by itself; leave '
                'depths out (to start from trained weights use --load or '
                '--resume)')
        if d0 is not None and d0 != want[0]:
            raise ConfigError(f'model.{key}.depth_scale0={d0} contradicts '
                              f'model.depth_scales[0]={want[0]}')
        return with_depths(cfg, want)

    @property
    def generator(self):
        return unwrap(self.nets['generator'])

    @property
    def discriminator(self):
        return unwrap(self.nets['discriminator'])

    @property
    def generator_ema(self):
        return unwrap(self.nets['generator_ema'])

    @property
    def resolution(self):
        """Side of the images at the current scale."""
        return 4 * 2**self.scale

    @property
    def final_resolution(self):
        return 4 * 2**(len(self.depth_scales) - 1)

    # -- optimizers -----------------------------------------------------------
    def build_optimizers(self, lr, cfg):
        """ppgan's optimizer section: one optimizer for ``generator`` and one
        for ``discriminator`` (``net_names``); remembered for rebuilding."""
        if cfg.get('name', None):
            raise ConfigError(
                'optimizer: PGANModel needs one optimizer per network, e.g. '
                'optimizer: {optimG: {name: Adam, net_names: [generator], '
                '...}, optimD: {name: Adam, net_names: [discriminator], ...}}')
        roles = {}
        for opt_name, opt_cfg in cfg.items():
            nets = list(opt_cfg.get('net_names', []))
            if nets not in (['generator'], ['discriminator']):
                raise ConfigError(
                    f'optimizer.{opt_name}.net_names must be [generator] or '
                    f'[discriminator], got {nets}')
            roles[nets[0]] = opt_name
        if set(roles) != {'generator', 'discriminator'}:
            raise ConfigError('optimizer: needs one optimizer with net_names '
                              '[generator] and one with [discriminator]')
        self._optim_cfg, self._optim_lr, self._optim_roles = cfg, lr, roles
        self._build_optimizers()
        return self.optimizers

    def _build_optimizers(self):
        """(Re)build both optimizers over the nets' current parameters.

        Entries of ``self.optimizers`` (the dict ppgan's Trainer holds) are
        replaced in place; Adam state starts afresh, as in the reference.
        """
        for net_name, opt_name in self._optim_roles.items():
            cfg = dict(self._optim_cfg[opt_name])
            cfg.pop('net_names')
            params = unwrap(self.nets[net_name]).parameters()
            self.optimizers[opt_name] = build_optimizer(cfg, self._optim_lr,
                                                        params)

    def amp_nets(self):
        """G and D (the EMA stays float32, as the reference's average)."""
        return {n: self.nets[n] for n in self._optim_roles}

    def _optimizer(self, net_name):
        return self.optimizers[self._optim_roles[net_name]]

    # -- growing --------------------------------------------------------------
    def grow_to(self, scale):
        """Add scales to G, D and the EMA until they reach ``scale``.

        Existing weights are kept; the EMA is re-copied from G; optimizers
        (if built) are rebuilt over the grown parameters.
        """
        if not 0 <= scale < len(self.depth_scales):
            raise ConfigError(
                f'scale {scale} is outside model.depth_scales (scales 0..'
                f'{len(self.depth_scales) - 1})')
        if scale < self.scale:
            raise ValueError(
                f'networks are at scale {self.scale} ({self.resolution}x'
                f'{self.resolution}) and cannot shrink to scale {scale}; to '
                'continue a run use --resume with its checkpoint')
        if scale == self.scale:
            return
        g, d, ema = self.generator, self.discriminator, self.generator_ema
        for s in range(self.scale + 1, scale + 1):
            depth = self.depth_scales[s]
            with unique_name.guard(f'pgan_g_s{s}_'):
                g.add_scale(depth)
            with unique_name.guard(f'pgan_d_s{s}_'):
                d.add_scale(depth)
            with unique_name.guard(f'pgan_ema_s{s}_'):
                ema.add_scale(depth)
        for p in ema.parameters():
            p.stop_gradient = True
        self.scale = scale
        self._sync_new_layers()
        copy_weights(ema, g)
        if self._optim_roles:
            self._build_optimizers()
            self.decorate_for_amp()
        logger.info(f'PGAN: grown to scale {scale} ({self.resolution}x'
                    f'{self.resolution}, depth {self.depth_scales[scale]})')

    def _sync_new_layers(self):
        if paddle.distributed.get_world_size() > 1:
            for net in (self.generator, self.discriminator):
                for p in net.parameters():
                    paddle.distributed.broadcast(p, src=0)

    def prepare_to_load(self, net_name, state):
        """Grow to the scale of the weights about to be loaded."""
        self.grow_to_fit(state)

    def grow_to_fit(self, state_dict):
        """Grow the nets to the scale of ``state_dict`` (G, D or EMA weights)
        before it is loaded; sets alpha to ``load_alpha`` if it grew."""
        n = scales_in_state(state_dict)
        if n > len(self.depth_scales):
            raise ConfigError(
                f'the weights have {n} scales but model.depth_scales lists '
                f'{len(self.depth_scales)}')
        if n - 1 > self.scale:
            self.grow_to(n - 1)
            self.set_alpha(self.load_alpha if self.scale > 0 else 0.0)

    def set_alpha(self, alpha):
        """Set the fade-in factor of G, D and the EMA."""
        alpha = float(alpha) if self.scale > 0 else 0.0
        for net in (self.generator, self.discriminator, self.generator_ema):
            net.set_alpha(alpha)
        self.alpha = alpha

    # -- schedule state -------------------------------------------------------
    def extra_state(self):
        return {'scale': int(self.scale), 'alpha': float(self.alpha),
                'iter_in_scale': int(self.iter_in_scale),
                'depths': [int(d) for d in self.depth_scales[:self.scale + 1]]}

    def set_extra_state(self, state):
        """Grow to the checkpoint's scale (before its weights are loaded)."""
        depths = list(state.get('depths', []))
        if depths != self.depth_scales[:len(depths)]:
            raise ConfigError(
                f'the checkpoint was trained with depths {depths}, which do '
                f'not begin model.depth_scales {self.depth_scales}')
        self.grow_to(int(state['scale']))
        self.set_alpha(float(state['alpha']))
        self.iter_in_scale = int(state.get('iter_in_scale', 0))

    def _follow_schedule(self):
        iteration = int(getattr(self, 'current_iter', 1) or 1)
        scale, alpha, local = self.schedule.at(iteration)
        if scale != self.scale:
            self.grow_to(scale)
        self.set_alpha(alpha)
        self.iter_in_scale = local

    # -- data -----------------------------------------------------------------
    def setup_input(self, input):
        self.real = paddle.to_tensor(input['img']) if not isinstance(
            input['img'], paddle.Tensor) else input['img']
        self.image_paths = input.get('img_path', [])
        if self.real.ndim != 4 or self.real.shape[-1] != self.real.shape[-2]:
            raise ValueError(f'PGANModel expects square NCHW images, got '
                             f'shape {self.real.shape}')
        if self.real.shape[-1] != self.final_resolution:
            raise ConfigError(
                f'the dataset serves {self.real.shape[-1]}px images but '
                f'model.depth_scales ends at {self.final_resolution}px; set '
                f'the dataset size to {self.final_resolution}')

    def _real_at_scale(self):
        real = downsample_real(self.real, self.resolution)
        return fade_real(real, self.alpha)

    def _latents(self, n):
        return self.random.normal([n, self.generator.latent_dim])

    def forward(self):
        """EMA samples for the current batch size (visuals)."""
        with paddle.no_grad():
            self.fake = self.generator_ema(self._latents(self.real.shape[0]))
        return self.fake

    # -- training -------------------------------------------------------------
    def _all_reduce_grads(self, net):
        if paddle.distributed.get_world_size() > 1:
            from paddle.distributed.fleet.utils.hybrid_parallel_util import \
                fused_allreduce_gradients
            fused_allreduce_gradients(list(net.parameters()), None)

    def _apply(self, optimizer, role):
        # Adam creates its moment tensors at the first step, named through
        # paddle's global unique-name counter; a fixed scope makes the names
        # (the keys of the optimizer's state_dict) the same in every process
        # and after any number of rebuilds, so --resume finds them.
        with unique_name.guard(f'pgan_opt_{role}_'):
            return self.amp.apply(optimizer, role)

    def train_iter(self, optims=None):
        self._trained = True
        self._eval_batch = 0
        self._follow_schedule()
        g, d = self.generator, self.discriminator
        opt_g, opt_d = self._optimizer('generator'), self._optimizer(
            'discriminator')
        real = self._real_at_scale()
        n = real.shape[0]

        # discriminator step
        opt_d.clear_grad(set_to_zero=False)
        with self.amp.autocast():
            with paddle.no_grad():
                fake = g(self._latents(n))
            d_real = d(real)
            d_fake = d(fake)
            loss_real, loss_fake, loss_drift = wgan_gp_losses(
                d_real.astype('float32'), d_fake.astype('float32'),
                self.epsilon_d)
            eps = self.random.uniform([n, 1, 1, 1], real.dtype)
            loss_gp = gradient_penalty(d, real, fake.astype(real.dtype),
                                       self.lambda_gp, eps).astype('float32')
        loss_d = loss_real + loss_fake + loss_gp + loss_drift
        self.check_finite(D_real=loss_real, D_fake=loss_fake, D_gp=loss_gp,
                          D_drift=loss_drift)
        self.amp.backward(loss_d, 'D')
        self._all_reduce_grads(d)
        self._apply(opt_d, 'D')

        # generator step (D's parameters frozen: no weight gradients for D)
        opt_g.clear_grad(set_to_zero=False)
        for p in d.parameters():
            p.stop_gradient = True
        try:
            with self.amp.autocast():
                fake = g(self._latents(n))
                loss_g = -d(fake).astype('float32')[:, 0].sum()
            self.check_finite(G=loss_g)
            self.amp.backward(loss_g, 'G')
        finally:
            for p in d.parameters():
                p.stop_gradient = False
        self._all_reduce_grads(g)
        self._apply(opt_g, 'G')
        update_ema(self.generator_ema, g, self.ema_decay)

        self.losses['D_real'] = loss_real
        self.losses['D_fake'] = loss_fake
        self.losses['D_gp'] = loss_gp
        self.losses['D_drift'] = loss_drift
        self.losses['D'] = loss_d
        self.losses['G'] = loss_g
        self.losses['alpha'] = self.alpha
        self.losses['resolution'] = float(self.resolution)
        self.visual_items.clear()
        self.visual_items['real'] = real
        self.visual_items['fake'] = fake.detach()

    # -- evaluation -----------------------------------------------------------
    def sample(self, num, seed):
        """``num`` EMA-generator images (NCHW, [-1, 1]) from latents drawn
        with numpy ``seed`` (independent of Paddle's RNG state)."""
        z = np.random.RandomState(seed).standard_normal(
            (num, self.generator.latent_dim)).astype('float32')
        ema = self.generator_ema
        ema.eval()
        with paddle.no_grad():
            return ema(paddle.to_tensor(z))

    def sample_dir(self):
        """Where evaluation writes its images: the Trainer's output_dir
        (ExtTrainer sets ``model.output_dir``), in a ``samples_iter_N``
        sub-folder during training."""
        root = getattr(self, 'output_dir', None) or 'output_dir'
        if self._trained:
            return os.path.join(root, f'samples_iter_'
                                f'{int(getattr(self, "current_iter", 0))}')
        return root

    def write_samples(self, folder=None):
        """Write ``generated_{N}.png`` and ``grid.png`` of the fixed-seed
        EMA samples; returns the grid (HWC uint8)."""
        images = batch_to_uint8(self.sample(self.num_eval_samples,
                                            self.eval_seed), self.value_range)
        grid = make_grid(images)
        if paddle.distributed.get_rank() == 0:
            folder = folder or self.sample_dir()
            for i, img in enumerate(images):
                _write_png(os.path.join(folder, f'generated_{i}.png'), img)
            _write_png(os.path.join(folder, 'grid.png'), grid)
        return grid

    def test_iter(self, metrics=None):
        """First batch of an evaluation: write the fixed-seed samples; every
        batch: feed EMA fakes and the real batch (at the current scale) to
        the metrics that accept that resolution."""
        self.visual_items.clear()
        if self._eval_batch == 0:
            grid = self.write_samples()
            self._eval_grid = paddle.to_tensor(
                to_model_range(grid, self.value_range))
            self.visual_items['grid'] = self._eval_grid
        real = self._real_at_scale()
        rank = paddle.distributed.get_rank()
        z = np.random.RandomState([self.eval_seed, rank + 1, self._eval_batch]
                                  ).standard_normal(
            (real.shape[0], self.generator.latent_dim)).astype('float32')
        with paddle.no_grad():
            fake = self.generator_ema(paddle.to_tensor(z))
        self.fake = fake
        self._eval_batch += 1
        for metric in (metrics or {}).values():
            if self.resolution >= min_side(metric):
                metric.update(fake, real)

    def validation_visuals(self):
        """The fixed-seed sample grid of the evaluation (written by its
        first batch; later batches have no images of their own)."""
        grid = self._eval_grid
        return {'grid': grid} if grid is not None else {}
