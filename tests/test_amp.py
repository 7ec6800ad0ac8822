"""The shared AMP piece: config checks, CPU refusal, the off path trains."""
import subprocess
import sys

import paddle
import pytest

from ppgan_ext.amp import Amp, AmpError


def test_config_is_validated():
    assert Amp.from_config(None).level == 'off'
    amp = Amp.from_config({'level': 'O2', 'dtype': 'float16',
                           'loss_scale': 128})
    assert (amp.level, amp.loss_scale) == ('O2', 128.0)
    with pytest.raises(AmpError, match="amp.level: 'O3'"):
        Amp(level='O3')
    with pytest.raises(AmpError, match="amp.dtype: 'float8'"):
        Amp(dtype='float8')
    with pytest.raises(AmpError, match="amp.loss_scale: 'lots'"):
        Amp(loss_scale='lots')
    with pytest.raises(AmpError, match='must be > 0'):
        Amp(loss_scale=0)
    with pytest.raises(AmpError, match=r"unknown key\(s\) \['scale'\]"):
        Amp.from_config({'level': 'O1', 'scale': 128})


@pytest.mark.parametrize('level', ['O1', 'O2'])
def test_amp_on_cpu_is_refused_not_faked(level):
    amp = Amp(level=level)
    with pytest.raises(AmpError, match='not available on the CPU'):
        amp.check_device('cpu')
    Amp(level='off').check_device('cpu')  # off is fine anywhere


def test_static_and_dynamic_scalers_are_configured_as_asked():
    # The Ascend SPARNet port: O2, static loss scale 128.
    assert Amp(level='O2', loss_scale=128).scaler_kwargs() == dict(
        enable=True, init_loss_scaling=128.0, use_dynamic_loss_scaling=False)
    assert Amp(level='O1').scaler_kwargs() == dict(
        enable=True, init_loss_scaling=2.0**15, use_dynamic_loss_scaling=True)
    assert not Amp(level='O1', dtype='bfloat16').scaler_kwargs()['enable']
    assert not Amp().scaler_kwargs()['enable']
    amp = Amp()
    assert amp.scaler('G') is amp.scaler('G')
    assert amp.scaler('G') is not amp.scaler('D')


def test_off_path_steps_the_optimizer():
    paddle.seed(0)
    net = paddle.nn.Linear(4, 1)
    opt = paddle.optimizer.SGD(0.1, parameters=net.parameters())
    amp = Amp()
    x = paddle.rand([8, 4])
    before = net.weight.numpy().copy()
    with amp.autocast():
        loss = net(x).pow(2).mean()
    assert amp.step(loss, opt) is True
    assert (net.weight.numpy() != before).any()


def test_cli_refuses_amp_on_cpu_before_training(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/main.py', '-c',
         'configs/esrgan_psnr_x4_animesr.yaml', '--amp', 'O2', '--device',
         'cpu', '-o', f'output_dir={tmp_path}'],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert 'mixed precision is not available on the CPU' in proc.stderr
    assert 'Traceback' not in proc.stderr
