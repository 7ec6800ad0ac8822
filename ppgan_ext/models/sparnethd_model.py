"""SPARNetHD training model: face enhancement GAN with an EMA generator.

One iteration, in the order of the reference's ``SPARNetHDModel``
(checked step for step by ``tests/models/test_sparnethd_train_parity.py``):

1. ``fake = G(lq)``; D runs three times, on ``gt`` (scores and features), on
   the detached ``fake`` and on ``fake`` (with gradients to G): three
   spectral-norm power iterations per D conv, as the reference;
2. generator loss ``pixel L1 (x100) + VGG19 perceptual (x1) + hinge GAN
   (x1, averaged over the discriminator scales) + feature matching (x10)``
   and discriminator loss ``mean over scales of 0.5 * (hinge(real) +
   hinge(fake))`` from those D outputs;
3. the EMA generator moves towards the generator *before* the generator's
   step (decay 0.999), over its whole state: parameters and spectral-norm
   ``u``/``v``; then one power iteration on the EMA net (what the
   reference's train-mode EMA forward does to its state);
4. Adam steps on G, then on D.

Evaluation, the saved inference weights and export use ``generator_ema``.

``accumulate_steps: k`` splits each loaded batch into k equal micro-batches
whose gradients are summed before the optimiser steps: the same update as the
full batch (every loss is a mean and instance norm is per sample; only the
spectral-norm power iterations run once per micro-batch: k on G, 3k on D)
with about 1/k of the activation memory.

The VGG19 of the perceptual loss is loaded when training is set up
(``setup_optimizers``), so ``--evaluate-only`` needs no VGG weights.
"""
import collections

import paddle
from ppgan.models.base_model import BaseModel
from ppgan.models.builder import MODELS
from ppgan.models.criterions.builder import build_criterion
from ppgan.models.discriminators.builder import build_discriminator
from ppgan.models.generators.builder import build_generator
from ppgan.solver import build_lr_scheduler, build_optimizer
from ppgan.utils.visual import tensor2img

from ..config import ConfigError
from ..metrics.kinds import input_kind
from ..modules.conv_blocks import SpectralNormConv2D
from ..modules.init import init_normal
from ..registry import register
from .base import ExtModelMixin
from .ema import make_ema, update_ema

__all__ = ['SPARNetHDModel', 'refresh_spectral_norm']

_OPTIMIZERS = {'optimG': 'generator', 'optimD': 'discriminator'}


def _as_tensor(x):
    return x if isinstance(x, paddle.Tensor) else paddle.to_tensor(x)


@paddle.no_grad()
def refresh_spectral_norm(net):
    """One power-iteration step on every spectral-norm conv of ``net``
    (updates the stored u, v for its current weights)."""
    net = getattr(net, '_layers', net)
    for layer in net.sublayers(include_self=True):
        if isinstance(layer, SpectralNormConv2D):
            was_training = layer.training
            layer.training = True
            layer.normalized_weight()
            layer.training = was_training


@register(MODELS)
class SPARNetHDModel(ExtModelMixin, BaseModel):
    """SPARNetHD GAN: generator, EMA generator and multi-scale discriminator.

    Args:
        generator: generator config (``SPARNet`` with ``spectral_norm: true``).
        discriminator: discriminator config (``SPARNetHDDiscriminator``);
            required for training.
        pixel_criterion: e.g. ``{name: L1Loss, loss_weight: 100}``.
        perceptual_criterion: e.g. ``{name: LocalPerceptualLoss,
            vgg_weights: PATH, layer_weights: {...}}``; built by
            ``setup_optimizers`` (training only).
        gan_criterion: ppgan ``GANLoss`` config (``gan_mode: hinge``).
        feature_matching_criterion: ``{name: FeatureMatchingLoss,
            loss_weight: 10}``.
        ema_decay: EMA decay per iteration (reference: 0.999).
        accumulate_steps: micro-batches per optimiser step (must divide the
            batch size).
        init_normal_std: conv weights of G and D start as N(0, std) with zero
            biases (reference 0.02); ``null`` keeps the layers' own init.
    """

    value_range = (-1., 1.)
    ema_nets = {'generator_ema': 'generator'}
    # read by setup_lr_schedulers (declared for the config checker)
    config_keys_consumed = {'lr_scheduler': {'d_learning_rate'}}

    def __init__(self, generator, discriminator=None, pixel_criterion=None,
                 perceptual_criterion=None, gan_criterion=None,
                 feature_matching_criterion=None, ema_decay=0.999,
                 accumulate_steps=1, init_normal_std=0.02):
        super().__init__()
        if not 0.0 <= float(ema_decay) < 1.0:
            raise ConfigError(f'model.ema_decay={ema_decay} must be in [0, 1)')
        if int(accumulate_steps) != accumulate_steps or accumulate_steps < 1:
            raise ConfigError(f'model.accumulate_steps={accumulate_steps} '
                              'must be a positive integer')
        self.ema_decay = float(ema_decay)
        self.in_size = int(generator.get('in_size', 512))
        self.accumulate_steps = int(accumulate_steps)

        g = build_generator(generator)
        if init_normal_std:
            init_normal(g, init_normal_std)
        self.nets['generator'] = g
        self.nets['generator_ema'] = make_ema(g)
        if discriminator is not None:
            d = build_discriminator(discriminator)
            if init_normal_std:
                init_normal(d, init_normal_std)
            self.nets['discriminator'] = d

        self.pixel_criterion = (build_criterion(pixel_criterion)
                                if pixel_criterion else None)
        self.gan_criterion = (build_criterion(gan_criterion)
                              if gan_criterion else None)
        self.fm_criterion = (build_criterion(feature_matching_criterion)
                             if feature_matching_criterion else None)
        self._perceptual_cfg = perceptual_criterion
        self.perceptual_criterion = None

    # -- training setup ------------------------------------------------------
    def setup_lr_schedulers(self, cfg):
        """Learning-rate schedules for ``optimG`` and ``optimD``.

        Either one ppgan scheduler config whose ``learning_rate`` is G's,
        with ``d_learning_rate`` giving D's (same schedule otherwise; the
        Trainer fills ``iters_per_epoch`` in it), or one full config per
        optimiser: ``{optimG: {name: ...}, optimD: {name: ...}}``.
        """
        cfg = dict(cfg)
        if 'name' in cfg:
            d_lr = cfg.pop('d_learning_rate', None)
            self.lr_scheduler = {'optimG': build_lr_scheduler(cfg)}
            if d_lr is not None:
                cfg['learning_rate'] = d_lr
            self.lr_scheduler['optimD'] = build_lr_scheduler(cfg)
            return self.lr_scheduler
        if set(cfg) != set(_OPTIMIZERS):
            raise ConfigError(
                f'lr_scheduler: expected a scheduler (with name:) or one per '
                f'optimiser {sorted(_OPTIMIZERS)}, got keys {sorted(cfg)}')
        self.lr_scheduler = {n: build_lr_scheduler(c) for n, c in cfg.items()}
        return self.lr_scheduler

    def build_optimizers(self, lr, cfg):
        """Build ``optimG`` (generator) and ``optimD`` (discriminator), and
        the training-only criteria (the VGG of the perceptual loss)."""
        if 'discriminator' not in self.nets or self.gan_criterion is None:
            raise ConfigError('training SPARNetHDModel needs model.'
                              'discriminator and model.gan_criterion')
        if set(cfg) != set(_OPTIMIZERS):
            raise ConfigError(f'optimizer: expected exactly the keys '
                              f'{sorted(_OPTIMIZERS)}, got {sorted(cfg)}')
        for name, net_name in _OPTIMIZERS.items():
            opt_cfg = dict(cfg[name])
            net_names = opt_cfg.pop('net_names', [net_name])
            if list(net_names) != [net_name]:
                raise ConfigError(f'optimizer.{name}.net_names must be '
                                  f'[{net_name}], got {net_names}')
            if isinstance(lr, dict):
                if name not in lr:
                    raise ConfigError(f'lr_scheduler has no entry {name}')
                opt_lr = lr[name]
            else:
                opt_lr = lr
            self.optimizers[name] = build_optimizer(
                opt_cfg, opt_lr, self.nets[net_name].parameters())
        self.build_perceptual_criterion()
        return self.optimizers

    def build_perceptual_criterion(self):
        """Build the perceptual loss (loads the VGG weights) if configured."""
        if self._perceptual_cfg and self.perceptual_criterion is None:
            self.perceptual_criterion = build_criterion(self._perceptual_cfg)
            for p in self.perceptual_criterion.parameters():
                p.stop_gradient = True
            self.perceptual_criterion.eval()

    # -- data ----------------------------------------------------------------
    def setup_input(self, input):
        self.lq = _as_tensor(input['lq'])
        self.visual_items['lq'] = self.lq
        self.gt = None
        if 'gt' in input:
            self.gt = _as_tensor(input['gt'])
            self.visual_items['gt'] = self.gt
        self.image_paths = input.get('lq_path', [])

    def forward(self):
        """Enhance ``self.lq`` with the EMA generator."""
        self.output = self.nets['generator_ema'](self.lq)
        return self.output

    # -- losses --------------------------------------------------------------
    def _generator_terms(self, fake, gt, fake_out, real_out):
        """G's loss terms; ``fake_out``/``real_out``: D's ``(score,
        features)`` per scale on ``fake`` (with gradients to G) and on
        ``gt`` (its features are the feature-matching targets)."""
        terms = collections.OrderedDict()
        if self.pixel_criterion is not None:
            terms['loss_pixel'] = self.pixel_criterion(fake, gt)
        if self.perceptual_criterion is not None:
            percep, style = self.perceptual_criterion(fake, gt)
            if percep is not None:
                terms['loss_perceptual'] = percep
            if style is not None:
                terms['loss_style'] = style
        terms['loss_gan'] = sum(
            self.gan_criterion(score, True, is_disc=False)
            for score, _ in fake_out) / len(fake_out)
        if self.fm_criterion is not None:
            terms['loss_feature_matching'] = self.fm_criterion(
                [f for _, f in fake_out], [f for _, f in real_out])
        return terms

    def _discriminator_loss(self, real_out, fake_out):
        loss = 0.
        for (real, _), (fake, _) in zip(real_out, fake_out):
            loss = loss + 0.5 * (
                self.gan_criterion(real, True, is_disc=True,
                                   is_updating_D=True) +
                self.gan_criterion(fake, False, is_disc=True,
                                   is_updating_D=True))
        return loss / len(real_out)

    def _micro_batches(self):
        k = self.accumulate_steps
        n = self.lq.shape[0]
        if n % k:
            raise ConfigError(f'model.accumulate_steps={k} must divide the '
                              f'batch size {n} (dataset.train.batch_size)')
        if k == 1:
            return [(self.lq, self.gt)]
        return list(zip(paddle.split(self.lq, k), paddle.split(self.gt, k)))

    def _train_micro_batch(self, lq, gt, k):
        """The reference's forward on one micro-batch (G once, D three
        times), with both losses' gradients (divided by ``k``) accumulated;
        returns ``(fake, G's terms, D's loss)``."""
        g, d = self.nets['generator'], self.nets['discriminator']
        with self.amp.autocast():
            fake = g(lq)
            real_out = d(gt)
            loss_d = self._discriminator_loss(real_out, d(fake.detach()))
        # D's weights do not change before its step, so its gradient can be
        # taken now (the reference takes it after G's step): same update,
        # and D's two graphs are freed before G's backward
        self.amp.backward(loss_d / k, 'D')
        # D's parameters get no gradient from G's loss (the reference
        # zeroes D's gradients before its own step)
        self.set_requires_grad(d, False)
        try:
            with self.amp.autocast():
                fake_out = d(fake)
                terms = self._generator_terms(fake, gt, fake_out, real_out)
                loss_g = sum(terms.values())
            self.amp.backward(loss_g / k, 'G')
        finally:
            self.set_requires_grad(d, True)
        return fake.detach(), terms, loss_d

    # -- one iteration -------------------------------------------------------
    def train_iter(self, optims=None):
        """One iteration in the reference's order (see the module doc)."""
        optims = optims or self.optimizers
        g = self.nets['generator']
        batches = self._micro_batches()
        k = len(batches)
        logged = collections.OrderedDict()
        loss_d_total = 0.
        fakes = []
        optims['optimG'].clear_grad()
        optims['optimD'].clear_grad()
        for lq, gt in batches:
            fake, terms, loss_d = self._train_micro_batch(lq, gt, k)
            for name, value in terms.items():
                logged[name] = logged.get(name, 0.) + float(value) / k
            loss_d_total += float(loss_d) / k
            fakes.append(fake)
        logged['loss_D'] = loss_d_total
        self.check_finite(**logged)

        # EMA before the optimiser steps, over G's whole state (parameters
        # and spectral-norm vectors), then the power iteration of the
        # reference's EMA forward (its output is unused; its only effect on
        # the state is this)
        update_ema(self.nets['generator_ema'], g, self.ema_decay,
                   average_buffers=True)
        refresh_spectral_norm(self.nets['generator_ema'])
        self.amp.apply(optims['optimG'], 'G')
        self.amp.apply(optims['optimD'], 'D')

        self.losses.clear()
        self.losses.update(logged)
        self.output = paddle.concat(fakes) if k > 1 else fakes[0]
        self.visual_items['output'] = self.output

    # -- evaluation ----------------------------------------------------------
    def test_iter(self, metrics=None):
        """Enhance with ``generator_ema`` and update the metrics with what
        each takes (``metrics.kinds``): uint8 HWC images (PSNR/SSIM) or the
        [-1, 1] tensors (ppgan's FID)."""
        ema = self.nets['generator_ema']
        ema.eval()
        with paddle.no_grad():
            self.forward()
        self.visual_items['output'] = self.output
        if metrics is None or self.gt is None:
            return
        outs = [tensor2img(o, self.value_range) for o in self.output]
        gts = [tensor2img(t, self.value_range) for t in self.gt]
        for metric in metrics.values():
            if input_kind(metric) == 'tensors':
                metric.update(self.output, self.gt)
            else:
                metric.update(outs, gts)
