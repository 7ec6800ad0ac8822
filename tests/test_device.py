"""--device resolution with Paddle's device queries patched."""
import paddle
import pytest

from ppgan_ext import device
from ppgan_ext.device import DeviceError, resolve_device


@pytest.fixture
def machine(monkeypatch):
    """Pretend devices exist: machine(gpu=2, npu=2, xpu=0)."""

    def setup(gpu=0, npu=0, xpu=0, mlu=0):
        custom = {k: n for k, n in (('npu', npu), ('mlu', mlu)) if n}
        monkeypatch.setattr(paddle, 'is_compiled_with_cuda', lambda: gpu > 0)
        monkeypatch.setattr(paddle.device.cuda, 'device_count', lambda: gpu)
        monkeypatch.setattr(paddle, 'is_compiled_with_xpu', lambda: xpu > 0)
        monkeypatch.setattr(paddle.device.xpu, 'device_count', lambda: xpu,
                            raising=False)
        monkeypatch.setattr(paddle.device, 'get_all_custom_device_type',
                            lambda: list(custom))
        monkeypatch.setattr(
            paddle.device, 'get_available_custom_device',
            lambda: [f'{k}:{i}' for k, n in custom.items() for i in range(n)])
        for var in ('FLAGS_selected_npus', 'FLAGS_selected_gpus',
                    'PADDLE_LOCAL_RANK', 'PADDLE_TRAINERS_NUM'):
            monkeypatch.delenv(var, raising=False)

    return setup


def test_auto_prefers_npu_then_gpu_then_cpu(machine):
    machine(gpu=2, npu=2, mlu=1)
    assert resolve_device('auto') == 'npu:0'
    machine(gpu=2, mlu=1)
    assert resolve_device('auto') == 'mlu:0'
    machine(gpu=2)
    assert resolve_device('auto') == 'gpu:0'
    machine()
    assert resolve_device('auto') == 'cpu'
    assert resolve_device(None) == 'cpu'


def test_explicit_devices(machine):
    machine(gpu=2, npu=4, xpu=1)
    assert resolve_device('cpu') == 'cpu'
    assert resolve_device('gpu:1') == 'gpu:1'
    assert resolve_device('NPU:3') == 'npu:3'
    assert resolve_device('xpu') == 'xpu:0'


def test_missing_device_fails_listing_what_exists(machine):
    machine(gpu=1)
    with pytest.raises(DeviceError, match=r"no npu device.*cpu, gpu:0\.\.0"):
        resolve_device('npu')
    with pytest.raises(DeviceError, match=r'gpu:3 does not exist'):
        resolve_device('gpu:3')
    with pytest.raises(DeviceError, match='index must be a number'):
        resolve_device('gpu:x')
    with pytest.raises(DeviceError, match='cpu takes no index'):
        resolve_device('cpu:1')


def test_each_distributed_rank_takes_its_own_card(machine, monkeypatch):
    machine(npu=8, gpu=2)
    monkeypatch.setenv('FLAGS_selected_npus', '5')
    assert resolve_device('auto') == 'npu:5'
    assert resolve_device('npu') == 'npu:5'
    assert resolve_device('npu:2') == 'npu:2'  # explicit index wins
    monkeypatch.setenv('PADDLE_TRAINERS_NUM', '2')
    monkeypatch.setenv('PADDLE_LOCAL_RANK', '1')
    assert resolve_device('gpu') == 'gpu:1'  # no FLAGS_selected_gpus


def test_set_device_on_this_machine():
    assert device.set_device('cpu') == 'cpu'
    assert paddle.device.get_device() == 'cpu'
