"""SPARNetHDModel on a tiny setup: loss terms, optimisers, EMA, gradient
accumulation, the lazily loaded VGG and its missing-weights error."""
import copy

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

import ppgan_ext  # noqa: F401
import ppgan_ext.models.criterions.gan_losses  # noqa: F401
import ppgan_ext.models.discriminators.multiscale  # noqa: F401
from ppgan.metrics.fid import FID
from ppgan.models.builder import MODELS
from ppgan_ext.models.criterions.local_perceptual_loss import VGGWeightsError
from ppgan_ext.modules.conv_blocks import SpectralNormConv2D
from ppgan_ext.models.sparnethd_model import SPARNetHDModel

GENERATOR = dict(name='SPARNet', min_ch=4, max_ch=8, in_size=16, out_size=16,
                 min_feat_size=8, res_depth=0, norm_type='in', att_name='spar',
                 bottleneck_size=16, hourglass_width=4, spectral_norm=True)
DISCRIMINATOR = dict(name='SPARNetHDDiscriminator', base_channels=4,
                     max_channels=8, n_layers=1, num_D=2)
OPTIMIZER = {
    'optimG': {'name': 'Adam', 'net_names': ['generator'], 'beta1': 0.5,
               'beta2': 0.99},
    'optimD': {'name': 'Adam', 'net_names': ['discriminator'], 'beta1': 0.5,
               'beta2': 0.99},
}
LR = {'name': 'LinearDecay', 'learning_rate': 1e-4, 'd_learning_rate': 4e-4,
      'start_epoch': 100, 'decay_epochs': 1, 'iters_per_epoch': 1}


def make_model(perceptual=None, **kw):
    cfg = dict(generator=GENERATOR, discriminator=DISCRIMINATOR,
               pixel_criterion={'name': 'L1Loss', 'loss_weight': 100.0},
               perceptual_criterion=perceptual,
               gan_criterion={'name': 'GANLoss', 'gan_mode': 'hinge',
                              'loss_weight': 1.0},
               feature_matching_criterion={'name': 'FeatureMatchingLoss',
                                           'loss_weight': 10.0})
    cfg.update(kw)
    return SPARNetHDModel(**cfg)


def set_up(model):
    lr = model.setup_lr_schedulers(dict(LR))
    return model.setup_optimizers(lr, copy.deepcopy(OPTIMIZER))


def batch(n=2, seed=0):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(-1, 1, (n, 3, 16, 16)).astype('float32')
    lq = np.clip(gt + rng.normal(0, 0.3, gt.shape), -1, 1).astype('float32')
    return {'lq': lq, 'gt': gt, 'lq_path': ['a.png'] * n}


def params(net):
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


def test_registered_and_optimisers_as_reference():
    assert MODELS.get('SPARNetHDModel') is SPARNetHDModel
    assert SPARNetHDModel.ema_nets == {'generator_ema': 'generator'}
    model = make_model()
    opts = set_up(model)
    assert list(model.nets) == ['generator', 'generator_ema', 'discriminator']
    assert opts['optimG'].get_lr() == pytest.approx(1e-4)
    assert opts['optimD'].get_lr() == pytest.approx(4e-4)
    for opt in opts.values():
        assert (opt._beta1, opt._beta2) == (0.5, 0.99)
    g_ids = {id(p) for p in model.nets['generator'].parameters()}
    assert {id(p) for p in opts['optimG']._parameter_list} == g_ids
    assert model.ema_decay == 0.999


def test_loss_terms_follow_the_reference_formulas():
    paddle.seed(0)
    model = make_model()
    set_up(model)
    d = model.nets['discriminator']
    d.eval()  # fixed spectral-norm vectors: D gives the same result twice
    data = batch()
    gt = paddle.to_tensor(data['gt'])
    fake = paddle.to_tensor(data['lq'])
    fake_out, real_out = d(fake), d(gt)
    terms = model._generator_terms(fake, gt, fake_out, real_out)
    assert list(terms) == ['loss_pixel', 'loss_gan', 'loss_feature_matching']
    np.testing.assert_allclose(
        float(terms['loss_pixel']), 100 * np.abs(data['lq'] - data['gt']).mean(),
        rtol=1e-5)
    gan = -np.mean([s.numpy().mean() for s, _ in fake_out])
    np.testing.assert_allclose(float(terms['loss_gan']), gan, rtol=1e-5)
    fm = np.mean([sum(np.abs(a.numpy() - b.numpy()).mean()
                      for a, b in zip(fo[1], ro[1]))
                  for fo, ro in zip(fake_out, real_out)]) * 10
    np.testing.assert_allclose(float(terms['loss_feature_matching']), fm,
                               rtol=1e-5)
    loss_d = float(model._discriminator_loss(real_out, fake_out))
    want = np.mean([0.5 * (np.maximum(1 - r.numpy(), 0).mean() +
                           np.maximum(1 + f.numpy(), 0).mean())
                    for (r, _), (f, _) in zip(real_out, fake_out)])
    np.testing.assert_allclose(loss_d, want, rtol=1e-5)


def test_train_iter_updates_g_d_and_ema_and_losses_decrease():
    paddle.seed(1)
    model = make_model(ema_decay=0.5)
    opts = set_up(model)
    model.setup_input(batch())
    g0 = params(model.nets['generator'])
    d0 = params(model.nets['discriminator'])
    e0 = params(model.nets['generator_ema'])
    model.train_iter(opts)
    first = dict(model.losses)
    assert set(first) == {'loss_pixel', 'loss_gan', 'loss_feature_matching',
                          'loss_D'}
    assert all(np.isfinite(v) for v in first.values())
    g1 = params(model.nets['generator'])
    d1 = params(model.nets['discriminator'])
    e1 = params(model.nets['generator_ema'])
    key = 'encoder.0.conv1.conv.weight_orig'
    assert not np.allclose(g0[key], g1[key])
    dkey = 'scales.0.units.1.conv.weight_orig'
    assert not np.allclose(d0[dkey], d1[dkey])
    # EMA of the generator *before* its step (as the reference)
    np.testing.assert_allclose(e1[key], 0.5 * e0[key] + 0.5 * g0[key],
                               rtol=1e-6, atol=1e-7)
    assert np.abs(e1[key] - (0.5 * e0[key] + 0.5 * g1[key])).max() > 1e-5
    # ... over the spectral-norm vectors too, then one power iteration:
    # u = normalize(W v), v = normalize(W^T u_avg) (G's u, v as its forward
    # left them)
    stem = key[:-len('weight_orig')]
    u_avg = 0.5 * e0[stem + 'weight_u'] + 0.5 * g1[stem + 'weight_u']
    w = e1[key].reshape(e1[key].shape[0], -1)
    v = w.T @ u_avg
    v /= np.linalg.norm(v)
    u = w @ v
    u /= np.linalg.norm(u)
    np.testing.assert_allclose(e1[stem + 'weight_v'], v, atol=1e-5)
    np.testing.assert_allclose(e1[stem + 'weight_u'], u, atol=1e-5)
    for _ in range(4):
        model.train_iter(opts)
    assert model.losses['loss_pixel'] < first['loss_pixel']


def test_evaluation_uses_the_ema_generator():
    paddle.seed(2)
    model = make_model(ema_decay=0.5)
    opts = set_up(model)
    model.setup_input(batch())
    model.train_iter(opts)
    model.test_iter()
    ema, live = model.nets['generator_ema'], model.nets['generator']
    ema.eval()
    live.eval()
    with paddle.no_grad():
        want = ema(model.lq).numpy()
        other = live(model.lq).numpy()
    np.testing.assert_allclose(model.output.numpy(), want, rtol=1e-5,
                               atol=1e-6)
    assert np.abs(want - other).max() > 1e-4


class RecordingFID(FID):
    """ppgan's FID type without its InceptionV3 (update only records)."""

    def __init__(self):
        self.seen = []

    def update(self, preds, gts):
        self.seen.append((preds, gts))


class RecordingPSNR:
    def __init__(self):
        self.seen = []

    def update(self, preds, gts):
        self.seen.append((preds, gts))


def test_metrics_get_uint8_images_and_fid_gets_tensors():
    model = make_model()
    model.setup_input(batch())
    fid, psnr = RecordingFID(), RecordingPSNR()
    model.test_iter({'fid': fid, 'psnr': psnr})
    preds, gts = psnr.seen[0]
    assert len(preds) == 2 and preds[0].shape == (16, 16, 3)
    want = np.clip((model.output.numpy()[0].transpose(1, 2, 0) + 1) / 2,
                   0, 1) * 255
    np.testing.assert_allclose(preds[0], want, atol=1e-3)
    f_preds, f_gts = fid.seen[0]
    assert f_preds is model.output and f_gts is model.gt


def _freeze_power_iteration(model):
    for net in model.nets.values():
        for layer in net.sublayers():
            if isinstance(layer, SpectralNormConv2D):
                layer.power_iterations = 0


def test_gradient_accumulation_gives_the_full_batch_gradients():
    paddle.seed(3)
    full = make_model()
    split = make_model(accumulate_steps=2)
    for name in full.nets:
        split.nets[name].set_state_dict(full.nets[name].state_dict())
    grads = []
    for model in (full, split):
        _freeze_power_iteration(model)
        opts = set_up(model)
        model.setup_input(batch(n=2, seed=5))
        model.train_iter(opts)
        grads.append({
            (n, k): p.grad.numpy().copy()
            for n in ('generator', 'discriminator')
            for k, p in model.nets[n].named_parameters()
            if p.grad is not None})
    assert set(grads[0]) == set(grads[1]) and len(grads[0]) > 20
    for key, g in grads[0].items():
        np.testing.assert_allclose(grads[1][key], g, rtol=2e-3,
                                   atol=2e-5 * max(1.0, np.abs(g).max()),
                                   err_msg=str(key))
    for name in ('loss_pixel', 'loss_D'):
        assert split.losses[name] == pytest.approx(full.losses[name],
                                                   rel=1e-4)


def test_accumulate_steps_must_divide_the_batch():
    model = make_model(accumulate_steps=2)
    opts = set_up(model)
    model.setup_input(batch(n=3))
    with pytest.raises(ValueError, match='accumulate_steps=2'):
        model.train_iter(opts)
    with pytest.raises(ValueError, match='accumulate_steps'):
        make_model(accumulate_steps=0)


def test_perceptual_vgg_is_loaded_at_training_setup_only(tmp_path):
    pcp = {'name': 'LocalPerceptualLoss', 'layer_weights': {'2': 1.0},
           'vgg_weights': str(tmp_path / 'missing_vgg19.pdparams')}
    model = make_model(perceptual=pcp)  # evaluation needs no VGG
    model.setup_input(batch(n=1))
    model.test_iter()
    assert tuple(model.output.shape) == (1, 3, 16, 16)
    with pytest.raises(Exception) as err:
        set_up(model)
    chain, e = [], err.value
    while e is not None:
        chain.append(e)
        e = e.__cause__ or e.__context__
    vgg_errors = [c for c in chain if isinstance(c, VGGWeightsError)]
    assert vgg_errors and 'missing_vgg19.pdparams' in str(vgg_errors[0])


def test_perceptual_term_with_random_vgg():
    paddle.seed(4)
    pcp = {'name': 'LocalPerceptualLoss', 'layer_weights': {'2': 1.0,
                                                            '7': 1.0},
           'vgg_weights': None, 'random_vgg': True, 'style_weight': 0.0}
    model = make_model(perceptual=pcp)
    opts = set_up(model)
    vgg = model.perceptual_criterion
    assert all(p.stop_gradient for p in vgg.parameters())
    model.setup_input(batch())
    model.train_iter(opts)
    assert model.losses['loss_perceptual'] > 0
    data = batch()
    x, y = paddle.to_tensor(data['lq']), paddle.to_tensor(data['gt'])
    pcp_val, style = vgg(x, y)
    feats_x = vgg.vgg((x + 1) / 2)
    feats_y = vgg.vgg((y + 1) / 2)
    want = sum(float(F.l1_loss(feats_x[k], feats_y[k])) for k in ('2', '7'))
    assert style is None
    np.testing.assert_allclose(float(pcp_val), want, rtol=1e-5)


def test_training_needs_discriminator_and_both_optimisers():
    model = make_model(discriminator=None)
    with pytest.raises(ValueError, match='model.discriminator'):
        set_up(model)
    model = make_model()
    with pytest.raises(ValueError, match='optimG'):
        model.setup_optimizers(model.setup_lr_schedulers(dict(LR)),
                               {'optimD': OPTIMIZER['optimD']})
