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
computes the same thing. In float32 every loss term passes as well, and 2
of G's (256x256) and 1 of D's (64x64) parameters take their first step the
other way (``benchmarks/train_parity_float32.py``, docs/sparnethd.md).

The reference D's conversion (``tools/convert_weights.py --net
discriminator``) is tested in ``tests/tools/test_sparnethd_end_to_end.py``.
"""
import paddle
import pytest

from ppgan_ext.io.checkpoint import save_checkpoint
from tests.train_parity import (Case, config_model, train_and_check,
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
