"""The torch-free .pth reader: both formats, whole-module pickles, safety."""
import collections
import os
import pickle

import numpy as np
import paddle
import pytest

from tests.parity_utils import assert_parity, load_case, load_converted
from ppgan_ext.io.checkpoint import CheckpointError
from ppgan_ext.io.safe_pickle import UnsafeCheckpointError
from ppgan_ext.io.torch_reader import load_torch_state_dict
from ppgan_ext.models.generators.rdn import RDN
from tests.torch_pickle_fakes import (FakeTensor, make_module,
                                      write_raw_zip_pickle,
                                      write_torch_legacy, write_torch_zip)


def _nested_module(state):
    """Rebuild an nn.Module-like tree from a flat state_dict."""
    tree = {}
    for key, value in state.items():
        *path, leaf = key.split('.')
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault('__params__', {})[leaf] = value

    def build(name, node):
        children = {k: build(k, v) for k, v in node.items()
                    if k != '__params__'}
        return make_module('Module' + name.capitalize(),
                           node.get('__params__'), children)

    return build('RDN', tree)


def test_zip_and_legacy_formats_round_trip(tmp_path):
    state = collections.OrderedDict(
        w=np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        t=np.arange(6, dtype=np.float32).reshape(2, 3).T,  # non-contiguous
        n=np.array(7, dtype=np.int64))
    fakes = collections.OrderedDict((k, FakeTensor(v)) for k, v in
                                    state.items())
    for writer, name in ((write_torch_zip, 'z.pth'),
                         (write_torch_legacy, 'l.pth')):
        path = tmp_path / name
        writer(path, fakes)
        got = load_torch_state_dict(path)
        assert list(got) == list(state)
        for k in state:
            np.testing.assert_array_equal(got[k], state[k])


def test_whole_pickled_model_converts_to_reference_output(tmp_path):
    case, state, x, y = load_case('tiny_rdn')
    path = tmp_path / 'whole_model.pth'
    write_torch_zip(path, _nested_module(state))
    with pytest.raises(UnsafeCheckpointError, match='refmodel.rdn'):
        load_torch_state_dict(path)
    got = load_torch_state_dict(path, allow_module_objects=True)
    assert list(got) == list(state)
    net = RDN(in_channels=3, out_channels=3, num_features=16, growth_rate=16,
              num_blocks=3, num_layers=3, scale=2, upsampler='seed')
    load_converted(net, got)
    net.eval()
    with paddle.no_grad():
        assert_parity(net(paddle.to_tensor(x)), case)


class _RunsShell:
    def __reduce__(self):
        return (os.system, ('touch PWNED',))


def test_malicious_pickle_is_refused_without_running_code(tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'evil.pth'
    write_raw_zip_pickle(path, pickle.dumps({'w': _RunsShell()}, protocol=2))
    for allow in (False, True):
        with pytest.raises(UnsafeCheckpointError, match=r"evil.pth.*'posix.system'|evil.pth.*'os.system'"):
            load_torch_state_dict(path, allow_module_objects=allow)
    assert not (tmp_path / 'PWNED').exists()


def test_stub_classes_cannot_be_called_with_arguments(tmp_path):
    # A non-stdlib global used as a callable (REDUCE with args) is refused
    # even in whole-module mode: stubs only stand for pickled instances.
    payload = (b'\x80\x02crefmodel.evil\nDoIt\nq\x00X\x02\x00\x00\x00rmq\x01'
               b'\x85q\x02Rq\x03.')
    path = tmp_path / 'call.pth'
    write_raw_zip_pickle(path, payload)
    with pytest.raises(UnsafeCheckpointError, match='refmodel.evil.DoIt'):
        load_torch_state_dict(path, allow_module_objects=True)


@pytest.mark.parametrize('content', [b'', b'not a checkpoint at all',
                                     b'PK\x03\x04truncated zip'])
def test_unreadable_files_name_the_file(tmp_path, content):
    path = tmp_path / 'bad.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match='bad.pth'):
        load_torch_state_dict(path)


def test_truncated_zip_checkpoint(tmp_path):
    good = tmp_path / 'good.pth'
    write_torch_zip(good, {'w': FakeTensor(np.ones((64, 64), np.float32))})
    data = good.read_bytes()
    bad = tmp_path / 'cut.pth'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match='cut.pth'):
        load_torch_state_dict(bad)
