"""Checkpoint files: atomic writes, safe loads, clear errors with a fallback."""
import os
import pickle

import numpy as np
import paddle
import pytest

from ppgan_ext.io.checkpoint import (CheckpointError, load_checkpoint, save_checkpoint)


def state(v=1.0):
    net = paddle.nn.Linear(3, 2)
    return {'generator': net.state_dict(), 'epoch': 5,
            'optim': {'lr': np.float32(v)}}


def test_round_trip_and_no_temp_files_left(tmp_path):
    path = tmp_path / 'iter_5_checkpoint.pdparams'
    save_checkpoint(state(), str(path))
    got = load_checkpoint(str(path))
    assert got['epoch'] == 5 and set(got['generator']) == {'weight', 'bias'}
    assert os.listdir(tmp_path) == ['iter_5_checkpoint.pdparams']


def test_paddle_save_files_load_too(tmp_path):
    path = tmp_path / 'w.pdparams'
    paddle.save(paddle.nn.Conv2D(2, 3, 3).state_dict(), str(path))
    assert load_checkpoint(str(path))['weight'].shape == (3, 2, 3, 3)


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'ck.pdparams'
    save_checkpoint(state(1.0), str(path))
    good = path.read_bytes()

    def crash(*a, **k):
        raise KeyboardInterrupt  # killed mid-write

    monkeypatch.setattr('ppgan_ext.io.checkpoint.os.fsync', crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(state(2.0), str(path))
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ['ck.pdparams']


def test_truncated_file_error_names_it_and_last_good(tmp_path):
    good = tmp_path / 'iter_10_checkpoint.pdparams'
    save_checkpoint(state(), str(good))
    bad = tmp_path / 'iter_20_checkpoint.pdparams'
    bad.write_bytes(good.read_bytes()[:100])
    with pytest.raises(CheckpointError,
                       match=r'iter_20_checkpoint.pdparams: cannot load.*'
                       r'truncated.*newest loadable checkpoint there is '
                       r'.*iter_10_checkpoint.pdparams'):
        load_checkpoint(str(bad))
    empty = tmp_path / 'e.pdparams'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointError, match='e.pdparams.*it is empty'):
        load_checkpoint(str(empty))
    with pytest.raises(CheckpointError, match='no such checkpoint'):
        load_checkpoint(str(tmp_path / 'missing.pdparams'))


class _Evil:
    def __reduce__(self):
        return (os.system, ('touch PWNED',))


def test_pickled_code_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'evil.pdparams'
    path.write_bytes(pickle.dumps({'generator': _Evil()}))
    with pytest.raises(CheckpointError, match=r'evil.pdparams.*system'):
        load_checkpoint(str(path))
    assert not (tmp_path / 'PWNED').exists()


_KILL_WHILE_SAVING = r'''
import os, signal, sys
import numpy as np
from ppgan_ext.io import checkpoint
path, where = sys.argv[1], sys.argv[2]
big = {'generator': {'w': np.full((512, 1024), 2.0, 'float32')}, 'epoch': 2}
if where == 'mid-write':
    real = checkpoint.ppgan_save

    def half_then_die(state, tmp):
        real(state, tmp + '.full')
        data = open(tmp + '.full', 'rb').read()
        with open(tmp, 'wb') as f:
            f.write(data[:len(data) // 2])
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.ppgan_save = half_then_die
else:  # written and synced, killed before the rename
    def die(*args):
        os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.os.replace = die
checkpoint.save_checkpoint(big, path)
'''


@pytest.mark.parametrize('where', ['mid-write', 'before-rename'])
def test_sigkill_while_saving_keeps_the_previous_checkpoint(tmp_path, where):
    import signal
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    path = tmp_path / 'iter_1_checkpoint.pdparams'
    save_checkpoint(state(1.0), str(path))
    good = path.read_bytes()
    proc = subprocess.run([sys.executable, '-c', _KILL_WHILE_SAVING,
                           str(path), where], cwd=root, timeout=120,
                          env=dict(os.environ, PYTHONPATH=root))
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == good
    assert load_checkpoint(str(path))['epoch'] == 5
    # the dead process's temporary file is never taken for a checkpoint
    leftovers = [p for p in os.listdir(tmp_path) if p.startswith('.')]
    assert leftovers and not any(p.endswith('.pdparams') for p in leftovers)
