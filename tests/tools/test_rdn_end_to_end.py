"""RDN through the command line: train, validate, save, evaluate, resume.

A tiny RDN (G0=8, D=2, C=2, G=8) on the embedded demo photos
(``data/demo_sr``, built on first use) driven by
``ppgan_ext.cli.main`` in-process, so the whole module stays a few
seconds on 2 CPU cores.
"""
import logging
import math
import os

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401  (compat + registrations before ppgan)
from ppgan_ext.config import load_config
from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext import cli
from ppgan_ext.io.checkpoint import load_checkpoint
from ppgan_ext.engine.trainer import ExtTrainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'rdn_x2_demo.yaml')


def tiny_overrides(data, **extra):
    """``-o`` overrides: tiny RDN, tiny patches, demo data under ``data``."""
    opts = {
        'model.generator.num_features': 8,
        'model.generator.num_blocks': 2,
        'model.generator.num_layers': 2,
        'model.generator.growth_rate': 8,
        'dataset.train.batch_size': 2,
        'dataset.train.gt_folder': f'{data}/train',
        'dataset.train.lq_folder': f'{data}/train_X2',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size': 24,
        'dataset.test.gt_folder': f'{data}/test',
        'dataset.test.lq_folder': f'{data}/test_X2',
        'log_config.interval': 1,
        'validate.interval': 2,
        'snapshot_config.interval': 2,
        'snapshot_config.keep_checkpoints': -1,
    }
    opts.update(extra)
    return [f'{k}={v}' for k, v in opts.items()]


class _Records(logging.Handler):
    """Collects the messages of the 'ppgan' logger during one run."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def run_cli(argv):
    """``cli.main(argv)``; returns (trainer, logged messages).

    Runs under a fresh Paddle name scope, as a new process would: optimizer
    states in a checkpoint are keyed by auto-generated parameter names
    (``conv2d_0.w_0``), which keep counting up within one process.
    """
    logger = logging.getLogger('ppgan')
    records = _Records()
    logger.addHandler(records)
    try:
        with paddle.utils.unique_name.guard():
            trainer = cli.main(argv)
    finally:
        logger.removeHandler(records)
    return trainer, records.messages


def run_folder(output_dir):
    runs = [os.path.join(output_dir, d) for d in os.listdir(output_dir)]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.fixture(scope='module')
def data():
    return build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *a: None)


@pytest.fixture(scope='module')
def trained(data, tmp_path_factory):
    """3 iterations, validation + snapshot every 2 (so also at 2) and at the
    end (3)."""
    out = str(tmp_path_factory.mktemp('train'))
    trainer, log = run_cli(['-c', CONFIG, '--seed', '0', '-o',
                            f'output_dir={out}', 'total_iters=3'] +
                           tiny_overrides(data))
    return dict(trainer=trainer, log=log, run=run_folder(out))


def test_training_writes_checkpoints_and_logs_metrics(trained):
    files = set(os.listdir(trained['run']))
    for name in ('iter_2_weight.pdparams', 'iter_2_checkpoint.pdparams',
                 'iter_3_weight.pdparams', 'iter_3_checkpoint.pdparams'):
        assert name in files, sorted(files)
    assert any(f.startswith('vdlrecords') for f in files)
    log = trained['log']
    assert [m for m in log if m.startswith('Iter: 3/3')]
    # validated at iteration 2 (interval) and 3 (end of training)
    assert len([m for m in log if m.startswith('Metric psnr:')]) == 2
    assert len([m for m in log if m.startswith('Metric ssim:')]) == 2
    metrics = trained['trainer'].last_metrics
    assert set(metrics) == {'psnr', 'ssim'}
    assert all(math.isfinite(v) for v in metrics.values())
    final = load_checkpoint(
        os.path.join(trained['run'], 'iter_3_checkpoint.pdparams'))
    assert final['epoch'] == 3
    assert 'generator' in final and 'optim' in final


def test_evaluate_only_reproduces_final_validation(trained, data, tmp_path):
    weights = os.path.join(trained['run'], 'iter_3_weight.pdparams')
    trainer, log = run_cli(['-c', CONFIG, '--evaluate-only', '--load',
                            weights, '-o', f'output_dir={tmp_path}'] +
                           tiny_overrides(data))
    assert trainer.last_metrics == trained['trainer'].last_metrics
    assert 'Loaded weights for net generator' in log


def test_resume_continues_at_next_iteration(trained, data, tmp_path):
    ckpt = os.path.join(trained['run'], 'iter_2_checkpoint.pdparams')
    _, log = run_cli(['-c', CONFIG, '--seed', '0', '--resume', ckpt, '-o',
                      f'output_dir={tmp_path}', 'total_iters=3'] +
                     tiny_overrides(data))
    iters = [m.split()[1] for m in log if m.startswith('Iter:')]
    assert iters == ['3/3']
    final = load_checkpoint(os.path.join(run_folder(str(tmp_path)),
                                         'iter_3_checkpoint.pdparams'))
    assert final['epoch'] == 3
    # the optimizer state came from the checkpoint: Adam's beta1 power
    # (0.9 ** (steps + 1) in Paddle) matches the uninterrupted 3-step run,
    # not a fresh optimizer's 0.9 ** 2
    uninterrupted = load_checkpoint(
        os.path.join(trained['run'], 'iter_3_checkpoint.pdparams'))
    assert _beta1_pow(final['optim']) == pytest.approx(0.9 ** 4, rel=1e-5)
    assert _beta1_pow(final['optim']) == pytest.approx(
        _beta1_pow(uninterrupted['optim']), rel=1e-6)


def _beta1_pow(optim_state):
    values = [np.asarray(v).item() for k, v in optim_state.items()
              if k.endswith('beta1_pow_acc_0')]
    assert values, sorted(optim_state)[:5]
    return values[0]


def test_loss_decreases_on_a_fixed_batch(data, tmp_path):
    """30 steps of ExtSRModel.train_iter on one fixed batch of real patches:
    the L1 loss must start sane (PyTorch-default init) and drop a lot."""
    cfg = load_config(CONFIG, tiny_overrides(data, **{
        'output_dir': str(tmp_path), 'enable_visualdl': False,
        'dataset.train.batch_size': 4, 'lr_scheduler.learning_rate': 2e-3}))
    cfg.is_train = True
    cfg.profiler_options = None
    paddle.seed(0)
    np.random.seed(0)
    trainer = ExtTrainer(cfg)
    batch = next(iter(trainer.train_dataloader))
    model = trainer.model
    model.setup_train_mode(is_train=True)
    losses = []
    for i in range(30):
        model.current_iter = i + 1
        model.setup_input(batch)
        model.train_iter(trainer.optimizers)
        losses.append(float(model.losses['loss_pixel']))
    assert losses[0] < 1.0, losses[0]  # Paddle's default init gives ~1e3
    print(f"L1 at steps 1, 10, 20, 30: {losses[0]:.4f} {losses[9]:.4f} "
          f"{losses[19]:.4f} {losses[29]:.4f}")
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses


SEED_CONFIG = os.path.join(ROOT, 'configs', 'rdn_seed_x2.yaml')


def test_seed_protocol_config_trains_by_epochs_and_evaluates(data, tmp_path):
    """configs/rdn_seed_x2.yaml (grey images, epoch milestones) from the
    command line: 2 epochs of 2 iterations with the lr halving after epoch
    1, then --evaluate-only --load of the final weights gives the same
    metric."""
    import shutil
    small = tmp_path / 'data'
    names = sorted(os.listdir(os.path.join(data, 'train')))
    for split, picked in (('train', names[:4]), ('test', names[4:5])):
        for suffix in ('', '_X2'):
            os.makedirs(small / (split + suffix))
            for name in picked:
                shutil.copy(os.path.join(data, 'train' + suffix, name),
                            small / (split + suffix) / name)
    opts = [f'{k}={v}' for k, v in {
        'model.generator.num_features': 8, 'model.generator.growth_rate': 8,
        'model.generator.num_layers': 2, 'dataset.train.batch_size': 2,
        'dataset.train.num_workers': 0,
        'dataset.train.gt_folder': small / 'train',
        'dataset.train.lq_folder': small / 'train_X2',
        'dataset.train.preprocess.2.pipeline.0.gt_patch_size': 24,
        'dataset.test.gt_folder': small / 'test',
        'dataset.test.lq_folder': small / 'test_X2',
        'lr_scheduler.milestones': [1], 'epochs': 2,
        'log_config.interval': 1, 'validate.interval': 4,
        'enable_visualdl': False}.items()]
    out = tmp_path / 'run'
    trainer, log = run_cli(['-c', SEED_CONFIG, '--seed', '0', '-o',
                            f'output_dir={out}'] + opts)
    lrs = [float(m.split(' lr: ')[1].split()[0]) for m in log
           if m.startswith('Epoch:') and ' lr: ' in m]
    # iterations 1-2 are epoch 1 at 1e-3, 3-4 epoch 2 at 5e-4
    assert lrs == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4]), log
    assert set(trainer.last_metrics) == {'psnr'}
    weights = os.path.join(run_folder(str(out)), 'epoch_2_weight.pdparams')
    again, _ = run_cli(['-c', SEED_CONFIG, '--evaluate-only', '--load',
                        weights, '-o', f'output_dir={tmp_path / "eval"}'] +
                       opts)
    assert again.last_metrics == trainer.last_metrics


def test_trained_weights_through_the_tool_in_each_precision(trained, data,
                                                            tmp_path):
    """Weights the trainer wrote -> tools/inference.py --precision fp32 /
    bf16 -> the trainer's own generator output (fp32: within one 8-bit
    level; bf16: within bf16's rounding, or refused in one line where this
    CPU cannot run bf16)."""
    from ppgan_ext.io.images import read_image
    from ppgan_ext.deploy.precision import bf16_support
    from tools import inference
    weights = os.path.join(trained['run'], 'iter_3_weight.pdparams')
    from tests.predictor_fakes import write_config
    gen = load_config(CONFIG, tiny_overrides(data))['model']['generator']
    cfg_path = write_config(tmp_path, dict(gen))  # pixels 0..255 -> 0..1
    src = os.path.join(f'{data}/test_X2', sorted(os.listdir(
        f'{data}/test_X2'))[0])
    net = trained['trainer'].model.nets['generator']
    net.eval()
    lr = read_image(src)
    with paddle.no_grad():
        want = net(paddle.to_tensor(lr.transpose(2, 0, 1)[None]
                                    .astype('float32') / 255)).numpy()[0]
    want = np.clip(np.round(want * 255), 0, 255).transpose(1, 2, 0)
    for precision, bound in (('fp32', 1), ('bf16', 8)):
        out = tmp_path / precision
        argv = ['-c', cfg_path, '--weights', weights, '--input', src,
                '--out', str(out), '--precision', precision]
        if precision == 'bf16' and bf16_support() is None:
            with pytest.raises(SystemExit) as e:
                inference.main(argv)
            assert e.value.code == 2
            continue
        with pytest.raises(SystemExit) as e:
            inference.main(argv)
        assert e.value.code == 0
        got = read_image(str(out / os.path.basename(src)))
        assert np.abs(got.astype(int) - want).max() <= bound, precision
