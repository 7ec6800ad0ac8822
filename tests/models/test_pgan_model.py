"""PGANModel: schedule, growing + optimizer rebuild, WGAN-GP pieces, EMA,
schedule state round trip, grow-on-load."""
import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401
from ppgan.solver import build_lr_scheduler
from ppgan_ext.config import ConfigError
from ppgan_ext.io.checkpoint import load_checkpoint, save_checkpoint
from ppgan_ext.models.pgan_model import (PGANModel, PGANSchedule, downsample_real, fade_real, gradient_penalty, scales_in_state, wgan_gp_losses)
from ppgan_ext.io.visuals import make_grid

OPTIM = {
    'optimG': {'name': 'Adam', 'net_names': ['generator'], 'beta1': 0.0,
               'beta2': 0.99},
    'optimD': {'name': 'Adam', 'net_names': ['discriminator'], 'beta1': 0.0,
               'beta2': 0.99},
}


def _model(depths=(8, 8, 8), iters=(2, 3, 3), n_jumps=2, size_jumps=1,
           optim=True, **kw):
    paddle.seed(0)
    m = PGANModel(generator={'name': 'PGANGenerator', 'latent_dim': 8},
                  discriminator={'name': 'PGANDiscriminator'},
                  depth_scales=list(depths), max_iter_at_scale=list(iters),
                  alpha_n_jumps=n_jumps, alpha_size_jumps=size_jumps, **kw)
    if optim:
        lr = build_lr_scheduler({'name': 'MultiStepDecay',
                                 'learning_rate': 0.001,
                                 'milestones': [10**9], 'gamma': 0.5})
        m.setup_optimizers(lr, OPTIM)
    return m


def _train(m, first, last, side=16, batch=4):
    for it in range(first, last + 1):
        m.current_iter = it
        m.setup_input({'img': paddle.rand([batch, 3, side, side]) * 2 - 1})
        m.train_iter(m.optimizers)


def _reference_alpha_table(n_jumps, size_jumps):
    """pytorch_GAN_zoo's 'linear' alpha jumps: (iteration, value) pairs."""
    iters, vals = [], []
    step, val, cur = 1.0 / n_jumps, 1.0, 0
    while val > 0:
        iters.append(cur)
        vals.append(val)
        cur += size_jumps
        val -= step
    iters.append(cur)
    vals.append(0.0)
    return iters, vals


@pytest.mark.parametrize('n_jumps,size_jumps', [(3, 2), (4, 5), (60, 32)])
def test_alpha_matches_reference_jump_table(n_jumps, size_jumps):
    sched = PGANSchedule([10, n_jumps * size_jumps + 7], n_jumps, size_jumps)
    iters, vals = _reference_alpha_table(n_jumps, size_jumps)
    alpha = None
    for local in range(n_jumps * size_jumps + 7):
        if local in iters:  # the reference sets alpha at these iterations
            alpha = vals[iters.index(local)]
        scale, got, got_local = sched.at(10 + local + 1)
        assert (scale, got_local) == (1, local)
        assert got == pytest.approx(max(alpha, 0.0), abs=1e-9)


def test_schedule_reference_defaults():
    sched = PGANSchedule([48000, 96000, 96000], [0, 600, 600], [0, 32, 32])
    assert sched.total_iters == 240000
    assert sched.at(1) == (0, 0.0, 0)
    assert sched.at(48000) == (0, 0.0, 47999)
    assert sched.at(48001) == (1, 1.0, 0)
    assert sched.at(48001 + 31)[1] == 1.0
    assert sched.at(48001 + 32)[1] == pytest.approx(1 - 1 / 600)
    assert sched.at(48001 + 600 * 32 - 1)[1] == pytest.approx(1 / 600)
    assert sched.at(48001 + 600 * 32)[1] == 0.0
    assert sched.at(144001) == (2, 1.0, 0)
    assert sched.at(10**6)[0] == 2  # beyond the schedule: last scale
    with pytest.raises(ValueError):
        sched.at(0)


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match='max_iter_at_scale'):
        _model(iters=(2, 3), optim=False)
    with pytest.raises(ConfigError, match='alpha_n_jumps'):
        _model(n_jumps=[0, 2], optim=False)
    with pytest.raises(ConfigError, match='generator.depths'):
        PGANModel(generator={'name': 'PGANGenerator', 'depths': [8, 8]},
                  discriminator={'name': 'PGANDiscriminator'},
                  depth_scales=[8, 8], max_iter_at_scale=[1, 1])
    m = _model(optim=False)
    with pytest.raises(ConfigError, match='optimizer'):
        m.setup_optimizers(0.001, {'name': 'Adam',
                                   'net_names': ['generator']})
    with pytest.raises(ConfigError, match='optimG.net_names'):
        m.setup_optimizers(0.001, {'optimG': {
            'name': 'Adam', 'net_names': ['generator', 'discriminator']}})
    m.setup_input({'img': paddle.zeros([2, 3, 16, 16])})
    with pytest.raises(ConfigError, match='16'):
        m.setup_input({'img': paddle.zeros([2, 3, 8, 8])})


def test_training_follows_schedule_and_grows():
    m = _model()
    seen = []
    for it in range(1, 9):
        _train(m, it, it)
        seen.append((m.scale, m.alpha, m.iter_in_scale))
        assert m.generator_ema.alpha == m.alpha == m.discriminator.alpha
    assert seen == [(0, 0.0, 0), (0, 0.0, 1), (1, 1.0, 0), (1, 0.5, 1),
                    (1, 0.0, 2), (2, 1.0, 0), (2, 0.5, 1), (2, 0.0, 2)]
    assert m.losses['resolution'] == 16.0
    assert m.visual_items['fake'].shape == [4, 3, 16, 16]
    for name in ('D_real', 'D_fake', 'D_gp', 'D_drift', 'G'):
        assert np.isfinite(float(m.losses[name]))


def test_growing_keeps_weights_and_new_params_train():
    m = _model()
    _train(m, 1, 2)
    optimizers = m.optimizers
    old_g = {k: v.numpy().copy() for k, v in m.generator.state_dict().items()}
    old_opt = dict(optimizers)
    m.grow_to(1)
    assert m.optimizers is optimizers  # the dict the Trainer holds
    assert all(optimizers[k] is not old_opt[k] for k in optimizers)
    for role, opt_name in (('generator', 'optimG'),
                           ('discriminator', 'optimD')):
        net_params = {id(p) for p in getattr(m, role).parameters()}
        opt_params = {id(p) for p in optimizers[opt_name]._parameter_list}
        assert net_params == opt_params
    new_g = m.generator.state_dict()
    for k, v in old_g.items():
        np.testing.assert_array_equal(new_g[k].numpy(), v)
    ema = m.generator_ema.state_dict()
    for k, v in new_g.items():  # EMA re-copied from G on growth
        np.testing.assert_array_equal(ema[k].numpy(), v.numpy())
    added = [k for k in new_g if k not in old_g]
    added_d = [k for k in m.discriminator.state_dict()
               if k.startswith(('scale_layers.0', 'from_rgb.1'))]
    assert added and len(added_d) == 6
    before = {k: new_g[k].numpy().copy() for k in added}
    before_d = {k: m.discriminator.state_dict()[k].numpy().copy()
                for k in added_d}
    _train(m, 5, 5)  # scale 1, alpha 0: the new layers carry the image
    after = m.generator.state_dict()
    for k in ('scale_layers.0.0.weight', 'to_rgb.1.weight'):
        assert np.abs(after[k].numpy() - before[k]).max() > 0
    for k in ('scale_layers.0.0.weight', 'from_rgb.1.weight'):
        assert np.abs(m.discriminator.state_dict()[k].numpy() -
                      before_d[k]).max() > 0
    with pytest.raises(ValueError, match='cannot shrink'):
        m.grow_to(0)


class _QuadD(paddle.nn.Layer):
    """D(x)_i = (x_i . w)^2: its input gradient is known in closed form."""

    def __init__(self, dim):
        super().__init__()
        self.w = self.create_parameter([dim], dtype='float32')
        self.w.set_value(paddle.to_tensor(
            np.linspace(-0.5, 0.7, dim).astype('float32')))

    def forward(self, x):
        s = (x.reshape([x.shape[0], -1]) * self.w).sum(axis=1, keepdim=True)
        return s * s


def _gp_numpy(real, fake, eps, w, weight):
    mixed = eps * real + (1 - eps) * fake
    flat = mixed.reshape(len(mixed), -1)
    a = flat @ w
    norms = np.abs(2 * a) * np.linalg.norm(w)  # |grad| = |2 a w|
    return weight * ((norms - 1) ** 2).sum()


def test_gradient_penalty_and_loss_pieces_against_numpy():
    rng = np.random.RandomState(0)
    real = rng.randn(3, 1, 2, 2).astype('float32')
    fake = rng.randn(3, 1, 2, 2).astype('float32')
    eps = rng.rand(3, 1, 1, 1).astype('float32')
    d = _QuadD(4)
    gp = gradient_penalty(d, paddle.to_tensor(real), paddle.to_tensor(fake),
                          10.0, eps=paddle.to_tensor(eps))
    w = d.w.numpy().astype(np.float64)
    want = _gp_numpy(real, fake, eps, w, 10.0)
    assert float(gp) == pytest.approx(want, rel=1e-5)
    # gradient of the penalty w.r.t. D's weights (needs the double backward)
    gp.backward()
    num = np.zeros_like(w)
    for i in range(len(w)):
        dw = np.zeros_like(w)
        dw[i] = 1e-6
        num[i] = (_gp_numpy(real, fake, eps, w + dw, 10.0) -
                  _gp_numpy(real, fake, eps, w - dw, 10.0)) / 2e-6
    np.testing.assert_allclose(d.w.grad.numpy(), num, rtol=2e-3, atol=1e-3)

    d_real = rng.randn(5, 1).astype('float32')
    d_fake = rng.randn(5, 1).astype('float32')
    lr, lf, ld = wgan_gp_losses(paddle.to_tensor(d_real),
                                paddle.to_tensor(d_fake), 0.001)
    assert float(lr) == pytest.approx(-d_real.sum(), rel=1e-6)
    assert float(lf) == pytest.approx(d_fake.sum(), rel=1e-6)
    assert float(ld) == pytest.approx(0.001 * (d_real**2).sum(), rel=1e-6)


def test_real_images_downsampled_and_faded():
    x = np.arange(2 * 3 * 8 * 8, dtype='float32').reshape(2, 3, 8, 8)
    low = downsample_real(paddle.to_tensor(x), 2).numpy()
    np.testing.assert_allclose(low, x.reshape(2, 3, 2, 4, 2, 4).mean((3, 5)))
    assert downsample_real(paddle.to_tensor(x), 8).shape == [2, 3, 8, 8]
    with pytest.raises(ValueError, match='side 8'):
        downsample_real(paddle.to_tensor(x), 3)
    faded = fade_real(paddle.to_tensor(x), 0.25).numpy()
    pooled = x.reshape(2, 3, 4, 2, 4, 2).mean((3, 5))
    up = pooled.repeat(2, axis=2).repeat(2, axis=3)
    np.testing.assert_allclose(faded, 0.25 * up + 0.75 * x, rtol=1e-6)
    np.testing.assert_array_equal(fade_real(paddle.to_tensor(x), 0.).numpy(),
                                  x)


def test_ema_update_after_generator_step():
    m = _model(ema_decay=0.9)
    ema_before = {k: v.numpy().copy()
                  for k, v in m.generator_ema.state_dict().items()}
    _train(m, 1, 1)
    g = m.generator.state_dict()
    for k, v in m.generator_ema.state_dict().items():
        np.testing.assert_allclose(
            v.numpy(), 0.9 * ema_before[k] + 0.1 * g[k].numpy(), rtol=1e-5,
            atol=1e-6)
    assert all(p.stop_gradient for p in m.generator_ema.parameters())


def test_extra_state_round_trip_with_optimizer_state(tmp_path):
    a = _model()
    _train(a, 1, 4)  # scale 1, alpha 0.5
    state = {n: net.state_dict() for n, net in a.nets.items()}
    state.update({n: o.state_dict() for n, o in a.optimizers.items()})
    state['model_extra'] = a.extra_state()
    path = str(tmp_path / 'ck.pdparams')
    save_checkpoint(state, path)  # only plain values: safe to load back
    state = load_checkpoint(path)
    assert state['model_extra'] == {'scale': 1, 'alpha': 0.5,
                                    'iter_in_scale': 1, 'depths': [8, 8]}

    b = _model()
    b.set_extra_state(state['model_extra'])  # as ExtTrainer.resume does
    for n, net in b.nets.items():
        net.set_state_dict(state[n])
    for n, opt in b.optimizers.items():
        opt.set_state_dict(state[n])
    assert (b.scale, b.alpha, b.iter_in_scale) == (1, 0.5, 1)
    assert b.generator.alpha == 0.5
    for role in ('generator', 'discriminator'):  # Adam state is by name
        assert [p.name for p in getattr(b, role).parameters()] == [
            p.name for p in getattr(a, role).parameters()]
    z = paddle.randn([2, 8])
    np.testing.assert_array_equal(b.generator_ema(z).numpy(),
                                  a.generator_ema(z).numpy())
    # one more identical step: equal only if b's Adam moments were restored
    for m in (a, b):
        paddle.seed(5)
        _train(m, 5, 5)
    for k, v in a.generator.state_dict().items():
        np.testing.assert_allclose(b.generator.state_dict()[k].numpy(),
                                   v.numpy(), rtol=1e-6, atol=1e-7)
    fresh = _model()
    fresh.set_extra_state(state['model_extra'])
    for n, net in fresh.nets.items():
        net.set_state_dict(state[n])
    paddle.seed(5)
    _train(fresh, 5, 5)  # same weights, no Adam state: a different step
    assert not np.allclose(fresh.generator.state_dict()['to_rgb.1.weight'],
                           a.generator.state_dict()['to_rgb.1.weight'])
    with pytest.raises(ConfigError, match='depths'):
        _model(depths=(8, 16, 8)).set_extra_state(state['model_extra'])


def test_loading_grown_weights_grows_the_nets():
    a = _model()
    a.grow_to(2)
    weights = a.generator_ema.state_dict()
    assert scales_in_state(weights) == 3
    b = _model(optim=False, load_alpha=0.0)
    b.prepare_to_load('generator_ema', weights)  # as ExtTrainer.load does
    missing, _ = b.nets['generator_ema'].set_state_dict(weights)
    assert not missing
    assert b.scale == 2 and b.resolution == 16
    assert b.discriminator.num_scales == b.generator.num_scales == 3
    assert b.sample(2, seed=0).shape == [2, 3, 16, 16]
    np.testing.assert_array_equal(b.sample(2, seed=0).numpy(),
                                  a.sample(2, seed=0).numpy())


def test_make_grid_layout():
    imgs = [np.full((2, 3, 1), i, np.uint8) for i in range(5)]
    grid = make_grid(imgs, cols=3)
    assert grid.shape == (4, 9, 1)
    assert grid[0, 3, 0] == 1 and grid[2, 0, 0] == 3 and grid[3, 8, 0] == 0
