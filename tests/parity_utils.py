"""Shared helpers for the parity tests against ``tests/fixtures/parity``.

Each case ``NAME`` ships ``NAME.json`` (reference kwargs, ``suggested_atol``,
...), ``NAME.pth`` (reference state_dict), ``NAME.input.npy`` and
``NAME.output.npy``; see ``tests/fixtures/parity/README.md``.
"""
import json
import os

import numpy as np

import ppgan_ext  # noqa: F401  (Paddle-3 shim before anything from ppgan)
import paddle

from ppgan_ext.convert import convert_state_dict
from ppgan_ext.io.torch_reader import load_torch_state_dict

PARITY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          'fixtures', 'parity')


def case_path(name, suffix):
    """Path of ``NAME<suffix>`` in the parity fixture folder."""
    return os.path.join(PARITY_DIR, name + suffix)


def load_case(name):
    """Return ``(case_json, state_dict, input, output)`` of case ``name``.

    ``state_dict`` is the reference ``OrderedDict[str, np.ndarray]`` read
    without torch; ``input``/``output`` are the stored numpy arrays.
    """
    with open(case_path(name, '.json'), encoding='utf-8') as f:
        case = json.load(f)
    state = load_torch_state_dict(case_path(name, '.pth'))
    x = np.load(case_path(name, '.input.npy'))
    y = np.load(case_path(name, '.output.npy'))
    return case, state, x, y


def max_abs_error(out, expected):
    """``max|out - expected|`` as a Python float (accepts paddle tensors)."""
    if hasattr(out, 'numpy'):
        out = out.numpy()
    out = np.asarray(out, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert out.shape == expected.shape, (
        f'output shape {out.shape} != reference {expected.shape}')
    return float(np.max(np.abs(out - expected)))


def assert_parity(out, case_json, expected=None):
    """Assert ``max|out - reference| <= suggested_atol``; return the error.

    ``expected`` defaults to the case's stored ``NAME.output.npy``.
    """
    if expected is None:
        expected = np.load(case_path(case_json['case'], '.output.npy'))
    err = max_abs_error(out, expected)
    atol = float(case_json['suggested_atol'])
    assert err <= atol, (
        f"{case_json['case']}: max abs error {err:.3e} > suggested_atol "
        f'{atol:.3e}')
    return err


def load_converted(net, src_state):
    """Convert ``src_state`` for ``net`` and load it in place."""
    converted = convert_state_dict(src_state, net)
    net.set_state_dict({k: paddle.to_tensor(v) for k, v in converted.items()})
    return net
