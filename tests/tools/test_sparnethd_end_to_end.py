"""SPARNetHD through the command line: a couple of training iterations with
configs/sparnethd_demo.yaml, ``--evaluate-only --load`` of the saved EMA
weights, released-checkpoint conversion (tiny parity cases) into the
EMA net that evaluation uses, and a reference discriminator's conversion
(``--net discriminator``, the training-parity case's D)."""
import glob
import os

import numpy as np
import paddle
import pytest

from tests.parity_utils import assert_parity, case_path, load_case
from tests.real_faces import write_lfw_faces
import ppgan_ext  # noqa: F401
import ppgan_ext.convert.mappings.sparnet  # noqa: F401
import ppgan_ext.datasets.ffhq_degradation_dataset  # noqa: F401
import ppgan_ext.models.criterions.gan_losses  # noqa: F401
import ppgan_ext.models.discriminators.multiscale  # noqa: F401
import ppgan_ext.models.sparnethd_model  # noqa: F401
from ppgan.models.discriminators.builder import build_discriminator
from ppgan_ext.config import load_config
from ppgan_ext.io.checkpoint import load_checkpoint
from ppgan_ext.cli import main
from ppgan_ext.models.generators.sparnet import SPARNet
from tests.train_parity import Case
from tools import convert_weights

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(ROOT, 'configs', 'sparnethd_demo.yaml')
# two VGG layers instead of five: same code path, a fraction of the time
SMALL_VGG = "model.perceptual_criterion.layer_weights={'2': 1.0, '7': 1.0}"


@pytest.fixture(scope='module')
def faces(tmp_path_factory):
    """Four real faces, 64x64 RGB."""
    return write_lfw_faces(tmp_path_factory.mktemp('faces'), range(4), 64)


def common_args(out, faces):
    return ['-c', DEMO, '--device', 'cpu', '-o', f'output_dir={out}',
            f'dataset.train.gt_folder={faces}',
            f'dataset.test.gt_folder={faces}', 'enable_visualdl=false',
            SMALL_VGG]


def test_train_two_iterations_then_evaluate_the_saved_ema(tmp_path, faces):
    out = str(tmp_path / 'train')
    argv = common_args(out, faces) + [
        'total_iters=2', 'validate.interval=2', 'snapshot_config.interval=2',
        'log_config.interval=1', 'model.accumulate_steps=2']
    trainer = main(argv[:4] + ['--seed', '0'] + argv[4:])
    losses = trainer.model.get_current_losses()
    assert set(losses) == {'loss_pixel', 'loss_perceptual', 'loss_gan',
                           'loss_feature_matching', 'loss_D'}
    assert all(np.isfinite(v) for v in losses.values())
    trained = trainer.last_metrics
    assert set(trained) == {'psnr', 'ssim'} and trained['psnr'] > 0

    weight = glob.glob(os.path.join(out, '*', 'iter_2_weight.pdparams'))
    assert len(weight) == 1
    state = load_checkpoint(weight[0])
    assert {'generator', 'generator_ema', 'discriminator'} <= set(state)
    key = 'in_conv.conv.weight_orig'
    assert not np.array_equal(state['generator'][key],
                              state['generator_ema'][key])

    # evaluation needs no VGG file and scores the saved EMA generator
    evaluator = main(common_args(str(tmp_path / 'eval'), faces) + [
        'model.perceptual_criterion.vgg_weights=/nonexistent/vgg19.pth',
        'model.perceptual_criterion.random_vgg=false', '--evaluate-only',
        '--load', weight[0]])
    ema = evaluator.model.nets['generator_ema'].state_dict()
    np.testing.assert_array_equal(ema[key].numpy(),
                                  state['generator_ema'][key])
    for name, value in trained.items():
        assert evaluator.last_metrics[name] == pytest.approx(value,
                                                             rel=1e-6)


def test_converted_tiny_release_evaluates_as_the_ema_net(tmp_path, faces):
    # the demo generator is the tiny_sparnethd parity architecture
    dst = str(tmp_path / 'tiny_sparnethd.pdparams')
    convert_weights.main(['-c', DEMO, '--src',
                          case_path('tiny_sparnethd', '.pth'), '--dst', dst])
    assert set(load_checkpoint(dst)) == {'generator', 'generator_ema'}
    evaluator = main(common_args(str(tmp_path / 'eval'), faces) +
                     ['--evaluate-only', '--load', dst])
    assert set(evaluator.last_metrics) == {'psnr', 'ssim'}
    case, _, x, _ = load_case('tiny_sparnethd')
    ema = evaluator.model.nets['generator_ema']
    ema.eval()
    with paddle.no_grad():
        assert_parity(ema(paddle.to_tensor(x)), case)


@pytest.mark.parametrize('config,case_name', [
    ('sparnethd_attn2d.yaml', 'tiny_sparnethd'),
    ('sparnethd_attn3d.yaml', 'tiny_sparnethd_attn3d')])
def test_hd_configs_convert_through_the_tool(tmp_path, config, case_name):
    case, _, x, _ = load_case(case_name)
    kw = case['kwargs']
    hourglass = case['extra']['hourglass_c_mid']
    dst = str(tmp_path / 'converted.pdparams')
    convert_weights.main([
        '-c', os.path.join(ROOT, 'configs', config), '--src',
        case_path(case_name, '.pth'), '--dst', dst, '-o'] + [
            f'model.generator.{k}={kw[k]}' for k in
            ('min_ch', 'max_ch', 'in_size', 'out_size', 'min_feat_size',
             'res_depth', 'bottleneck_size')] + [
            f'model.generator.hourglass_width={hourglass}'])
    state = load_checkpoint(dst)
    assert set(state) == {'generator', 'generator_ema'}
    net = SPARNet(**kw, hourglass_width=hourglass, spectral_norm=True)
    net.set_state_dict({k: paddle.to_tensor(v)
                        for k, v in state['generator_ema'].items()})
    net.eval()
    with paddle.no_grad():
        assert_parity(net(paddle.to_tensor(x)), case)


def test_attn2d_config_trains_with_a_small_local_vgg_file(tmp_path, faces):
    """The released config's own pipeline, a tiny generator, and VGG19
    weights from a small local file (features up to conv2_2)."""
    from tests.models.criterions.test_local_perceptual_loss import (
        small_vgg_state)
    from ppgan_ext.io.checkpoint import save_checkpoint
    vgg_file = tmp_path / 'vgg19_small.pdparams'
    save_checkpoint(dict(small_vgg_state()), str(vgg_file))
    tiny = ['model.generator.min_ch=8', 'model.generator.max_ch=16',
            'model.generator.in_size=64', 'model.generator.out_size=64',
            'model.generator.min_feat_size=16', 'model.generator.res_depth=1',
            'model.generator.hourglass_width=8',
            'model.discriminator.base_channels=8',
            'model.discriminator.max_channels=16',
            'model.discriminator.num_D=2', 'model.discriminator.n_layers=2']
    trainer = main([
        '-c', os.path.join(ROOT, 'configs', 'sparnethd_attn2d.yaml'),
        '--device', 'cpu', '--seed', '0', '-o',
        f'output_dir={tmp_path / "out"}', 'total_iters=2',
        f'dataset.train.gt_folder={faces}', f'dataset.test.gt_folder={faces}',
        'dataset.train.size=64', 'dataset.test.size=64',
        'dataset.train.batch_size=1', 'dataset.train.num_workers=0',
        'enable_visualdl=false', SMALL_VGG,
        f'model.perceptual_criterion.vgg_weights={vgg_file}'] + tiny)
    losses = trainer.model.get_current_losses()
    assert np.isfinite(float(losses['loss_perceptual']))
    assert glob.glob(str(tmp_path / 'out' / '*' / 'iter_2_weight.pdparams'))


def test_reference_discriminator_converts_and_matches(tmp_path):
    """The demo config's D is the 64x64 case's; its converted init
    weights reproduce the reference D in eval mode (stored u, v) and in
    train mode (one power iteration first)."""
    case = Case('train_sparnethd_64_ema05')
    dst = tmp_path / 'd.pdparams'
    convert_weights.main(['-c', DEMO, '--src', case.path('.D.init.pth'),
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
        convert_weights.main(['-c', DEMO, '--src', case.path('.D.init.pth'),
                         '--dst', str(dst)])  # --net generator by default
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'D_pool.0.model.0' in err
    assert len(err.strip().splitlines()) <= 4 and not dst.exists()
