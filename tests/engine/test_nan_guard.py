"""NaN/Inf guard: a non-finite loss (plugin and ppgan models) or gradient
(plugin models) stops training at that iteration with the loss terms and
the last good checkpoint, which is left as it was."""
import glob
import os

import numpy as np
import paddle
import pytest

import ppgan_ext  # noqa: F401  (Paddle-3 compat before ppgan is imported)
from ppgan.models.criterions.pixel_loss import L1Loss
from ppgan_ext.amp import Amp, NonFiniteLossError
from ppgan_ext.prepare.demo_data import build_demo_sr
from ppgan_ext.io.checkpoint import load_checkpoint
from ppgan_ext.cli import main, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SMALL = ['dataset.train.batch_size=2', 'log_config.interval=1',
         'dataset.train.preprocess.2.pipeline.0.gt_patch_size=32',
         'snapshot_config.interval=2', 'validate.interval=100',
         'enable_visualdl=false', 'total_iters=5']
CONFIGS = {
    'rdn': ('configs/rdn_x2_demo.yaml',
            ['model.generator.num_features=8', 'model.generator.num_blocks=1',
             'model.generator.num_layers=2', 'model.generator.growth_rate=4']),
    'esrgan': ('configs/esrgan_psnr_x4_demo.yaml',
               ['model.generator.nf=8', 'model.generator.nb=1']),
}


@pytest.fixture(scope='module', autouse=True)
def demo_data():
    build_demo_sr(os.path.join(ROOT, 'data'), log=lambda *_: None)


def poison_loss_at(monkeypatch, call, make_bad):
    """The ``call``-th L1 loss (1-based) is replaced by ``make_bad(loss)``."""
    forward, calls = L1Loss.__call__, []

    def poisoned(self, pred, target, **kwargs):
        loss = forward(self, pred, target, **kwargs)
        calls.append(1)
        return make_bad(loss, pred) if len(calls) == call else loss

    monkeypatch.setattr(L1Loss, '__call__', poisoned)


def nan_loss(loss, pred):
    return loss * float('nan')


def inf_gradient(loss, pred):
    # finite value, infinite derivative: d sqrt(x)/dx at x = 0
    return loss + paddle.sqrt(pred.mean() * 0.0)


def argv(name, out):
    config, tiny = CONFIGS[name]
    return ['-c', os.path.join(ROOT, config), '--device', 'cpu', '--seed',
            '1', '-o', f'output_dir={out}', *SMALL, *tiny]


def assert_checkpoint_two_is_last_and_finite(out):
    run_dir = glob.glob(os.path.join(out, '*'))[0]
    assert sorted(os.path.basename(p) for p in
                  glob.glob(os.path.join(run_dir, 'iter_*'))) == [
        'iter_2_checkpoint.pdparams', 'iter_2_weight.pdparams']
    state = load_checkpoint(os.path.join(run_dir,
                                         'iter_2_checkpoint.pdparams'))
    assert state['epoch'] == 2
    assert all(np.isfinite(v).all() for v in state['generator'].values())
    return run_dir


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_nan_loss_stops_at_its_iteration(name, monkeypatch, tmp_path):
    poison_loss_at(monkeypatch, 3, nan_loss)
    with paddle.utils.unique_name.guard():
        with pytest.raises(NonFiniteLossError) as err:
            main(argv(name, tmp_path))
    run_dir = assert_checkpoint_two_is_last_and_finite(tmp_path)
    msg = str(err.value)
    assert msg.startswith('iteration 3: non-finite loss: loss_pixel=nan')
    assert f'{run_dir}/iter_2_checkpoint.pdparams, is untouched' in msg


def test_infinite_gradient_with_finite_loss_stops_too(monkeypatch, tmp_path):
    poison_loss_at(monkeypatch, 3, inf_gradient)
    with paddle.utils.unique_name.guard():
        with pytest.raises(NonFiniteLossError,
                           match=r"iteration 3: non-finite gradient for "
                           r"optimizer 'default' \(first: parameter "):
            main(argv('rdn', tmp_path))
    assert_checkpoint_two_is_last_and_finite(tmp_path)


def test_command_line_prints_one_line_and_exits_2(monkeypatch, tmp_path,
                                                  capsys):
    poison_loss_at(monkeypatch, 2, nan_loss)
    with paddle.utils.unique_name.guard():
        with pytest.raises(SystemExit) as exit_:
            run(argv('esrgan', tmp_path))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: iteration 2: non-finite loss: '
                              'loss_pixel=nan')
    assert 'no checkpoint was written yet' in err[-1]
    assert 'Traceback' not in '\n'.join(err)


def test_gradient_check_passes_finite_and_names_the_bad_parameter():
    net = paddle.nn.Linear(2, 2)
    opt = paddle.optimizer.SGD(0.1, parameters=net.parameters())
    amp = Amp()
    net(paddle.ones([1, 2])).sum().backward()
    before = net.weight.numpy().copy()
    assert amp.apply(opt) is True
    assert not np.array_equal(before, net.weight.numpy())
    opt.clear_grad()
    (net(paddle.ones([1, 2])).sum() * float('inf')).backward()
    before = net.weight.numpy().copy()
    with pytest.raises(NonFiniteLossError, match=net.weight.name):
        amp.apply(opt, 'G')
    np.testing.assert_array_equal(before, net.weight.numpy())
