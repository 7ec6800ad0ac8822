"""SPARNetHD trains step for step like Face-SPARNet's ``SPARNetHDModel``
(cases ``train_sparnethd`` at 256x256 and ``train_sparnethd_64_ema05`` at
64x64 with EMA decay 0.5), with the model, losses and optimizers built from
``configs/sparnethd_attn2d.yaml``: hinge GAN, feature matching, VGG19
perceptual loss (relu1_2..relu4_4 and conv5_4, resized to 224 below that),
three discriminator forwards per iteration (three power iterations), the EMA
over the whole state before the generator step plus one power iteration.

These run in float64: a handful of the ~10^5 tightly compared elements sit
within ~1e-7 of a LeakyReLU kink, where float32 rounding decides the sign of
Adam's first step (found: a D pre-activation of 3.7e-7 in float64 that
Paddle's float32 gives as -1.5e-7). The reference's tolerances are 10-20x
its own float32-vs-float64 noise, so a float64 port passes exactly when it
computes the same thing. In float32 every loss term passes as well and
2-3 elements per case differ by Adam's 2 x lr (docs/sparnethd.md).

Also here: the reference discriminator converts with
``tools/convert_weights.py --net discriminator`` and reproduces the
reference D's outputs.
"""
import importlib.util
import os

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401  (Paddle-3 shims before anything from ppgan)
from ppgan.models.discriminators.builder import build_discriminator
from ppgan_ext.config import load_config
from ppgan_ext.engine.checkpoint import load_checkpoint, save_checkpoint
from tests.train_parity import (ROOT, Case, config_model, train_and_check,
                                vgg19_recipe_state)

CASES = ['train_sparnethd', 'train_sparnethd_64_ema05']
LOSSES = {'Pix': 'loss_pixel', 'PCP': 'loss_perceptual',
          'FM': 'loss_feature_matching', 'G': 'loss_gan', 'D': 'loss_D'}
NETS = {'generator': 'G', 'discriminator': 'D', 'generator_ema': 'H'}


@pytest.fixture(scope='module')
def vgg_weights(tmp_path_factory):
    """The cases' VGG19 (numpy recipe) as a local .pdparams file."""
    case = Case(CASES[0])
    path = tmp_path_factory.mktemp('vgg') / 'vgg19_recipe.pdparams'
    save_checkpoint(dict(vgg19_recipe_state(case.json['vgg19_recipe'])),
                    str(path))
    return str(path)


@pytest.fixture
def float64():
    paddle.set_default_dtype('float64')
    yield 'float64'
    paddle.set_default_dtype('float32')


def overrides(case, vgg_weights):
    g = case.json['model']['G']['kwargs']
    d = case.json['model']['D']['kwargs']
    out = [f'model.generator.{k}={g[k]}' for k in (
        'min_ch', 'max_ch', 'in_size', 'out_size', 'min_feat_size',
        'res_depth', 'bottleneck_size')]
    out += [f"model.generator.hourglass_width="
            f"{case.json['model']['G']['hourglass_c_mid']}",
            f"model.discriminator.base_channels={d['base_ch']}",
            f"model.discriminator.n_layers={d['n_layers']}",
            f"model.discriminator.num_D={d['num_D']}",
            f'model.perceptual_criterion.vgg_weights={vgg_weights}',
            f"model.ema_decay={case.json['model']['ema_decay']}"]
    return out


@pytest.mark.parametrize('name', CASES)
def test_train_sparnethd_matches_the_reference(name, vgg_weights, float64):
    case = Case(name)
    _, model = config_model('sparnethd_attn2d.yaml',
                            overrides(case, vgg_weights))
    batch = {k: v.astype(float64) for k, v in case.batch.items()}
    train_and_check(case, model, NETS, batch, LOSSES)


def _convert_tool():
    spec = importlib.util.spec_from_file_location(
        'convert_weights_tool', os.path.join(ROOT, 'tools',
                                             'convert_weights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


DEMO = os.path.join(ROOT, 'configs', 'sparnethd_demo.yaml')


def test_reference_discriminator_converts_and_matches(tmp_path):
    """The demo config's D is the 64x64 case's; its converted init
    weights reproduce the reference D in eval mode (stored u, v) and in
    train mode (one power iteration first)."""
    case = Case('train_sparnethd_64_ema05')
    dst = tmp_path / 'd.pdparams'
    _convert_tool()(['-c', DEMO, '--src', case.path('.D.init.pth'),
                     '--dst', str(dst), '--net', 'discriminator'])
    state = load_checkpoint(str(dst))
    assert sorted(state) == ['discriminator']
    cfg = load_config(DEMO)
    ref = np.load(case.path('.D.forward.npz'))
    gt = paddle.to_tensor(case.batch['gt'])
    for mode in ('eval', 'train'):
        d = build_discriminator(dict(cfg.model.discriminator))
        d.set_state_dict({k: paddle.to_tensor(v)
                          for k, v in state['discriminator'].items()})
        getattr(d, mode)()
        with paddle.no_grad():
            out = d(gt)
        for i, (score, feats) in enumerate(out):
            for what, got in [('score', score)] + [
                    (f'feat{j}', f) for j, f in enumerate(feats)]:
                want = ref[f'{mode}.scale{i}.{what}']
                err = np.abs(got.numpy() - want).max()
                assert err <= 1e-4 * max(1.0, np.abs(want).max()), (
                    mode, i, what, err)


def test_discriminator_weights_into_the_generator_fail_clearly(tmp_path,
                                                               capsys):
    case = Case('train_sparnethd_64_ema05')
    dst = tmp_path / 'g.pdparams'
    with pytest.raises(SystemExit) as exit_info:
        _convert_tool()(['-c', DEMO, '--src', case.path('.D.init.pth'),
                         '--dst', str(dst)])  # --net generator by default
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'D_pool.0.model.0' in err
    assert len(err.strip().splitlines()) <= 4 and not dst.exists()
