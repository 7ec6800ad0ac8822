"""Checkpoint files: atomic writes and safe, clearly-failing reads.

ppgan writes ``.pdparams`` as a plain pickle of ``{net_name: {key: ndarray}}``
(plus ``epoch`` and optimizer states) and reads them back with an unrestricted
``pickle.load``. Here:

* :func:`save_checkpoint` writes the same format to a temporary file in the
  same folder, fsyncs it and renames it over the target, so a kill mid-write
  never leaves a truncated file where the previous good one was;
* :func:`load_checkpoint` unpickles with an allow-list (numpy arrays and
  plain containers only) and turns a truncated or corrupt file into a
  :class:`CheckpointError` naming it and, if there is one, the newest
  other checkpoint in the same folder that loads.
"""
import codecs
import collections
import glob
import os
import pickle

import numpy as np
from ppgan.utils.filesystem import save as ppgan_save

from .safe_pickle import CheckpointError, SafeUnpickler, UnsafeCheckpointError

__all__ = ['CheckpointError', 'WeightsMismatchError', 'save_checkpoint',
           'load_checkpoint', 'check_state_fits']


class WeightsMismatchError(CheckpointError, ValueError):
    """A weights file loads but does not fit the network it is meant for."""


_ALLOWED = {
    ('collections', 'OrderedDict'): collections.OrderedDict,
    ('builtins', 'set'): set,
    ('builtins', 'frozenset'): frozenset,
    ('builtins', 'complex'): complex,
    # pickle protocol 2 (ppgan's) stores bytes as _codecs.encode(str, latin1)
    ('_codecs', 'encode'): codecs.encode,
}
_NUMPY_ALLOWED = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
}


def _numpy_array_parts(module, name):
    return (module, name) in _NUMPY_ALLOWED or (
        module.startswith('numpy') and name.endswith('DType'))


def save_checkpoint(state, path):
    """Write ``state`` (ppgan's pdparams layout) atomically to ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.tmp{os.getpid()}')
    try:
        ppgan_save(state, tmp)
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _try_load(path):
    with open(path, 'rb') as f:
        return SafeUnpickler(f, path, _ALLOWED, importable=_numpy_array_parts,
                             encoding='latin1').load()


def _last_good(path):
    folder = os.path.dirname(os.path.abspath(path))
    others = sorted((p for p in glob.glob(os.path.join(folder, '*.pdparams'))
                     if os.path.abspath(p) != os.path.abspath(path)),
                    key=os.path.getmtime, reverse=True)
    for other in others:
        try:
            _try_load(other)
            return other
        except Exception:
            continue
    return None


def load_checkpoint(path):
    """Load a ``.pdparams`` checkpoint safely; errors name the file."""
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: no such checkpoint file')
    try:
        state = _try_load(path)
        if not isinstance(state, dict):
            raise pickle.UnpicklingError('top level is not a dict')
        return state
    except UnsafeCheckpointError:
        raise
    except Exception as e:
        good = _last_good(path)
        hint = f'; the newest loadable checkpoint there is {good}' if good \
            else ''
        reason = ('it is empty' if os.path.getsize(path) == 0 else
                  f'it is truncated or corrupt ({type(e).__name__}: {e})')
        raise CheckpointError(f'{path}: cannot load checkpoint: '
                              f'{reason}{hint}') from None


def _examples(keys, n=3):
    shown = ', '.join(keys[:n])
    return shown + (', ...' if len(keys) > n else '')


def check_state_fits(net, state, what, error=WeightsMismatchError):
    """Raise ``error`` (prefixed ``what``) unless ``state`` has exactly
    ``net``'s keys with its shapes: the one check every loader of weights
    uses (``--load``, ``--resume``, the converter, the deploy tools).

    Paddle's ``set_state_dict`` skips what does not fit with one warning
    per key and leaves the rest of the net as it was; weights from another
    config or another model would then run half-initialised.
    """
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    shapes = [f'{k} {list(np.shape(state[k]))} vs {list(own[k].shape)}'
              for k in own if k in state
              and list(np.shape(state[k])) != list(own[k].shape)]
    problems = [f'{len(keys)} {kind} (e.g. {_examples(keys)})'
                for kind, keys in (('missing', missing),
                                   ('unexpected', extra),
                                   ('mis-shaped (file vs net)', shapes))
                if keys]
    if problems:
        raise error(
            f'{what}: does not fit this network ({len(own)} keys): '
            + '; '.join(problems) + '. Do the config and the weights '
            'belong together?')
